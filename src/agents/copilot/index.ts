// GitHub Copilot CLI: hooks in `.github/hooks/trace.json`, usage from `~/.copilot/session-state/<id>/events.jsonl`.
import { readRegularFile } from '../read-file.js';
import type { Agent } from '../types.js';
import { hooks } from './hooks.js';
import { CONFIG_FILE, hooksInstalled, planInstall, removeHooks } from './install.js';
import { readCopilotSession } from './session.js';
import { SimulatedCopilot } from './simulator.js';

export const agent: Agent = {
  hooks,
  displayName: 'Copilot CLI',
  executable: 'copilot',
  configFile: CONFIG_FILE,
  configDir: '.github/hooks',
  planInstall,
  removeHooks,
  hooksInstalled,
  afterInstall: [
    `Copilot CLI runs the hooks of ${CONFIG_FILE} in folders you trust (it asks on its first start in this repository).`,
    `Committed, ${CONFIG_FILE} also runs in Copilot's cloud agent, where the hooks do nothing unless trace is installed there.`,
  ],
  // Copilot's home ($COPILOT_HOME, ~/.copilot) as the pushing process sees it: where events.jsonl is when no agentStop named it.
  readSession: (session) => readCopilotSession(session, (path) => readRegularFile(path), process.env),
  simulate: (workspace, options) => new SimulatedCopilot(workspace, options),
};
