// OpenCode: a generated plugin in .opencode/plugins/, sessions from the usage the plugin reports.
import type { Agent } from '../types.js';
import { hooks } from './hooks.js';
import { hooksInstalled, planInstall, PLUGIN_FILE, removeHooks } from './install.js';
import { readOpenCodeSession } from './session.js';
import { SimulatedOpenCode } from './simulator.js';

export const agent: Agent = {
  hooks,
  displayName: 'OpenCode',
  executable: 'opencode',
  configFile: PLUGIN_FILE,
  configDir: '.opencode',
  planInstall,
  removeHooks,
  hooksInstalled,
  afterInstall: ['OpenCode loads .opencode/plugins/trace.ts when it starts: restart OpenCode sessions that are already running'],
  readSession: (session, store) => readOpenCodeSession(session, store),
  simulate: (workspace, options) => new SimulatedOpenCode(workspace, options),
};
