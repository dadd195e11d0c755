// A look at the work tree outside any tool call, after `git reset`: what it discarded is gone, so
// agent lines retyped later are the typist's. Recorded as a human change of every captured path.
import { DEFAULT_MAX_FILE_BYTES } from './limits.js';
import type { Logger } from '../log.js';
import type { Repo } from '../repo.js';
import type { Store } from '../store.js';
import { readInside } from './snapshot.js';

export const OBSERVATION_TOOL = '(work tree observed)';

export function observeWorkTree(repo: Repo, store: Store, at: string, logger: Logger): number {
  let observed = 0;
  store.write(() => {
    let callId: number | undefined;
    for (const path of store.capturedPaths()) {
      const last = store.lastAfter(path);
      const snapshot = readInside(repo.root, path, DEFAULT_MAX_FILE_BYTES);
      if (snapshot.state === 'skipped') continue;
      const oid = snapshot.state === 'content' ? store.putBlob(snapshot.content, last?.oid ?? null) : null;
      const state = snapshot.state === 'content' ? 'content' : 'absent';
      if (last && last.state === state && last.oid === oid) continue;
      callId ??= store.startToolCall({ sessionId: '', toolUseId: `observed-${at}`, agentId: null, toolName: OBSERVATION_TOOL, inputJson: null, at });
      store.recordBefore(callId, path, state, oid, null);
      store.recordAfter(callId, path, { state, oid }, { state, oid }, null);
      observed++;
    }
    if (callId !== undefined) store.finishToolCall(callId, 'done', at, null);
  });
  if (observed > 0) logger.log('info', `git reset: ${observed} captured file(s) changed outside the agent; their discarded lines are no longer attributed`);
  return observed;
}
