// A look at the work tree outside any tool call, after `git reset`: what it discarded is gone, so
// agent lines retyped later are the typist's. Recorded as a human change of every captured path.
import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from './limits.js';
import type { Logger } from '../log.js';
import type { Repo } from '../repo.js';
import type { Store } from '../store.js';
import { readInside } from './snapshot.js';

export const OBSERVATION_TOOL = '(work tree observed)';

/**
 * Whether `path` was last written by an agent working in this work tree. Linked work trees share
 * one store: a reset in one of them says nothing of the files of another.
 */
export function capturedHere(store: Store, repo: Repo, path: string): boolean {
  const row = store.db
    .prepare(
      `SELECT s.cwd FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id JOIN sessions s ON s.id = t.session_id
       WHERE f.path = ? AND t.session_id != '' ORDER BY f.id DESC LIMIT 1`,
    )
    .get(path) as { cwd: string | null } | undefined;
  if (!row?.cwd) return true;
  const rel = relative(repo.root, row.cwd);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return true;
  // The same place spelled through a symbolic link (/tmp and /private/tmp).
  try {
    const real = relative(realpathSync(repo.root), realpathSync(row.cwd));
    return !real.startsWith('..') && !isAbsolute(real);
  } catch {
    return false;
  }
}

/**
 * One observed path: records the work tree's content as a human change when it is not what the last
 * capture left. Run inside a write transaction; `callId` is the observation's call, made on first use.
 */
function observePath(store: Store, repo: Repo, path: string, at: string, call: { id?: number }): boolean {
  const last = store.lastAfter(path);
  const snapshot = readInside(repo.root, path, DEFAULT_MAX_FILE_BYTES);
  if (snapshot.state === 'skipped') return false;
  const oid = snapshot.state === 'content' ? store.putBlob(snapshot.content, last?.oid ?? null) : null;
  const state = snapshot.state === 'content' ? 'content' : 'absent';
  if (last && last.state === state && last.oid === oid) return false;
  call.id ??= store.startToolCall({ sessionId: '', toolUseId: `observed-${at}`, agentId: null, toolName: OBSERVATION_TOOL, inputJson: null, at });
  store.recordBefore(call.id, path, state, oid, null);
  store.recordAfter(call.id, path, { state, oid }, { state, oid }, null);
  return true;
}

export function observeWorkTree(repo: Repo, store: Store, at: string, logger: Logger): number {
  let observed = 0;
  store.write(() => {
    const call: { id?: number } = {};
    for (const path of store.capturedPaths()) {
      if (capturedHere(store, repo, path) && observePath(store, repo, path, at, call)) observed++;
    }
    if (call.id !== undefined) store.finishToolCall(call.id, 'done', at, null);
  });
  if (observed > 0) logger.log('info', `git reset: ${observed} captured file(s) changed outside the agent; their discarded lines are no longer attributed`);
  return observed;
}

/**
 * `git restore <file>` and `git checkout -- <file>` move no ref, so no git hook sees them: the next
 * look at the work tree (a prompt, a commit) finds an agent-written file changed outside any tool
 * call, and records that as a person's change, so lines retyped later are not the agent's. Files of
 * calls still running are left to those calls, and nothing is looked at while a shell call runs
 * (an agent's `git commit`: the files it changed are its own). Returns how many files changed.
 */
export function observeDiscards(repo: Repo, store: Store, at: string, logger: Logger, running: ReadonlySet<string>): number {
  const paths = (
    store.db
      .prepare(
        `SELECT f.path, t.session_id FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id
         WHERE f.id IN (SELECT max(id) FROM file_changes WHERE after_state IN ('content', 'absent') GROUP BY path)
           AND f.path NOT IN (SELECT path FROM file_changes WHERE after_state = 'pending')`,
      )
      .all() as { path: string; session_id: string }[]
  )
    .filter((row) => row.session_id !== '' && !running.has(row.path))
    .map((row) => row.path);
  if (paths.length === 0) return 0;
  const shellRunning = store.db.prepare("SELECT 1 FROM tool_calls WHERE status = 'pending' AND session_id != '' AND tree_before IS NOT NULL LIMIT 1").get();
  if (shellRunning) return 0;
  let observed = 0;
  const call: { id?: number } = {};
  store.write(() => {
    for (const path of paths) if (capturedHere(store, repo, path) && observePath(store, repo, path, at, call)) observed++;
    if (call.id !== undefined) store.finishToolCall(call.id, 'done', at, null);
  });
  if (observed > 0) logger.log('info', `${observed} agent-written file(s) changed outside the agent (git restore, an editor): recorded as human changes`);
  return observed;
}
