// Local retention: the captured data of sessions inactive since before a cutoff — prompt texts, tool
// inputs and errors, file changes and the blobs only they hold — is deleted; the session's figures
// (summary row, tool call names, statuses and times, commits) stay. Never deleted: a change of a path
// that a pending commit (attributed, not yet attested) or the work tree (uncommitted edits) still needs.
import type { Store } from '../store.js';

export interface PrunePlan {
  cutoff: string;
  sessions: string[];
  prompts: number;
  tool_inputs: number;
  file_changes: number;
  /** Changes kept because a pending commit or an uncommitted edit of their path needs them. */
  kept_for_pending: number;
}

export function planPrune(store: Store, cutoff: string, pendingPaths: ReadonlySet<string>): PrunePlan {
  const sessions = (store.db.prepare("SELECT session_id FROM session_summaries WHERE last_active_at < ? AND source = 'local' ORDER BY last_active_at").all(cutoff) as { session_id: string }[]).map((r) => r.session_id);
  let prompts = 0;
  let inputs = 0;
  let changes = 0;
  let kept = 0;
  const countPrompts = store.db.prepare('SELECT count(*) AS n FROM prompts WHERE session_id = ?');
  const countInputs = store.db.prepare('SELECT count(*) AS n FROM tool_calls WHERE session_id = ? AND (input_json IS NOT NULL OR error IS NOT NULL)');
  const changePaths = store.db.prepare(
    `SELECT f.path, 0 AS settled FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE t.session_id = @id
     UNION ALL SELECT f.path, 1 AS settled FROM settled_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE t.session_id = @id`,
  );
  for (const id of sessions) {
    prompts += (countPrompts.get(id) as { n: number }).n;
    inputs += (countInputs.get(id) as { n: number }).n;
    for (const { path, settled } of changePaths.all({ id }) as { path: string; settled: number }[]) {
      // A settled change (its commits attested) is never what a pending commit needs.
      if (!settled && pendingPaths.has(path)) kept++;
      else changes++;
    }
  }
  return { cutoff, sessions, prompts, tool_inputs: inputs, file_changes: changes, kept_for_pending: kept };
}

export function applyPrune(store: Store, plan: PrunePlan, pendingPaths: ReadonlySet<string>): void {
  store.write(() => {
    const keep = JSON.stringify([...pendingPaths]);
    for (const id of plan.sessions) {
      store.db.prepare('DELETE FROM prompts WHERE session_id = ?').run(id);
      store.db
        .prepare('DELETE FROM file_changes WHERE tool_call_id IN (SELECT id FROM tool_calls WHERE session_id = ?) AND path NOT IN (SELECT value FROM json_each(?))')
        .run(id, keep);
      store.db.prepare('DELETE FROM settled_changes WHERE tool_call_id IN (SELECT id FROM tool_calls WHERE session_id = ?)').run(id);
      store.db.prepare('UPDATE tool_calls SET input_json = NULL, error = NULL WHERE session_id = ?').run(id);
      store.db.prepare('UPDATE session_summaries SET last_prompt = NULL WHERE session_id = ?').run(id);
      store.db.prepare('DELETE FROM transcript_cache WHERE session_id = ?').run(id);
    }
    // Blobs no remaining change (or delta) needs; the latest capture of every path stays as it was.
    store.collectBlobs();
  });
}
