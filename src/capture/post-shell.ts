// A shell call's end: the files that differ between the tree snapshotted before the call (its pending
// record's) and the one after it, stored as the call's changes in the same transaction as its end.
// The Node post hook and the spool's take-in (the sh lanes' calls) share it.
import type { CaptureEvent, ToolCall } from '../agents/types.js';
import type { Repo } from '../repo.js';
import type { Store } from '../store.js';
import { applyPending, storeSnapshot } from './pending.js';
import { callStatus, type PostContext, toolInputJson, type Write } from './post-file.js';
import { shellChanges, snapshotTreeOf } from './shell.js';
import { checkContent, type Snapshot } from './snapshot.js';

/** `treeAfter`: the work tree after the call, or null when it could not be taken. */
export function captureShell(store: Store, write: Write, repo: Repo, event: CaptureEvent, tool: ToolCall, at: string, { pending, settings, context }: PostContext, treeAfter: string | null): void {
  // From the pre hook's record, or from the store when a command took the record in while the call ran.
  const treeBefore = snapshotTreeOf(pending?.call.treeBefore ?? store.toolCall(event.sessionId, tool.useId)?.tree_before);
  // Read before the transaction: git runs, the store waits for nobody.
  const taken = treeBefore !== undefined && treeAfter !== null ? shellChanges(repo, treeBefore, treeAfter) : null;
  const beforeSide = (oid: string | null): Snapshot => {
    if (oid === null) return { state: 'absent' };
    const content = taken?.blobs.get(oid);
    return content ? checkContent(content, settings.maxFileBytes) : { state: 'skipped', reason: 'blob missing from the object store' };
  };
  const afterSide = (content: Buffer | null): Snapshot => (content === null ? { state: 'absent' } : checkContent(content, settings.maxFileBytes));
  write(() => {
    if (pending) applyPending(store, pending);
    const call = store.toolCall(event.sessionId, tool.useId);
    if (!call?.tree_before || !taken) {
      const why = !call?.tree_before ? 'no pre-tool-use snapshot' : treeBefore === undefined ? 'a pre-tool-use snapshot of an older trace' : 'no snapshot after the call';
      context.logger.log('warn', `${context.where}: ${why} for shell call ${tool.useId}; its file changes are not captured`);
      const id = store.startToolCall({ sessionId: event.sessionId, toolUseId: tool.useId, agentId: event.agentId ?? null, toolName: tool.name, inputJson: toolInputJson(tool), at });
      store.finishToolCall(id, callStatus(event), at, event.error ?? why);
      return;
    }
    for (const change of taken.changes) {
      if (change.skipped) {
        store.recordBefore(call.id, change.path, 'skipped', null, change.skipped);
        store.recordAfter(call.id, change.path, { state: 'skipped', oid: null }, { state: 'skipped', oid: null }, change.skipped);
        continue;
      }
      const beforeSnapshot = beforeSide(change.before);
      const before = storeSnapshot(store, beforeSnapshot, store.lastAfter(change.path)?.oid ?? null);
      const after = storeSnapshot(store, afterSide(change.after), before.oid, beforeSnapshot.state === 'content' ? beforeSnapshot.content : undefined);
      const skipped = before.skipped ?? after.skipped;
      if (skipped) context.logger.log('warn', `${context.where}: ${change.path} skipped: ${skipped}`);
      store.recordBefore(call.id, change.path, before.state, before.oid, skipped);
      store.recordAfter(call.id, change.path, after, before, skipped);
    }
    store.finishToolCall(call.id, callStatus(event), at, event.error ?? null);
  });
}
