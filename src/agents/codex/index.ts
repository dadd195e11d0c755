// Codex CLI (codex-rs 0.12x–0.15x): hooks in `.codex/hooks.json`, sessions in rollout files.
import type { Agent } from '../types.js';
import { hooks } from './hooks.js';
import { AFTER_INSTALL, CONFIG_FILE, hooksInstalled, planInstall, removeHooks } from './install.js';
import { readCodexSession } from './session.js';
import { SimulatedCodex } from './simulator.js';

export const agent: Agent = {
  hooks,
  displayName: 'Codex CLI',
  executable: 'codex',
  configFile: CONFIG_FILE,
  configDir: '.codex',
  planInstall,
  removeHooks,
  hooksInstalled,
  afterInstall: AFTER_INSTALL,
  readSession: readCodexSession,
  simulate: (workspace, options) => new SimulatedCodex(workspace, options),
};
