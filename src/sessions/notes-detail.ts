// What the notes say about one session, for `trace sessions show`: the bundles that attest it (verified
// or not, by whom), and for a teammate's session known only from the notes its threads as the
// attestation carries them (`usage.by_thread`: per-turn usage; with retention `prompts`, the prompts
// and tool calls of `raw_session`).
import { attestedCalls, attestedStep, costJson, type ThreadJson } from '../core/threads.js';
import type { Store } from '../store.js';
import type { SessionDetail } from './detail.js';
import { summaryRow, type SignerJson } from './query.js';
import { isRecord } from '../agents/payload.js';

export interface HeldAttestation {
  session_json: string;
  commits_json: string;
  digest: string;
  status: 'verified' | 'unverified';
  signer_json: string | null;
  reason: string | null;
  created_at: string | null;
}

/** The bundles that attest a session, verified first, newest first within each. */
export function sessionAttestations(store: Store, sessionId: string): HeldAttestation[] {
  return store.db
    .prepare(
      `SELECT ns.session_json, ns.commits_json, ns.digest, b.status, b.signer_json, b.reason, b.created_at FROM notes_sessions ns JOIN notes_bundles b ON b.digest = ns.digest
       WHERE ns.session_id = ? ORDER BY b.status = 'verified' DESC, coalesce(b.created_at, '') DESC, ns.digest`,
    )
    .all(sessionId) as HeldAttestation[];
}

export interface AttestationBundleJson {
  /** SHA-256 of the bundle's note line. */
  digest: string;
  status: 'verified' | 'unverified';
  signer: SignerJson | null;
  reason: string | null;
  /** When the attestation was made (its predicate's created_at). */
  created_at: string | null;
  /** The session's commits it attests. */
  commits: string[];
}

export function attestationBundles(store: Store, sessionId: string): AttestationBundleJson[] {
  return sessionAttestations(store, sessionId).map((h) => ({
    digest: h.digest,
    status: h.status,
    signer: h.signer_json ? (JSON.parse(h.signer_json) as SignerJson) : null,
    reason: h.reason,
    created_at: h.created_at,
    commits: (JSON.parse(h.commits_json) as { sha: string }[]).map((c) => c.sha),
  }));
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Threads from `usage.by_thread`: tokens, cost and tool-call counts per turn, no steps. */
export function threadsFromUsage(byThread: unknown): ThreadJson[] {
  if (!Array.isArray(byThread)) return [];
  return byThread.filter(isRecord).map((t, i) => ({
    idx: typeof t.idx === 'number' ? t.idx : i + 1,
    prompt: null,
    prompt_at: text(t.prompt_at),
    ended_at: null,
    duration_ms: null,
    models: Array.isArray(t.models) ? t.models.filter((m): m is string => typeof m === 'string') : [],
    token_usage: { input: num(t.input_tokens), cache_read: num(t.cache_read_input_tokens), cache_write: num(t.cache_creation_input_tokens), output: num(t.output_tokens) },
    cost: costJson(typeof t.estimated_cost_usd === 'number' ? t.estimated_cost_usd : null, t.unpriced === true),
    tool_calls: { total: num(t.tool_calls), errors: num(t.tool_errors) },
    steps: [],
  }));
}

/** A session known only from the notes, as its best attestation holds it. */
export function notesSessionDetail(store: Store, id: string): SessionDetail {
  const row = summaryRow(store, id);
  const best = sessionAttestations(store, id)[0];
  if (!row || !best) throw new Error(`session ${id} is not in the notes index`);
  const o = JSON.parse(best.session_json) as Record<string, unknown>;
  const usage = isRecord(o.usage) ? o.usage : {};
  const threads = threadsFromUsage(usage.by_thread);
  const kept = attestedCalls(o.raw_session, threads, []);
  for (const prompt of kept.prompts) {
    const thread = threads.find((t) => t.idx === prompt.thread);
    if (thread && thread.prompt === null) thread.prompt = prompt.text;
  }
  for (const call of kept.calls) threads.find((t) => t.idx === call.thread)?.steps.push(attestedStep(call));
  const warnings: string[] = [];
  if (row.attestation.status === 'unverified') warnings.push(`the attestation of this session does not verify: ${row.attestation.reason ?? 'unknown reason'}; what follows is what it claims`);
  warnings.push(
    threads.length === 0
      ? "a teammate's session, known from its attestation, which has no per-turn usage (usage.by_thread): no threads to show"
      : kept.calls.length > 0
        ? "a teammate's session, known from its attestation: threads carry the per-turn usage (usage.by_thread) and the prompts and tool calls it keeps, without their results (status unknown) or model responses"
        : "a teammate's session, known from its attestation: threads carry the per-turn usage (usage.by_thread), with no prompts or steps (its retention kept none; they stay in the transcript on the machine that ran it)",
  );
  for (const w of Array.isArray(o.warnings) ? o.warnings : []) if (typeof w === 'string') warnings.push(w);
  const commits = (store.db.prepare('SELECT sha, lines_added, ai_lines_added FROM session_commits WHERE session_id = ? ORDER BY sha').all(id) as { sha: string; lines_added: number; ai_lines_added: number }[]).map((c) => ({ ...c, attested: true }));
  const order = new Map((isRecord(o.git_context) && Array.isArray(o.git_context.commits) ? o.git_context.commits : []).map((sha, i) => [sha, i] as const));
  commits.sort((a, b) => (order.get(a.sha) ?? 1e9) - (order.get(b.sha) ?? 1e9));
  const subagents = (Array.isArray(o.subagents) ? o.subagents.filter(isRecord) : []).map((s) => ({
    id: text(s.id) ?? '',
    type: text(s.type),
    description: text(s.description),
    tool_use_id: null,
    models: Array.isArray(s.models) ? s.models.filter((m): m is string => typeof m === 'string') : [],
  }));
  return { session: row, threads, commits, subagents, warnings };
}
