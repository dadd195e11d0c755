// Claude Code: hooks in .claude/settings.json, sessions from its JSONL transcripts.
import type { Agent } from '../types.js';
import { hooks } from './hooks.js';
import { hooksInstalled, planInstall, removeFromText, SETTINGS_FILE } from './install.js';
import { SimulatedClaude } from './simulator.js';
import { readClaudeSession } from './transcript.js';

export const agent: Agent = {
  hooks,
  displayName: 'Claude Code',
  executable: 'claude',
  configFile: SETTINGS_FILE,
  configDir: '.claude',
  planInstall,
  removeHooks: removeFromText,
  hooksInstalled,
  readSession: readClaudeSession,
  simulate: (workspace, options) => new SimulatedClaude(workspace, options),
};
