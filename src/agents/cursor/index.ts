// Cursor (IDE 2.x/3.x and the cursor-agent CLI): everything trace knows about it, behind the Agent contract.
import type { SessionRecord, Store } from '../../store.js';
import type { Agent, TurnUsage } from '../types.js';
import { hooks } from './hooks.js';
import { CONFIG_FILE, hooksInstalled, planInstall, removeHooksText } from './install.js';
import { readCursorSession } from './session.js';
import { SimulatedCursor } from './simulator.js';

/** The store's record of the turns' token counts (Cursor reports usage in its stop hook, not in its transcript). */
type TurnUsageStore = { turnUsage(sessionId: string): (TurnUsage & { at: string })[] };

function turnsOf(store: Store, sessionId: string): TurnUsage[] {
  const source = store as unknown as Partial<TurnUsageStore>;
  return typeof source.turnUsage === 'function' ? source.turnUsage(sessionId) : [];
}

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
  readSession: (session: SessionRecord, store: Store) => readCursorSession(session, turnsOf(store, session.id)),
  simulate: (workspace, options) => new SimulatedCursor(workspace, options),
};
