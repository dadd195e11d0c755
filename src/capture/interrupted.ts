// A file tool call whose pre hook ran but whose post hook never came (killed by the agent's hook
// timeout, Ctrl-C, a crash) still happened: what changed in its file between its before-snapshot and
// the next observation of that file (the next call's pre hook on it, a commit, a reset) is that
// call's. Without this the change would fall into the gap before the next observation and be human.
import type { Logger } from '../log.js';
import type { Repo } from '../repo.js';
import type { ContentState, Store } from '../store.js';
import { storeSnapshot } from './pending.js';
import { readInside } from './snapshot.js';

/** How the error of an interrupted call starts: the session's warnings are read back by it. */
export const INTERRUPTED = 'post-tool-use hook never came';

/** A file change whose call started and never ended. */
interface OpenChange {
  tool_call_id: number;
  path: string;
  before_state: ContentState;
  before_oid: string | null;
  session_id: string;
  tool_use_id: string;
  tool_name: string;
}

function openChanges(store: Store, filter: { sessionId?: string; path?: string; excludeCallId?: number }): OpenChange[] {
  const where = ["f.after_state = 'pending'", "t.status = 'pending'", "t.session_id != ''"];
  const params: (string | number)[] = [];
  if (filter.sessionId !== undefined) {
    where.push('t.session_id = ?');
    params.push(filter.sessionId);
  }
  if (filter.path !== undefined) {
    where.push('f.path = ?');
    params.push(filter.path);
  }
  if (filter.excludeCallId !== undefined) {
    where.push('t.id != ?');
    params.push(filter.excludeCallId);
  }
  return store.db
    .prepare(
      `SELECT f.tool_call_id, f.path, f.before_state, f.before_oid, t.session_id, t.tool_use_id, t.tool_name
       FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE ${where.join(' AND ')} ORDER BY f.id`,
    )
    .all(...params) as OpenChange[];
}

function close(store: Store, change: OpenChange, after: { state: ContentState; oid: string | null }, at: string, observation: string): void {
  store.recordAfter(change.tool_call_id, change.path, after, { state: change.before_state, oid: change.before_oid }, null);
  const credited = after.state === 'content' || after.state === 'absent' ? `what changed in ${change.path} up to ${observation} is credited to it` : `its change of ${change.path} is unknown (${observation})`;
  store.finishToolCall(change.tool_call_id, 'failed', at, `${INTERRUPTED} for ${change.tool_name} ${change.tool_use_id} (killed or timed out): ${credited}`);
}

/**
 * Ends the open calls of one session on `path` (other than `callId`) with the content the next call
 * of that session found before it. Run inside a write transaction. Returns how many.
 */
export function closeBeforeNextCall(store: Store, input: { sessionId: string; path: string; callId: number; before: { state: ContentState; oid: string | null }; at: string }): number {
  const open = openChanges(store, { sessionId: input.sessionId, path: input.path, excludeCallId: input.callId });
  for (const change of open) close(store, change, input.before, input.at, 'the next tool call on it');
  return open.length;
}

/**
 * Ends every open call with what the work tree holds now (`unknown` after a reset: what the call
 * wrote was discarded before anyone saw it). Run after the pending records are taken in.
 */
export function closeAtObservation(store: Store, repo: Repo, input: { at: string; maxBytes: number; observation: 'commit' | 'reset'; logger: Logger }): number {
  const open = openChanges(store, {});
  if (open.length === 0) return 0;
  store.write(() => {
    for (const change of open) {
      if (input.observation === 'reset') {
        close(store, change, { state: 'unknown', oid: null }, input.at, 'a git reset discarded the work tree');
        continue;
      }
      const snapshot = readInside(repo.root, change.path, input.maxBytes);
      const after = storeSnapshot(store, snapshot, change.before_oid);
      close(store, change, { state: after.state, oid: after.oid }, input.at, 'the commit');
    }
  });
  input.logger.log('warn', `${open.length} tool call(s) whose post-tool-use hook never came were closed at a ${input.observation}: ${[...new Set(open.map((c) => c.path))].join(', ')}`);
  return open.length;
}

/** The session's calls that were closed without their post hook, as warnings for its session object. */
export function interruptedWarnings(store: Store, sessionId: string): string[] {
  const rows = store.db.prepare("SELECT error FROM tool_calls WHERE session_id = ? AND status = 'failed' AND error LIKE ? ORDER BY id").all(sessionId, `${INTERRUPTED}%`) as { error: string }[];
  return rows.map((row) => row.error);
}
