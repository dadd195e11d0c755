// What one verified statement says, as the rows the server keeps: its commits, and per session the
// snapshot of usage and threads it carries and its part of the pushed commits. Pure: data in, data out.
import type { Statement } from '../core/predicate.js';
import { attestedCalls, type AttestedCall, type GuardDecisionInput } from '../core/threads.js';

export interface CommitFacts {
  sha: string;
  author_name: string | null;
  author_email: string | null;
  committed_at: string;
  lines_added: number;
  ai_lines_added: number;
  captured: boolean;
}

export interface ModelFacts {
  model: string;
  responses: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number | null;
}

export interface ThreadFacts {
  idx: number;
  prompt: string | null;
  prompt_at: string | null;
  models: string[];
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number | null;
  unpriced: boolean;
  tool_calls: number;
  tool_errors: number;
}

export interface SessionFacts {
  session_id: string;
  agent: string;
  agent_version: string | null;
  models: string[];
  initiator_name: string | null;
  initiator_email: string | null;
  branch: string | null;
  started_at: string | null;
  ended_at: string | null;
  /** The latest time the snapshot shows activity. */
  last_active_at: string;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_micros: number | null;
  unpriced: boolean;
  prices_as_of: string | null;
  last_prompt: string | null;
  by_model: ModelFacts[];
  by_thread: ThreadFacts[];
  /** Tool calls the guard denied (outcome deny) in the guard's record of the session; null: the statement carries no record of it. */
  guard_denied: number | null;
  /** This push's commits of the session, with the session's own added lines in each. */
  commits: { sha: string; lines_added: number; ai_lines_added: number }[];
  /** The tool calls `raw_session` keeps (retention `prompts`), with the guard's decisions joined. */
  calls: AttestedCall[];
}

export interface AttestationFacts {
  repository: string;
  created_at: string;
  commits: CommitFacts[];
  sessions: SessionFacts[];
}

/** The repository of a subject name `<repo>@<sha>`. */
export function subjectRepository(name: string): string {
  const at = name.lastIndexOf('@');
  return at <= 0 ? name : name.slice(0, at);
}

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
const micros = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v * 1e6) : null);
const time = (v: unknown): string | null => {
  const text = str(v);
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
};

export function attestationFacts(statement: Statement): AttestationFacts {
  const predicate = statement.predicate;
  const createdAt = time(predicate.created_at) ?? new Date(0).toISOString();
  const commits = predicate.commits.map((c): CommitFacts => {
    const files = c.files.filter((f) => !f.generated);
    return {
      sha: c.sha,
      author_name: str(c.author.name),
      author_email: str(c.author.email),
      committed_at: time(c.author.date) ?? createdAt,
      lines_added: files.reduce((n, f) => n + f.lines_added, 0),
      ai_lines_added: files.reduce((n, f) => n + f.ai_lines_added, 0),
      captured: c.captured,
    };
  });
  const guarded = new Map((predicate.guard?.sessions ?? []).map((g) => [g.session_id, g.decisions]));
  const sessions = predicate.sessions.map((raw) => sessionFacts(raw, predicate.commits, createdAt, guarded));
  return { repository: predicate.repository.name, created_at: createdAt, commits, sessions };
}

type Decisions = NonNullable<Statement['predicate']['guard']>['sessions'][number]['decisions'];

function sessionFacts(raw: unknown, commits: Statement['predicate']['commits'], createdAt: string, guarded: ReadonlyMap<string, Decisions>): SessionFacts {
  const s = obj(raw);
  const session = obj(s.session);
  const agent = obj(s.agent);
  const model = obj(s.model);
  const usage = obj(s.usage);
  const git = obj(s.git_context);
  const id = String(session.id);
  const own = commits.filter((c) => c.session_ids.includes(id));
  const author = own[0]?.author;
  const byModel = (Array.isArray(usage.by_model) ? usage.by_model : []).map((m): ModelFacts => {
    const e = obj(m);
    return {
      model: str(e.model) ?? '(unknown)',
      responses: int(e.responses),
      input_tokens: int(e.input_tokens),
      output_tokens: int(e.output_tokens),
      cache_read_tokens: int(e.cache_read_input_tokens),
      cache_write_tokens: int(e.cache_creation_input_tokens),
      cost_micros: micros(e.estimated_cost_usd),
    };
  });
  const prompts = promptsOf(s.raw_session);
  const byThread = (Array.isArray(usage.by_thread) ? usage.by_thread : []).map((t, i): ThreadFacts => {
    const e = obj(t);
    const promptAt = time(e.prompt_at);
    return {
      idx: typeof e.idx === 'number' ? e.idx : i,
      prompt: (promptAt !== null ? prompts.find((p) => p.at === promptAt)?.text : undefined) ?? null,
      prompt_at: promptAt,
      models: Array.isArray(e.models) ? e.models.filter((x): x is string => typeof x === 'string') : [],
      input_tokens: int(e.input_tokens),
      output_tokens: int(e.output_tokens),
      cache_read_tokens: int(e.cache_read_input_tokens),
      cache_write_tokens: int(e.cache_creation_input_tokens),
      cost_micros: micros(e.estimated_cost_usd),
      unpriced: e.unpriced === true,
      tool_calls: int(e.tool_calls),
      tool_errors: int(e.tool_errors),
    };
  });
  const decisions = (guarded.get(id) ?? []).map(
    (d): GuardDecisionInput => ({ at: d.at, toolUseId: d.tool_use_id, tool: d.tool, rule: d.rule, decision: d.decision, outcome: d.outcome, message: d.message ?? '', mode: d.outcome === 'warn' ? 'warn' : 'enforce' }),
  );
  const calls = attestedCalls(s.raw_session, byThread, decisions).calls;
  const modelsUsed = Array.isArray(model.models_used) ? model.models_used.filter((x): x is string => typeof x === 'string') : [];
  const models = [...new Set([...modelsUsed, ...byModel.map((m) => m.model)])];
  const startedAt = time(session.started_at);
  const endedAt = time(session.ended_at);
  const last = [endedAt, startedAt, ...byThread.map((t) => t.prompt_at), ...prompts.map((p) => p.at)].filter((t): t is string => t !== null).sort().at(-1) ?? createdAt;
  const cost = micros(usage.estimated_cost_usd);
  const tools = obj(s.tools_used);
  const conversation = obj(s.conversation);
  return {
    session_id: id,
    agent: str(agent.name) ?? 'unknown',
    agent_version: str(agent.version),
    models,
    initiator_name: author ? str(author.name) : null,
    initiator_email: author ? str(author.email) : null,
    branch: str(git.branch),
    started_at: startedAt,
    ended_at: endedAt,
    last_active_at: last,
    threads: Math.max(byThread.length, int(conversation.user_messages)),
    tool_calls: Math.max(int(tools.total_invocations), byThread.reduce((n, t) => n + t.tool_calls, 0)),
    tool_errors: byThread.reduce((n, t) => n + t.tool_errors, 0),
    input_tokens: int(usage.input_tokens),
    cache_read_tokens: int(usage.cache_read_input_tokens),
    cache_write_tokens: int(usage.cache_creation_input_tokens),
    output_tokens: int(usage.output_tokens),
    cost_micros: cost,
    // Usage whose models are not all priced: the estimate leaves some out.
    unpriced: Object.keys(usage).length > 0 && (cost === null || byModel.some((m) => m.cost_micros === null) || byThread.some((t) => t.unpriced)),
    prices_as_of: str(usage.prices_as_of),
    last_prompt: prompts.at(-1)?.text ?? null,
    by_model: byModel,
    by_thread: byThread,
    calls,
    guard_denied: guarded.has(id) ? decisions.filter((d) => d.outcome === 'deny').length : null,
    commits: own.map((c) => ({
      sha: c.sha,
      lines_added: c.files.filter((f) => !f.generated).reduce((n, f) => n + f.lines_added, 0),
      ai_lines_added: c.files.filter((f) => !f.generated).reduce((n, f) => n + f.lines.filter((r) => r.attribution === 'ai' && r.session_id === id).reduce((k, r) => k + r.end - r.start + 1, 0), 0),
    })),
  };
}

/** The human prompts a retained conversation holds (`raw_session.main`, entries of type `prompt`). */
function promptsOf(raw: unknown): { at: string | null; text: string }[] {
  const main = obj(raw).main;
  if (!Array.isArray(main)) return [];
  const prompts: { at: string | null; text: string }[] = [];
  for (const entry of main) {
    const e = obj(entry);
    if (e.type === 'prompt' && typeof e.text === 'string') prompts.push({ at: time(e.timestamp), text: e.text });
  }
  return prompts;
}
