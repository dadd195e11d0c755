// Cursor (IDE 2.x/3.x and the cursor-agent CLI): everything trace knows about it, behind the Agent contract.
import type { SessionRecord, Store } from '../../store.js';
import type { Agent } from '../types.js';
import { AFTER_FILE_EDIT, hooks } from './hooks.js';
import { CONFIG_FILE, hooksInstalled, planInstall, removeHooksText } from './install.js';
import { readCursorSession } from './session.js';
import { SimulatedCursor } from './simulator.js';

export const agent: Agent = {
  hooks,
  displayName: 'Cursor',
  executable: 'cursor-agent',
  configFile: CONFIG_FILE,
  configDir: '.cursor',
  planInstall,
  removeHooks: removeHooksText,
  hooksInstalled,
  afterInstall: [
    'Cursor runs project hooks only in a trusted workspace, and reads .cursor/hooks.json when it starts: restart Cursor (or cursor-agent) once.',
  ],
  // Cursor reports usage in its stop hook, not in its transcript: the store keeps each turn's counts.
  readSession: (session: SessionRecord, store: Store) =>
    readCursorSession(session, store.turnUsage(session.id), { afterEditCalls: store.toolCalls(session.id).filter((call) => call.tool_name === AFTER_FILE_EDIT).length }),
  simulate: (workspace, options) => new SimulatedCursor(workspace, options),
};
