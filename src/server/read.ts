// The read API's queries: the session list (filters, keyset cursor, capped count), one session, the
// repositories and the org dashboard. Every list is a range scan of the per-session rows in
// (last_active_at DESC, id DESC) order; the org dashboard reads only the day roll-ups (rollups.ts).
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import { attestedStep, costJson, type StepGuard, type StepJson, type ToolStatus } from '../core/threads.js';
import { TraceError } from '../errors.js';
import { COUNT_CAP, queryKey, type SessionFilters, type SessionPage, type SessionRow, type SignerJson } from '../sessions/query.js';
import type { Selectable } from 'kysely';
import { changeOf, figures, type FigureRow, relativeChange, type StatsBy, type StatsResult } from '../sessions/stats.js';
import type { ServerDatabase, ServerDb, SessionsTable } from './db.js';
import type { OrgFigures, OrgStats, RepositoryEntry } from './shapes.js';

export const SERVER_MAX_LIMIT = 200;
export const MAX_OFFSET = 10_000;

export interface ServerFilters extends SessionFilters {
  repository?: string | undefined;
  /** An email, else a name. */
  initiator?: string | undefined;
}

export interface ListRequest {
  limit: number;
  after?: string | undefined;
  offset?: number | undefined;
  count: 'capped' | 'exact' | 'none';
  /** Repository ids the reader may see; undefined: all. */
  visible?: readonly number[] | undefined;
  /** What a cursor is bound to (the query as typed); default: the filters. */
  key?: string;
}

type Row = Selectable<SessionsTable> & { repository: string };
type Eb = ExpressionBuilder<ServerDatabase & { s: SessionsTable; r: ServerDatabase['repos'] }, 's' | 'r'>;

const LAST_PROMPT_CHARS = 500;

function toRow(r: Row): SessionRow & { repository: string } {
  const start = r.started_at ? Date.parse(r.started_at) : NaN;
  const end = Date.parse(r.ended_at ?? r.last_active_at);
  const cost = r.cost_micros === null ? null : Number(r.cost_micros);
  return {
    id: r.session_id,
    source: 'server',
    repository: r.repository,
    // Only bundles that verified get in.
    attestation: { status: 'verified', signer: JSON.parse(r.signer) as SignerJson, reason: null },
    agent: { name: r.agent, version: r.agent_version },
    models: JSON.parse(r.models) as string[],
    initiator: { name: r.initiator_name, email: r.initiator_email },
    branch: r.branch,
    started_at: r.started_at,
    ended_at: r.ended_at,
    last_active_at: r.last_active_at,
    duration_s: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, Math.round((end - start) / 1000)) : null,
    threads: Number(r.threads),
    tool_calls: { total: Number(r.tool_calls), errors: Number(r.tool_errors) },
    token_usage: { input: Number(r.input_tokens), cache_read: Number(r.cache_read_tokens), cache_write: Number(r.cache_write_tokens), output: Number(r.output_tokens) },
    cost: costJson(cost === null ? null : cost / 1e6, Number(r.unpriced) === 1),
    code: { commits: Number(r.commits), lines_added: Number(r.lines_added), ai_lines_added: Number(r.ai_lines_added) },
    last_prompt: r.last_prompt === null ? null : r.last_prompt.length > LAST_PROMPT_CHARS ? `${r.last_prompt.slice(0, LAST_PROMPT_CHARS - 1)}…` : r.last_prompt,
  };
}

const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filters as one parameterised condition over `s` (sessions) and `r` (repos). */
function conditions(eb: Eb, filters: ServerFilters, visible: readonly number[] | undefined): Expression<SqlBool>[] {
  const all: Expression<SqlBool>[] = [];
  if (visible !== undefined) all.push(visible.length === 0 ? sql<SqlBool>`1 = 0` : eb('s.repo_id', 'in', [...visible]));
  if (filters.repository !== undefined) all.push(eb('r.name', '=', filters.repository));
  const initiator = filters.initiator ?? filters.author;
  if (initiator !== undefined) all.push(initiator.includes('@') ? eb('s.initiator_email', '=', initiator) : eb('s.initiator_name', '=', initiator));
  if (filters.agent !== undefined) all.push(eb('s.agent', '=', filters.agent));
  if (filters.model !== undefined) {
    const model = filters.model;
    all.push(
      eb.exists(
        eb
          .selectFrom('session_models as m')
          .select(sql`1`.as('one'))
          .whereRef('m.session_pk', '=', 's.id')
          .where(model.endsWith('*') ? sql<SqlBool>`m.model LIKE ${`${likeEscape(model.slice(0, -1))}%`} ESCAPE '\\'` : sql<SqlBool>`m.model = ${model}`),
      ),
    );
  }
  if (filters.branch !== undefined) all.push(eb('s.branch', '=', filters.branch));
  if (filters.commit !== undefined) {
    const prefix = filters.commit.toLowerCase();
    all.push(eb.exists(eb.selectFrom('session_commits as c').select(sql`1`.as('one')).whereRef('c.session_pk', '=', 's.id').where('c.sha', '>=', prefix).where('c.sha', '<', `${prefix}g`)));
  }
  if (filters.since !== undefined) all.push(eb('s.last_active_at', '>=', filters.since));
  if (filters.until !== undefined) all.push(eb('s.last_active_at', '<', filters.until));
  if (filters.id !== undefined) all.push(sql<SqlBool>`s.session_id LIKE ${`${likeEscape(filters.id)}%`} ESCAPE '\\'`);
  for (const has of filters.has ?? []) {
    if (has === 'errors') all.push(eb('s.tool_errors', '>', 0));
    else if (has === 'unpriced') all.push(eb('s.unpriced', '=', 1));
    else if (has === 'commits') all.push(eb('s.commits', '>', 0));
    // The guard's denials the attestations carry (the server has no per-call error texts: a person's refusal is not counted).
    else if (has === 'denied') all.push(eb('s.guard_denied', '>', 0));
    else all.push(sql<SqlBool>`1 = 0`);
  }
  if (filters.search !== undefined) {
    const like = `%${likeEscape(filters.search.toLowerCase())}%`;
    all.push(
      eb.or([
        sql<SqlBool>`lower(s.last_prompt) LIKE ${like} ESCAPE '\\'`,
        eb.exists(eb.selectFrom('threads as t').select(sql`1`.as('one')).whereRef('t.session_pk', '=', 's.id').where(sql<SqlBool>`lower(t.prompt) LIKE ${like} ESCAPE '\\'`)),
      ]),
    );
  }
  return all;
}

interface Cursor {
  t: string;
  id: number;
  f: string;
  o: number;
}

function decodeCursor(text: string, key: string): Cursor {
  let cursor: Partial<Cursor> | undefined;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    cursor = undefined;
  }
  if (typeof cursor?.t !== 'string' || !Number.isSafeInteger(cursor.id) || typeof cursor.f !== 'string' || !Number.isSafeInteger(cursor.o) || (cursor.o ?? -1) < 0) {
    throw new TraceError('BAD_ARGUMENT', `after: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not a cursor this server gave`, { hint: 'use next_cursor from a previous page, or leave after out' });
  }
  if (cursor.f !== key) throw new TraceError('BAD_ARGUMENT', 'after: the cursor belongs to another query (other filters)', { hint: 'repeat the filters of the page that gave it, or start again without after' });
  return cursor as Cursor;
}

export async function listServerSessions(store: ServerDb, filters: ServerFilters, page: ListRequest): Promise<SessionPage> {
  if (page.after !== undefined && page.offset !== undefined) throw new TraceError('BAD_ARGUMENT', 'after and offset page in two ways: give one of them');
  if (page.offset !== undefined && (page.offset < 0 || page.offset > MAX_OFFSET)) throw new TraceError('BAD_ARGUMENT', `offset: at most ${MAX_OFFSET}`, { hint: 'page further with the after cursor' });
  const key = page.key ?? queryKey(filters);
  const cursor = page.after !== undefined ? decodeCursor(page.after, key) : undefined;
  const base = store.db.selectFrom('sessions as s').innerJoin('repos as r', 'r.id', 's.repo_id');
  const where = (eb: Eb) => eb.and(conditions(eb, filters, page.visible));

  let count = 0;
  let capped = false;
  if (page.count !== 'none') {
    const limit = page.count === 'exact' ? undefined : COUNT_CAP + 1;
    let inner = base.select(sql`1`.as('one')).where(where);
    if (limit !== undefined) inner = inner.limit(limit);
    const row = await store.db.selectFrom(inner.as('matches')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    count = Number(row.n);
    if (page.count === 'capped' && count > COUNT_CAP) {
      count = COUNT_CAP;
      capped = true;
    }
  }
  let query = base
    .selectAll('s')
    .select('r.name as repository')
    .where(where)
    .orderBy('s.last_active_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(page.limit + 1);
  let offset = 0;
  if (cursor) {
    query = query.where((eb) => eb.or([eb('s.last_active_at', '<', cursor.t), eb.and([eb('s.last_active_at', '=', cursor.t), eb('s.id', '<', cursor.id)])]));
    offset = cursor.o;
  } else if (page.offset !== undefined && page.offset > 0) {
    query = query.offset(page.offset);
    offset = page.offset;
  }
  const rows = (await query.execute()) as Row[];
  const hasNext = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    sessions: shown.map(toRow),
    count,
    count_is_capped: capped,
    offset,
    has_next_page: hasNext,
    next_cursor: hasNext && last ? Buffer.from(JSON.stringify({ t: last.last_active_at, id: Number(last.id), f: key, o: offset + shown.length })).toString('base64url') : null,
  };
}

export interface ServerSessionDetail {
  session: SessionRow & { repository: string };
  threads: {
    idx: number;
    prompt: string | null;
    prompt_at: string | null;
    ended_at: string | null;
    duration_ms: number | null;
    models: string[];
    token_usage: { input: number; cache_read: number; cache_write: number; output: number };
    cost: ReturnType<typeof costJson>;
    tool_calls: { total: number; errors: number };
    steps: StepJson[];
  }[];
  commits: { sha: string; lines_added: number; ai_lines_added: number; attested: boolean }[];
  subagents: never[];
  warnings: string[];
}

/** One session by its agent id (newest when two repositories share it, unless `repository` says which). */
export async function serverSessionDetail(store: ServerDb, id: string, options: { repository?: string | undefined; visible?: readonly number[] | undefined }): Promise<ServerSessionDetail | undefined> {
  let query = store.db.selectFrom('sessions as s').innerJoin('repos as r', 'r.id', 's.repo_id').selectAll('s').select('r.name as repository').where('s.session_id', '=', id);
  if (options.repository !== undefined) query = query.where('r.name', '=', options.repository);
  if (options.visible !== undefined) query = options.visible.length === 0 ? query.where(sql<SqlBool>`1 = 0`) : query.where('s.repo_id', 'in', [...options.visible]);
  const row = (await query.orderBy('s.last_active_at', 'desc').limit(1).executeTakeFirst());
  if (!row) return undefined;
  const sessionPk = Number(row.id);
  const threads = await store.db.selectFrom('threads').selectAll().where('session_pk', '=', sessionPk).orderBy('idx').execute();
  const calls = await store.db.selectFrom('tool_calls').selectAll().where('session_pk', '=', sessionPk).orderBy('seq').execute();
  // An agent whose attestation has no per-turn usage (usage.by_thread is Claude Code's): one thread holds its calls.
  if (threads.length === 0 && calls.length > 0) {
    threads.push({ session_pk: sessionPk, idx: 1, prompt: null, prompt_at: null, models: row.models, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: null, unpriced: 0, tool_calls: calls.length, tool_errors: calls.filter((c) => c.status === 'denied' || c.status === 'error').length });
  }
  // Each thread's steps; a call of a thread the attestation has no figures for goes to the first.
  const steps = new Map<number, StepJson[]>(threads.map((t) => [Number(t.idx), []]));
  for (const c of calls) {
    const idx = c.thread_idx !== null && steps.has(Number(c.thread_idx)) ? Number(c.thread_idx) : Number(threads[0]?.idx ?? 0);
    const step = attestedStep({
      thread: idx,
      id: c.tool_use_id,
      tool: c.tool,
      input: c.input === null ? null : (JSON.parse(c.input) as unknown),
      at: c.at,
      status: c.status as ToolStatus,
      error: c.error,
      guard: c.guard === null ? null : (JSON.parse(c.guard) as StepGuard),
    });
    steps.get(idx)?.push(step);
  }
  const commits = await store.db
    .selectFrom('session_commits as sc')
    .leftJoin('commits as c', (join) => join.onRef('c.sha', '=', 'sc.sha').on('c.repo_id', '=', row.repo_id))
    .select(['sc.sha', 'sc.lines_added', 'sc.ai_lines_added', 'c.committed_at'])
    .where('sc.session_pk', '=', sessionPk)
    .orderBy('c.committed_at')
    .orderBy('sc.sha')
    .execute();
  return {
    session: toRow(row),
    threads: threads.map((t, i) => {
      const next = threads[i + 1]?.prompt_at ?? null;
      const cost = t.cost_micros === null ? null : Number(t.cost_micros);
      return {
        idx: Number(t.idx),
        prompt: t.prompt,
        prompt_at: t.prompt_at,
        ended_at: next,
        duration_ms: t.prompt_at !== null && next !== null ? Math.max(0, Date.parse(next) - Date.parse(t.prompt_at)) : null,
        models: JSON.parse(t.models) as string[],
        token_usage: { input: Number(t.input_tokens), cache_read: Number(t.cache_read_tokens), cache_write: Number(t.cache_write_tokens), output: Number(t.output_tokens) },
        cost: costJson(cost === null ? null : cost / 1e6, Number(t.unpriced) === 1),
        tool_calls: { total: Number(t.tool_calls), errors: Number(t.tool_errors) },
        steps: steps.get(Number(t.idx)) ?? [],
      };
    }),
    commits: commits.map((c) => ({ sha: c.sha, lines_added: Number(c.lines_added), ai_lines_added: Number(c.ai_lines_added), attested: true })),
    subagents: [],
    warnings: [
      calls.length > 0
        ? "the server holds what attestations carry: per-thread usage, and the prompts and tool calls the session's retention kept (inputs until content retention), not the calls' results (status unknown unless the guard denied the call) or model responses"
        : "the server holds what attestations carry: per-thread usage, and prompts and tool calls when the session's retention kept them (it kept no tool calls)",
      // Denied calls are steps when the attestation kept the calls; otherwise only their count is known.
      ...(calls.length === 0 && Number(row.guard_denied) > 0 ? [`the guard denied ${Number(row.guard_denied)} tool call${Number(row.guard_denied) === 1 ? '' : 's'} in this session (its attested record)`] : []),
    ],
  };
}

/** Every visible repository with its totals, from the day roll-ups (small), not from sessions. */
export async function listRepositories(store: ServerDb, visible: readonly number[] | undefined): Promise<RepositoryEntry[]> {
  let query = store.db
    .selectFrom('repos as r')
    .leftJoin('usage_daily as u', 'u.repo_id', 'r.id')
    .select((eb) => [
      'r.name',
      'r.first_seen_at',
      eb.fn.coalesce(eb.fn.sum<number>('u.sessions'), sql<number>`0`).as('sessions'),
      eb.fn.coalesce(eb.fn.sum<number>('u.commits'), sql<number>`0`).as('commits'),
      eb.fn.coalesce(eb.fn.sum<number>('u.cost_micros'), sql<number>`0`).as('cost_micros'),
      eb.fn.coalesce(eb.fn.sum<number>('u.lines_added'), sql<number>`0`).as('lines_added'),
      eb.fn.coalesce(eb.fn.sum<number>('u.ai_lines_added'), sql<number>`0`).as('ai_lines_added'),
      eb.fn.max('u.day').as('last_active_day'),
    ])
    .groupBy(['r.id', 'r.name', 'r.first_seen_at'])
    .orderBy('r.name');
  if (visible !== undefined) query = visible.length === 0 ? query.where(sql<SqlBool>`1 = 0`) : query.where('r.id', 'in', [...visible]);
  const rows = await query.execute();
  return rows.map((r) => {
    const lines = Number(r.lines_added);
    const ai = Number(r.ai_lines_added);
    return { name: r.name, first_seen_at: r.first_seen_at, sessions: Number(r.sessions), commits: Number(r.commits), cost_usd: Number(r.cost_micros) / 1e6, lines_added: lines, ai_lines_added: ai, ai_share: lines === 0 ? null : Math.round((ai / lines) * 10_000) / 10_000, last_active_day: r.last_active_day ?? null };
  });
}

/**
 * The dashboard: figures of [since, until) (days, UTC) beside the period before, top users and
 * models. Three reads of the day roll-ups, each one pass over both periods: people_daily grouped by
 * person and period (sums, active users and the top users are added up here from those groups),
 * commits_daily by period, models_daily by model; their organisation-wide sums (*_org_daily) when
 * no repository filter applies.
 */
export async function orgStats(store: ServerDb, request: { since: string; until: string; repository?: string | undefined; initiator?: string | undefined; visible?: readonly number[] | undefined }): Promise<OrgStats> {
  const length = Date.parse(`${request.until}T00:00:00Z`) - Date.parse(`${request.since}T00:00:00Z`);
  const previous = { since: new Date(Date.parse(`${request.since}T00:00:00Z`) - length).toISOString().slice(0, 10), until: request.since };
  const repoIds = await scopedRepos(store, request.repository, request.visible);
  const none = repoIds !== undefined && repoIds.length === 0;
  /** 1: the period asked, 0: the one before. */
  const period = sql<number>`CASE WHEN day >= ${request.since} THEN 1 ELSE 0 END`;

  // The whole organisation's rows unless a repository filter applies (or the reader sees only some).
  const org = repoIds === undefined;
  let people = store.db
    .selectFrom(org ? 'people_org_daily' : 'people_daily')
    .select((eb) => [
      'initiator',
      period.as('current'),
      eb.fn.sum<number>('sessions').as('sessions'),
      eb.fn.sum<number>('threads').as('threads'),
      eb.fn.sum<number>('tool_calls').as('tool_calls'),
      eb.fn.sum<number>('input_tokens').as('input'),
      eb.fn.sum<number>('cache_read_tokens').as('cache_read'),
      eb.fn.sum<number>('cache_write_tokens').as('cache_write'),
      eb.fn.sum<number>('output_tokens').as('output'),
      eb.fn.sum<number>('cost_micros').as('cost_micros'),
      eb.fn.sum<number>('unpriced_sessions').as('unpriced'),
      eb.fn.sum<number>('ai_lines_added').as('ai_lines_added'),
    ])
    .where('day', '>=', previous.since)
    .where('day', '<', request.until)
    .groupBy(sql`1, 2`);
  let commits = store.db
    .selectFrom(org ? 'commits_org_daily' : 'commits_daily')
    .select((eb) => [
      period.as('current'),
      eb.fn.sum<number>('commits').as('commits'),
      eb.fn.sum<number>('ai_commits').as('ai_commits'),
      eb.fn.sum<number>('lines_added').as('lines_added'),
      eb.fn.sum<number>('ai_lines_added').as('ai_lines_added'),
    ])
    .where('day', '>=', previous.since)
    .where('day', '<', request.until)
    .groupBy(sql`1`);
  let models = store.db
    .selectFrom(org && request.initiator === undefined ? 'models_org_daily' : 'models_daily')
    .select((eb) => [
      'model',
      eb.fn.sum<number>('sessions').as('sessions'),
      eb.fn.sum<number>('cost_micros').as('cost_micros'),
      eb.fn.sum<number>('priced_sessions').as('priced'),
      eb.fn.sum<number>(sql<number>`input_tokens + output_tokens + cache_read_tokens + cache_write_tokens`).as('tokens'),
    ])
    .where('day', '>=', request.since)
    .where('day', '<', request.until)
    .groupBy('model')
    .orderBy('sessions', 'desc')
    .orderBy('model')
    .limit(20);
  if (none) {
    people = people.where(sql<SqlBool>`1 = 0`);
    commits = commits.where(sql<SqlBool>`1 = 0`);
    models = models.where(sql<SqlBool>`1 = 0`);
  } else if (repoIds !== undefined) {
    people = people.where('repo_id', 'in', repoIds);
    commits = commits.where('repo_id', 'in', repoIds);
    models = models.where('repo_id', 'in', repoIds);
  }
  if (request.initiator !== undefined) {
    people = people.where('initiator', '=', request.initiator);
    commits = commits.where('author', '=', request.initiator);
    models = models.where('initiator', '=', request.initiator);
  }
  // Side by side on PostgreSQL's pool (three backends); SQLite runs them in turn.
  const [personRows, commitRows, modelRows] = await Promise.all([people.execute(), commits.execute(), models.execute()]);

  const figuresOf = (current: 0 | 1): OrgFigures => {
    const rows = personRows.filter((r) => Number(r.current) === current);
    const sum = (key: keyof (typeof rows)[number]) => rows.reduce((n, r) => n + Number(r[key]), 0);
    const c = commitRows.find((r) => Number(r.current) === current);
    const linesAdded = Number(c?.lines_added ?? 0);
    const aiLines = Number(c?.ai_lines_added ?? 0);
    return {
      sessions: sum('sessions'),
      active_users: rows.length,
      threads: sum('threads'),
      tool_calls: sum('tool_calls'),
      token_usage: { input: sum('input'), cache_read: sum('cache_read'), cache_write: sum('cache_write'), output: sum('output') },
      cost_usd: sum('cost_micros') / 1e6,
      unpriced_sessions: sum('unpriced'),
      ai_assisted_commits: Number(c?.ai_commits ?? 0),
      commits: Number(c?.commits ?? 0),
      lines_added: linesAdded,
      ai_lines_added: aiLines,
      ai_share: linesAdded === 0 ? null : Math.round((aiLines / linesAdded) * 10_000) / 10_000,
    };
  };
  const current = figuresOf(1);
  const before = figuresOf(0);
  const top = personRows
    .filter((r) => Number(r.current) === 1)
    .map((r) => ({ initiator: r.initiator, sessions: Number(r.sessions), cost_usd: Number(r.cost_micros) / 1e6, ai_lines_added: Number(r.ai_lines_added) }))
    .sort((a, b) => b.sessions - a.sessions || (a.initiator < b.initiator ? -1 : a.initiator > b.initiator ? 1 : 0))
    .slice(0, 10);
  const flat = (f: OrgFigures): Record<string, number | null> => ({
    sessions: f.sessions,
    active_users: f.active_users,
    cost_usd: f.cost_usd,
    ai_assisted_commits: f.ai_assisted_commits,
    ai_share: f.ai_share,
    tokens: f.token_usage.input + f.token_usage.cache_read + f.token_usage.cache_write + f.token_usage.output,
  });
  const change = relativeChange(flat(current), flat(before));
  return {
    period: { since: request.since, until: request.until },
    previous_period: previous,
    current,
    previous: before,
    change,
    top_users: top,
    models: modelRows.map((r) => ({ model: r.model, sessions: Number(r.sessions), cost_usd: Number(r.priced) === 0 ? null : Number(r.cost_micros) / 1e6, tokens: Number(r.tokens) })),
  };
}

/** Repository ids a request is limited to (its `repository` filter within what the reader may see); undefined: all. */
async function scopedRepos(store: ServerDb, repository: string | undefined, visible: readonly number[] | undefined): Promise<number[] | undefined> {
  if (repository === undefined) return visible === undefined ? undefined : [...visible];
  const row = await store.db.selectFrom('repos').select('id').where('name', '=', repository).executeTakeFirst();
  if (!row) return [];
  return visible === undefined || visible.includes(Number(row.id)) ? [Number(row.id)] : [];
}

const FIGURES_SQL = `count(*) AS sessions, count(DISTINCT coalesce(s.initiator_email, s.initiator_name)) AS active_authors,
  coalesce(sum(s.threads), 0) AS threads, coalesce(sum(s.tool_calls), 0) AS tool_calls, coalesce(sum(s.tool_errors), 0) AS tool_errors,
  coalesce(sum(s.input_tokens), 0) AS input, coalesce(sum(s.cache_read_tokens), 0) AS cache_read, coalesce(sum(s.cache_write_tokens), 0) AS cache_write,
  coalesce(sum(s.output_tokens), 0) AS output, coalesce(sum(s.cost_micros), 0) AS cost_micros, coalesce(sum(s.unpriced), 0) AS unpriced,
  coalesce(sum(s.commits), 0) AS commits, coalesce(sum(s.lines_added), 0) AS lines_added, coalesce(sum(s.ai_lines_added), 0) AS ai_lines_added`;

const FIGURE_KEYS = ['sessions', 'active_authors', 'threads', 'tool_calls', 'tool_errors', 'input', 'cache_read', 'cache_write', 'output', 'cost_micros', 'unpriced', 'commits', 'lines_added', 'ai_lines_added'] as const;

function figureRow(row: Record<string, unknown>): FigureRow {
  return Object.fromEntries(FIGURE_KEYS.map((k) => [k, Number(row[k] ?? 0)])) as FigureRow;
}

/** SQLite's strftime('%Y-W%W') (weeks start on Monday; days before the first Monday are week 00), as `trace sessions stats --by week` keys them. */
function weekKey(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const yday = Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
  const week = Math.floor((yday + 7 - ((date.getUTCDay() + 6) % 7)) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * `trace sessions stats --json` over the server's per-session rows (what `trace ui`'s dashboard
 * reads): a period beside the one before, the change, a breakdown. No per-tool rows are held, so
 * `top_tools` is empty.
 */
export async function serverSessionsStats(store: ServerDb, filters: ServerFilters, period: { since: string; until: string }, by: StatsBy | undefined, visible: readonly number[] | undefined): Promise<StatsResult> {
  const length = Date.parse(period.until) - Date.parse(period.since);
  const previousPeriod = { since: new Date(Date.parse(period.since) - length).toISOString(), until: period.since };
  const rest: ServerFilters = { ...filters, since: undefined, until: undefined };
  const within = (p: { since: string; until: string }) => (eb: Eb) => eb.and([...conditions(eb, rest, visible), eb('s.last_active_at', '>=', p.since), eb('s.last_active_at', '<', p.until)]);
  const base = () => store.db.selectFrom('sessions as s').innerJoin('repos as r', 'r.id', 's.repo_id');
  const run = async (p: { since: string; until: string }) => {
    const [row, ai] = await Promise.all([
      base().select(sql.raw(FIGURES_SQL) as never).where(within(p)).executeTakeFirstOrThrow(),
      base()
        .innerJoin('session_commits as sc', 'sc.session_pk', 's.id')
        .select(sql<number>`count(DISTINCT sc.sha)`.as('n'))
        .where(within(p))
        .where('sc.ai_lines_added', '>', 0)
        .executeTakeFirstOrThrow(),
    ]);
    return figures(figureRow(row), Number(ai.n));
  };
  // The per-session rows of both periods (any filter applies, so no roll-up answers it), read side by
  // side on PostgreSQL's pool.
  const [current, previous] = await Promise.all([run(period), run(previousPeriod)]);
  let breakdown: StatsResult['breakdown'] = [];
  if (by) {
    const key = { day: sql`substr(s.last_active_at, 1, 10)`, week: sql`substr(s.last_active_at, 1, 10)`, agent: sql`s.agent`, model: sql`m.model`, author: sql`coalesce(s.initiator_email, s.initiator_name, '(unknown)')` }[by];
    const from = by === 'model' ? base().innerJoin('session_models as m', 'm.session_pk', 's.id') : base();
    const rows = (await from
      .select([sql<string>`${key}`.as('grp'), sql.raw(FIGURES_SQL) as never])
      .where(within(period))
      .groupBy(sql`1`)
      .execute()) as unknown as (Record<string, unknown> & { grp: string | null })[];
    if (by === 'week') {
      // Days folded into weeks (sums add up; active authors of a week are at most the sum of its days').
      const weeks = new Map<string, FigureRow>();
      for (const row of rows) {
        const week = weekKey(row.grp ?? '1970-01-01');
        const sum = weeks.get(week);
        const add = figureRow(row);
        weeks.set(week, sum ? (Object.fromEntries(FIGURE_KEYS.map((k) => [k, sum[k] + add[k]])) as FigureRow) : add);
      }
      breakdown = [...weeks].map(([grp, row]) => ({ key: grp, ...figures(row, 0) }));
    } else breakdown = rows.map((row) => ({ key: row.grp ?? '(unknown)', ...figures(figureRow(row), 0) }));
    breakdown.sort(by === 'day' || by === 'week' ? (a, b) => (a.key < b.key ? -1 : 1) : (a, b) => b.sessions - a.sessions || (a.key < b.key ? -1 : 1));
  }
  return { period, previous_period: previousPeriod, current, previous, change: changeOf(current, previous), by: by ?? null, breakdown, top_tools: [] };
}

/** Models used in visible sessions whose name starts with `prefix`, most used first (the model filter's suggestions). */
export async function listServerModels(store: ServerDb, prefix: string, limit: number, visible: readonly number[] | undefined): Promise<{ model: string; sessions: number }[]> {
  let query = store.db
    .selectFrom('session_models as m')
    .innerJoin('sessions as s', 's.id', 'm.session_pk')
    .select(['m.model', sql<number>`count(*)`.as('sessions')])
    .where(sql<SqlBool>`m.model LIKE ${`${likeEscape(prefix)}%`} ESCAPE '\\'`)
    .groupBy('m.model')
    .orderBy('sessions', 'desc')
    .orderBy('m.model')
    .limit(limit);
  if (visible !== undefined) query = visible.length === 0 ? query.where(sql<SqlBool>`1 = 0`) : query.where('s.repo_id', 'in', [...visible]);
  return (await query.execute()).map((r) => ({ model: r.model, sessions: Number(r.sessions) }));
}
