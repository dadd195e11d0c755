// One session in full for `trace sessions show`: its summary row, its threads (core/threads.ts) built
// from the hooks' prompts and calls and the agent's records (cached, see refresh.ts), its commits,
// subagents and warnings. Diffs of edits are built from the blobs the capture store holds.
import type * as Diff from 'diff';
import type { Agent } from '../agents/types.js';
import { buildThreads, type GuardDecisionInput, type HookToolCall, type StepFile, type ThreadJson } from '../core/threads.js';
import { guardDecisions } from '../guard/log.js';
import type { Store, ToolCallRecord } from '../store.js';
import { readRecords } from './refresh.js';
import { summaryRow, type SessionRow } from './query.js';

export interface SessionDetail {
  session: SessionRow;
  threads: ThreadJson[];
  /** The session's commits, oldest first, with its lines in each. */
  commits: { sha: string; lines_added: number; ai_lines_added: number; attested: boolean }[];
  subagents: { id: string; type: string | null; description: string | null; tool_use_id: string | null; models: string[] }[];
  warnings: string[];
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** A blob's text, or '' for an absent side; undefined when the store does not hold it. */
function blobText(store: Store, oid: string | null): string | undefined {
  if (oid === null) return '';
  try {
    return utf8(store.getText(oid));
  } catch {
    return undefined;
  }
}

/** The `diff` package, loaded when a session has edits to count or show. */
type DiffModule = typeof Diff;

function lineCounts(diffLines: DiffModule['diffLines'], before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const change of diffLines(before, after)) {
    if (change.added) added += change.count;
    else if (change.removed) removed += change.count;
  }
  return { added, removed };
}

/** The unified diff of one file change, from the stored contents; null when a side is not held. */
export async function fileDiff(store: Store, file: StepFile): Promise<string | null> {
  const before = blobText(store, file.before);
  const after = blobText(store, file.after);
  if (before === undefined || after === undefined) return null;
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(file.before === null ? '/dev/null' : `a/${file.path}`, file.after === null ? '/dev/null' : `b/${file.path}`, before, after, undefined, undefined, { context: 3 });
}

/** The hooks' calls of a session; `withFiles: false` skips the file changes (and their diffs). */
export async function hookCalls(store: Store, sessionId: string, options: { withFiles?: boolean } = {}): Promise<HookToolCall[]> {
  const calls = store.toolCalls(sessionId);
  if (options.withFiles === false) return calls.map((call) => toHookCall(call, []));
  const changes = store.db
    .prepare(
      // Captured changes, and those settled once their commits were attested (store.pruneCaptures).
      // Each table joined on its own, so the session's calls are found by index in both.
      `SELECT f.tool_call_id, f.path, f.before_state, f.before_oid, f.after_state, f.after_oid, 0 AS captured, f.id
         FROM settled_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE t.session_id = @sessionId AND f.after_state != 'pending'
       UNION ALL
       SELECT f.tool_call_id, f.path, f.before_state, f.before_oid, f.after_state, f.after_oid, 1 AS captured, f.id
         FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE t.session_id = @sessionId AND f.after_state != 'pending'
       ORDER BY 1, 7, 8`,
    )
    .all({ sessionId }) as { tool_call_id: number; path: string; before_state: string; before_oid: string | null; after_state: string; after_oid: string | null }[];
  const byCall = new Map<number, StepFile[]>();
  const { diffLines } = changes.length > 0 ? await import('diff') : { diffLines: undefined };
  for (const change of changes) {
    const known = (state: string, oid: string | null) => (state === 'content' && oid !== null) || state === 'absent';
    if (change.before_oid === change.after_oid && change.before_state === change.after_state) continue;
    let added = 0;
    let removed = 0;
    if (known(change.before_state, change.before_oid) && known(change.after_state, change.after_oid)) {
      const before = blobText(store, change.before_state === 'absent' ? null : change.before_oid);
      const after = blobText(store, change.after_state === 'absent' ? null : change.after_oid);
      if (before !== undefined && after !== undefined && diffLines) ({ added, removed } = lineCounts(diffLines, before, after));
    }
    const list = byCall.get(change.tool_call_id) ?? [];
    list.push({ path: change.path, lines_added: added, lines_removed: removed, before: change.before_state === 'content' ? change.before_oid : null, after: change.after_state === 'content' ? change.after_oid : null });
    byCall.set(change.tool_call_id, list);
  }
  return calls.map((call) => toHookCall(call, byCall.get(call.id) ?? []));
}

function toHookCall(call: ToolCallRecord, files: StepFile[]): HookToolCall {
  let input: unknown = null;
  try {
    input = call.input_json === null ? null : JSON.parse(call.input_json);
  } catch {
    input = call.input_json;
  }
  return { toolUseId: call.tool_use_id, agentId: call.agent_id, tool: call.tool_name, input, startedAt: call.started_at, endedAt: call.ended_at, status: call.status, error: call.error, files };
}

/** The guard's recorded decisions in the session (taken into the store by the caller: guard/log.ts ingestGuardDecisions). */
function guardDecisionsOf(store: Store, id: string): GuardDecisionInput[] {
  return guardDecisions(store, [id]).map((d) => ({
    at: d.at,
    toolUseId: d.tool_use_id,
    tool: d.tool,
    rule: d.rule,
    decision: d.decision === 'deny' ? 'deny' : 'ask',
    outcome: d.outcome === 'deny' || d.outcome === 'ask' || d.outcome === 'allow' ? d.outcome : 'warn',
    message: d.message,
    mode: d.mode === 'enforce' ? 'enforce' : 'warn',
  }));
}

export async function sessionDetail(store: Store, id: string, loadAgent: (name: string) => Promise<Agent | undefined>): Promise<SessionDetail> {
  const session = store.session(id);
  const row = summaryRow(store, id);
  if (!session || !row) throw new Error(`session ${id} is not in the store`);
  const read = await readRecords(store, session, loadAgent);
  const prompts = store.prompts(id).map((p) => ({ at: p.at, text: p.text }));
  const threads = buildThreads({ prompts, toolCalls: await hookCalls(store, id), agentSteps: read.steps, guardDecisions: guardDecisionsOf(store, id) });
  const warnings = [...read.warnings, ...(read.summary?.warnings ?? [])];
  if (!read.steps) {
    warnings.push(
      `${session.agent}: threads are the prompts and tool calls trace's hooks saw; the agent's records give no per-response steps, so threads carry no model responses, tokens or cost (the session totals come from its records)`,
    );
  } else {
    const seen = threads.filter((t) => t.prompt !== null).length;
    if (prompts.length > seen) warnings.push(`the hooks saw ${prompts.length} prompts, the agent's records show ${seen}: the records may have been cut or compacted`);
  }
  const commits = (store.db
    .prepare('SELECT sc.sha, sc.lines_added, sc.ai_lines_added, c.attested_at IS NOT NULL AS attested FROM session_commits sc LEFT JOIN commits c ON c.sha = sc.sha WHERE sc.session_id = ? ORDER BY c.attributed_at, sc.sha')
    .all(id) as { sha: string; lines_added: number; ai_lines_added: number; attested: number }[]).map((c) => ({ ...c, attested: c.attested === 1 }));
  const subagents = (read.summary?.subagents ?? []).map((s) => ({ id: s.id, type: s.type ?? null, description: s.description ?? null, tool_use_id: s.toolUseId ?? null, models: s.models }));
  return { session: row, threads, commits, subagents, warnings };
}

/** One file edit of a session with both contents and its diff (the web view steps through them). */
export interface SessionEdit {
  /** 0-based position among the session's edits, in the order `show` lists them. */
  n: number;
  /** How many edits the session has. */
  count: number;
  thread_idx: number;
  tool_use_id: string;
  tool: string;
  at: string | null;
  path: string;
  lines_added: number;
  lines_removed: number;
  before_oid: string | null;
  after_oid: string | null;
  /** The contents ('' for a side where the file did not exist), null when the store does not hold them. */
  before: string | null;
  after: string | null;
  /** Unified diff, null when a side is not held. */
  diff: string | null;
}

/** The n-th file edit of a session, or undefined (with the count) when it has fewer. */
export async function sessionEdit(detail: SessionDetail, store: Store, n: number): Promise<{ edit?: SessionEdit; count: number }> {
  const edits = detail.threads.flatMap((thread) => thread.steps.flatMap((step) => (step.kind === 'tool_call' ? step.files.map((file) => ({ thread, step, file })) : [])));
  const found = edits[n];
  if (!found) return { count: edits.length };
  const { thread, step, file } = found;
  return {
    count: edits.length,
    edit: {
      n,
      count: edits.length,
      thread_idx: thread.idx,
      tool_use_id: step.tool_use_id,
      tool: step.tool,
      at: step.at,
      path: file.path,
      lines_added: file.lines_added,
      lines_removed: file.lines_removed,
      before_oid: file.before,
      after_oid: file.after,
      before: blobText(store, file.before) ?? null,
      after: blobText(store, file.after) ?? null,
      diff: await fileDiff(store, file),
    },
  };
}
