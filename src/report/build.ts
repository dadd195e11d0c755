// The pull-request report: what `trace verify` found over a range, joined with the sessions behind it,
// as one value a reviewer reads (markdown.ts) or a program reads (JSON, schema.ts). Pure: the verified
// range, the commits' git metadata and the sessions the local store knows come in; nothing is read here.
import type { Policies, Violation } from '../core/policy.js';
import type { Predicate } from '../core/predicate.js';
import type { SessionRow } from '../sessions/query.js';
import type { VerifiedRange } from '../verify/run.js';

export const REPORT_VERSION = 1;

export interface ReportTokens {
  /** Uncached input. */
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
  total: number;
}

export interface ReportCommit {
  sha: string;
  subject: string;
  author: { name: string; email: string };
  attested: boolean;
  /** Verified: attested with a valid signature by a trusted signer, agreeing with git and the policies (or a clean merge). */
  verified: boolean;
  signers: string[];
  added_lines: number;
  ai_lines: number;
  sessions: string[];
  agents: string[];
  models: string[];
  merge: 'clean' | 'resolved' | 'unknown' | null;
  failures: string[];
  violations: Violation[];
  notes: string[];
}

export interface ReportFile {
  path: string;
  added_lines: number;
  ai_lines: number;
}

export interface ReportSession {
  id: string;
  /** Where the figures come from: this machine's session store (current), or the newest attestation of the range (as pushed). */
  source: 'local' | 'attestation';
  agent: string | null;
  agent_version: string | null;
  models: string[];
  threads: number | null;
  started_at: string | null;
  duration_s: number | null;
  tokens: ReportTokens | null;
  cost: { usd: number | null; unpriced: boolean };
  /** Commits of the range holding its lines, and its added lines in them. */
  commits: string[];
  ai_lines: number;
  /** The guard modes its hook ran in (empty: not guarded), from the attestation. */
  guard_modes: ('warn' | 'enforce')[];
}

export interface ReportDecision {
  session_id: string;
  at: string;
  tool: string;
  tool_use_id: string | null;
  rule: string;
  decision: 'ask' | 'deny';
  outcome: 'ask' | 'deny' | 'warn' | 'allow';
  message: string | null;
}

export interface Report {
  version: typeof REPORT_VERSION;
  range: string;
  base: string | null;
  head: string | null;
  /** `trace verify`'s verdict over the range. */
  ok: boolean;
  adoption: boolean;
  notices: string[];
  totals: {
    commits: number;
    attested: number;
    verified: number;
    unattested: number;
    /** Added lines of the attested commits (generated files left out), and of those the AI ones. */
    added_lines: number;
    ai_lines: number;
    /** ai_lines / added_lines; null when nothing was added. */
    ai_share: number | null;
    sessions: number;
    tokens: ReportTokens;
    cost_usd: number | null;
    /** Some session's cost is unknown or partly unpriced: cost_usd leaves it out. */
    cost_incomplete: boolean;
    guard: { deny: number; ask: number; warn: number; allow: number };
  };
  commits: ReportCommit[];
  files: ReportFile[];
  sessions: ReportSession[];
  guard_decisions: ReportDecision[];
  policies: { checked: string[]; violations: Violation[] };
  unattested: { sha: string; subject: string; author: { name: string; email: string } }[];
}

export interface CommitInfo {
  subject: string;
  author: { name: string; email: string };
}

export interface ReportInput {
  verified: VerifiedRange;
  /** Subject and author of each commit of the range, from git. */
  commitInfo: ReadonlyMap<string, CommitInfo>;
  /** A session's row in the local store, when this machine recorded it. */
  localSession: (id: string) => SessionRow | undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The policy keys that check something, as configured. */
export function checkedPolicies(policies: Policies | undefined): string[] {
  if (policies === undefined) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(policies) as [string, unknown][]) {
    if (value === undefined || value === false) continue;
    if (key === 'forbiddenCommands') {
      const f = value as Policies['forbiddenCommands'];
      if (!f.builtin && f.patterns.length === 0) continue;
    }
    if (key === 'maxAiShare') {
      const m = obj(value);
      for (const [part, limit] of Object.entries(m ?? {})) if (limit !== undefined) out.push(`maxAiShare.${part}`);
      continue;
    }
    if (Array.isArray(value) && key !== 'allowedAgents' && key !== 'allowedModels' && key !== 'allowedMcpServers' && value.length === 0) continue;
    out.push(key);
  }
  return out;
}

function attestedSession(raw: Json): Omit<ReportSession, 'commits' | 'ai_lines' | 'guard_modes'> {
  const usage = obj(raw.usage);
  const model = obj(raw.model);
  const session = obj(raw.session);
  const agent = obj(raw.agent);
  const byThread = Array.isArray(usage?.by_thread) ? usage.by_thread.length : null;
  const userMessages = num(obj(raw.conversation)?.user_messages);
  const tokens: ReportTokens | null = usage
    ? (() => {
        const t = { input: num(usage.input_tokens) ?? 0, cache_read: num(usage.cache_read_input_tokens) ?? 0, cache_write: num(usage.cache_creation_input_tokens) ?? 0, output: num(usage.output_tokens) ?? 0 };
        return { ...t, total: t.input + t.cache_read + t.cache_write + t.output };
      })()
    : null;
  const models = Array.isArray(model?.models_used) ? model.models_used.filter((m): m is string => typeof m === 'string') : str(model?.primary) ? [str(model?.primary)!] : [];
  const usd = num(usage?.estimated_cost_usd);
  return {
    id: str(session?.id) ?? '',
    source: 'attestation',
    agent: str(agent?.name),
    agent_version: str(agent?.version),
    models,
    threads: byThread ?? userMessages,
    started_at: str(session?.started_at),
    duration_s: num(session?.duration_seconds),
    tokens,
    // Without usage the cost is unknown; with usage and no estimate, some model had no price.
    cost: { usd, unpriced: usage !== undefined && usd === null },
  };
}

function localSessionOf(row: SessionRow): Omit<ReportSession, 'commits' | 'ai_lines' | 'guard_modes'> {
  const t = row.token_usage;
  return {
    id: row.id,
    source: 'local',
    agent: row.agent.name,
    agent_version: row.agent.version,
    models: row.models,
    threads: row.threads,
    started_at: row.started_at,
    duration_s: row.duration_s,
    tokens: { ...t, total: t.input + t.cache_read + t.cache_write + t.output },
    cost: { usd: row.cost.usd, unpriced: row.cost.unpriced },
  };
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

export function buildReport(input: ReportInput): Report {
  const { result, statements, policies } = input.verified;
  const inRange = new Set(result.commits.map((c) => c.sha));
  // Each commit's attribution from the first statement that attests it (as verify counts it), and each
  // session's newest object (a later push carries more of a long session).
  const attribution = new Map<string, Predicate['commits'][number]>();
  const sessionObjects = new Map<string, Json>();
  const guardBySession = new Map<string, NonNullable<Predicate['guard']>['sessions'][number]>();
  for (const statement of statements) {
    for (const commit of statement.predicate.commits) if (inRange.has(commit.sha) && !attribution.has(commit.sha)) attribution.set(commit.sha, commit);
    for (const session of statement.predicate.sessions) {
      const id = str(obj(session.session)?.id);
      if (id !== null) sessionObjects.set(id, session);
    }
    for (const guarded of statement.predicate.guard?.sessions ?? []) {
      const seen = guardBySession.get(guarded.session_id);
      if (seen === undefined) guardBySession.set(guarded.session_id, { ...guarded, decisions: [...guarded.decisions], modes: [...guarded.modes] });
      else {
        for (const mode of guarded.modes) if (!seen.modes.includes(mode)) seen.modes.push(mode);
        for (const d of guarded.decisions) if (!seen.decisions.some((s) => s.at === d.at && s.rule === d.rule && s.tool_use_id === d.tool_use_id)) seen.decisions.push(d);
      }
    }
  }

  const commits: ReportCommit[] = result.commits.map((c) => {
    const info = input.commitInfo.get(c.sha);
    const attested = attribution.get(c.sha);
    return {
      sha: c.sha,
      subject: info?.subject ?? '',
      author: info?.author ?? (attested ? { name: attested.author.name, email: attested.author.email } : { name: '', email: '' }),
      attested: c.attested,
      verified: c.ok && (c.attested || c.merge === 'clean'),
      signers: c.signers,
      added_lines: c.added_lines,
      ai_lines: c.ai_lines,
      sessions: c.sessions,
      agents: c.agents,
      models: c.models,
      merge: c.merge ?? null,
      failures: c.failures,
      violations: c.violations,
      notes: c.notes,
    };
  });

  // Per file and per session, over the attested commits of the range (generated files left out, as verify does).
  const files = new Map<string, ReportFile>();
  const sessionLines = new Map<string, { commits: Set<string>; ai: number }>();
  for (const c of result.commits) {
    const commit = c.attested ? attribution.get(c.sha) : undefined;
    if (commit === undefined) continue;
    for (const file of commit.files) {
      if (file.generated) continue;
      const f = files.get(file.path) ?? { path: file.path, added_lines: 0, ai_lines: 0 };
      f.added_lines += file.lines_added;
      f.ai_lines += file.ai_lines_added;
      files.set(file.path, f);
      for (const range of file.lines) {
        if (range.attribution !== 'ai' || range.session_id === undefined) continue;
        const s = sessionLines.get(range.session_id) ?? { commits: new Set<string>(), ai: 0 };
        s.ai += range.end - range.start + 1;
        s.commits.add(c.sha);
        sessionLines.set(range.session_id, s);
      }
    }
    for (const id of commit.session_ids) {
      const s = sessionLines.get(id) ?? { commits: new Set<string>(), ai: 0 };
      s.commits.add(c.sha);
      sessionLines.set(id, s);
    }
  }

  const sessionIds = [...new Set(commits.flatMap((c) => c.sessions))];
  const sessions: ReportSession[] = sessionIds.map((id) => {
    const local = input.localSession(id);
    const raw = sessionObjects.get(id);
    const base = local ? localSessionOf(local) : raw ? attestedSession(raw) : { id, source: 'attestation' as const, agent: null, agent_version: null, models: [], threads: null, started_at: null, duration_s: null, tokens: null, cost: { usd: null, unpriced: false } };
    const lines = sessionLines.get(id);
    const order = commits.map((c) => c.sha);
    return { ...base, id, commits: order.filter((sha) => lines?.commits.has(sha)), ai_lines: lines?.ai ?? 0, guard_modes: guardBySession.get(id)?.modes ?? [] };
  });

  const decisions: ReportDecision[] = [...guardBySession.values()]
    .flatMap((g) => g.decisions.map((d) => ({ session_id: g.session_id, at: d.at, tool: d.tool, tool_use_id: d.tool_use_id, rule: d.rule, decision: d.decision, outcome: d.outcome, message: d.message ?? null })))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  const tokens: ReportTokens = { input: 0, cache_read: 0, cache_write: 0, output: 0, total: 0 };
  let cost = 0;
  let priced = false;
  let costIncomplete = false;
  for (const s of sessions) {
    if (s.tokens) for (const k of Object.keys(tokens) as (keyof ReportTokens)[]) tokens[k] += s.tokens[k];
    if (s.cost.usd !== null) {
      cost += s.cost.usd;
      priced = true;
    }
    if (s.cost.usd === null || s.cost.unpriced) costIncomplete = true;
  }
  const attestedCommits = commits.filter((c) => c.attested);
  const added = attestedCommits.reduce((n, c) => n + c.added_lines, 0);
  const ai = attestedCommits.reduce((n, c) => n + c.ai_lines, 0);
  const guard = { deny: 0, ask: 0, warn: 0, allow: 0 };
  for (const d of decisions) guard[d.outcome]++;
  const unattested = commits.filter((c) => !c.attested && c.merge !== 'clean');

  return {
    version: REPORT_VERSION,
    range: result.range,
    base: result.base,
    head: result.head,
    ok: result.ok,
    adoption: result.adoption,
    notices: result.notices,
    totals: {
      commits: commits.length,
      attested: attestedCommits.length,
      verified: commits.filter((c) => c.verified).length,
      unattested: unattested.length,
      added_lines: added,
      ai_lines: ai,
      ai_share: added === 0 ? null : round6(ai / added),
      sessions: sessions.length,
      tokens,
      cost_usd: priced ? round6(cost) : null,
      cost_incomplete: costIncomplete,
      guard,
    },
    commits,
    files: [...files.values()].sort((a, b) => b.ai_lines - a.ai_lines || b.added_lines - a.added_lines || (a.path < b.path ? -1 : 1)),
    sessions,
    guard_decisions: decisions,
    policies: { checked: checkedPolicies(policies), violations: result.violations },
    unattested: unattested.map((c) => ({ sha: c.sha, subject: c.subject, author: c.author })),
  };
}
