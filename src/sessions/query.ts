// The session list: filters, keyset paging and the row shape, shared by `trace sessions` (list, stats,
// export) and the servers to come. Every read is one range scan of `session_summaries` in
// (last_active_at DESC, session_id DESC) order plus filters; nothing is grouped from raw rows.
import { TraceError } from '../errors.js';
import { costJson, type CostJson, type TokenUsageJson } from '../core/threads.js';
import type { Store } from '../store.js';

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 500;
/** Counts stop here: "10,000+" (an exact count of a huge store costs a full scan). */
export const COUNT_CAP = 10_000;
/** A text search checks every prompt and tool input of each session it counts: its count stops sooner. */
export const SEARCH_COUNT_CAP = 1_000;

export const HAS_VALUES = ['errors', 'denied', 'unpriced', 'commits'] as const;
export type HasValue = (typeof HAS_VALUES)[number];

/** `local`: captured by this clone's hooks; `notes`: attested in the notes ref (a teammate's, or a local one pushed); `all`: both. */
export const SOURCE_VALUES = ['local', 'notes', 'all'] as const;
export type SourceValue = (typeof SOURCE_VALUES)[number];

/** Who signed an attestation: a key (its id, the owner its key file names) or a Sigstore identity. */
export type SignerJson = { kind: 'key'; key_id: string; owner: string | null } | { kind: 'keyless'; subject: string; issuer: string };

export interface AttestationJson {
  /** `verified` with trace verify's rules; `unverified` (see reason); `none`: in no attestation of the notes ref. */
  status: 'verified' | 'unverified' | 'none';
  signer: SignerJson | null;
  reason: string | null;
}

export interface SessionFilters {
  agent?: string | undefined;
  /** Exact, or a prefix with a trailing `*`. */
  model?: string | undefined;
  /** An email or a name (resolved from `me` by the command). */
  author?: string | undefined;
  branch?: string | undefined;
  /** A commit id or a prefix of one (at least 4 hex digits). */
  commit?: string | undefined;
  file?: string | undefined;
  /** ISO times on last activity: since inclusive, until exclusive. */
  since?: string | undefined;
  until?: string | undefined;
  /** A prefix of the session id. */
  id?: string | undefined;
  has?: HasValue[] | undefined;
  search?: string | undefined;
  /** Where sessions come from (default all). */
  source?: SourceValue | undefined;
}

export interface SessionRow {
  id: string;
  /** `local`: the content is this clone's capture; `notes`: only the attestation's (a teammate's session); `server`: held by trace server. */
  source: 'local' | 'notes' | 'server';
  /** The repository the session's attestations name (server rows). */
  repository?: string;
  attestation: AttestationJson;
  agent: { name: string; version: string | null };
  models: string[];
  initiator: { name: string | null; email: string | null };
  branch: string | null;
  started_at: string | null;
  ended_at: string | null;
  last_active_at: string;
  duration_s: number | null;
  threads: number;
  tool_calls: { total: number; errors: number };
  token_usage: TokenUsageJson;
  cost: CostJson;
  code: { commits: number; lines_added: number; ai_lines_added: number };
  last_prompt: string | null;
}

export interface SessionPage {
  sessions: SessionRow[];
  /** Sessions matching the filters (capped: see `count_is_capped`). */
  count: number;
  count_is_capped: boolean;
  /** 0-based position of the first session of this page among all matches. */
  offset: number;
  has_next_page: boolean;
  next_cursor: string | null;
}

interface SummaryRecord {
  session_id: string;
  agent: string;
  agent_version: string | null;
  hook_model: string | null;
  models_json: string | null;
  author_name: string | null;
  author_email: string | null;
  branch: string | null;
  started_at: string | null;
  ended_at: string | null;
  last_active_at: string;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  records_threads: number | null;
  records_tool_calls: number | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_micros: number | null;
  unpriced: number;
  commits: number;
  lines_added: number;
  ai_lines_added: number;
  last_prompt: string | null;
  source: string;
  attestation: string | null;
  attested_by: string | null;
  attestation_reason: string | null;
}

const LAST_PROMPT_CHARS = 500;

function toRow(r: SummaryRecord): SessionRow {
  const models = r.models_json ? (JSON.parse(r.models_json) as string[]) : r.hook_model ? [r.hook_model] : [];
  const start = r.started_at ? Date.parse(r.started_at) : NaN;
  const end = Date.parse(r.ended_at ?? r.last_active_at);
  return {
    id: r.session_id,
    source: r.source === 'notes' ? 'notes' : 'local',
    attestation: {
      status: r.attestation === 'verified' || r.attestation === 'unverified' ? r.attestation : 'none',
      signer: r.attested_by ? (JSON.parse(r.attested_by) as SignerJson) : null,
      reason: r.attestation_reason,
    },
    agent: { name: r.agent === 'claude' ? 'claude-code' : r.agent, version: r.agent_version },
    models,
    initiator: { name: r.author_name, email: r.author_email },
    branch: r.branch,
    started_at: r.started_at,
    ended_at: r.ended_at,
    last_active_at: r.last_active_at,
    duration_s: Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, Math.round((end - start) / 1000)) : null,
    // The larger of what the hooks saw and what the agent's records show (each can miss some).
    threads: Math.max(r.threads, r.records_threads ?? 0),
    tool_calls: { total: Math.max(r.tool_calls, r.records_tool_calls ?? 0), errors: r.tool_errors },
    token_usage: { input: r.input_tokens, cache_read: r.cache_read_tokens, cache_write: r.cache_write_tokens, output: r.output_tokens },
    cost: costJson(r.cost_micros === null ? null : r.cost_micros / 1e6, r.unpriced === 1),
    code: { commits: r.commits, lines_added: r.lines_added, ai_lines_added: r.ai_lines_added },
    last_prompt: r.last_prompt === null ? null : r.last_prompt.length > LAST_PROMPT_CHARS ? `${r.last_prompt.slice(0, LAST_PROMPT_CHARS - 1)}…` : r.last_prompt,
  };
}

const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The WHERE clause of a filter set (`s` is session_summaries), with its parameters. */
export function filterSql(filters: SessionFilters): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filters.source === 'local') where.push("s.source = 'local'");
  else if (filters.source === 'notes') where.push('s.attestation IS NOT NULL');
  if (filters.agent !== undefined) {
    where.push('s.agent = ?');
    params.push(filters.agent);
  }
  if (filters.model !== undefined) {
    if (filters.model.endsWith('*')) {
      const prefix = filters.model.slice(0, -1);
      // `+`: seek by the session (a handful of models each), never scan the model index per session.
      where.push("EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = s.session_id AND +m.model >= ? AND +m.model < ? || '\uffff')");
      params.push(prefix, prefix);
    } else {
      where.push('EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = s.session_id AND +m.model = ?)');
      params.push(filters.model);
    }
  }
  if (filters.author !== undefined) {
    // One column, so its index serves: an email, else a name.
    where.push(filters.author.includes('@') ? 's.author_email = ?' : 's.author_name = ?');
    params.push(filters.author);
  }
  if (filters.branch !== undefined) {
    where.push('s.branch = ?');
    params.push(filters.branch);
  }
  if (filters.commit !== undefined) {
    where.push("s.session_id IN (SELECT session_id FROM session_commits WHERE sha >= ? AND sha < ? || 'g')");
    params.push(filters.commit.toLowerCase(), filters.commit.toLowerCase());
  }
  if (filters.file !== undefined) {
    where.push('s.session_id IN (SELECT session_id FROM session_files WHERE path = ?)');
    params.push(filters.file);
  }
  if (filters.since !== undefined) {
    where.push('s.last_active_at >= ?');
    params.push(filters.since);
  }
  if (filters.until !== undefined) {
    where.push('s.last_active_at < ?');
    params.push(filters.until);
  }
  if (filters.id !== undefined) {
    where.push("s.session_id >= ? AND s.session_id < ? || '\uffff'");
    params.push(filters.id, filters.id);
  }
  for (const has of filters.has ?? []) {
    if (has === 'errors') where.push('s.tool_errors > 0');
    else if (has === 'unpriced') where.push('s.unpriced = 1');
    else if (has === 'commits') where.push('s.commits > 0');
    else where.push(`((s.tool_errors > 0 AND EXISTS (SELECT 1 FROM tool_calls t WHERE t.session_id = s.session_id AND t.status = 'failed' AND ${DENIED_SQL})) OR EXISTS (SELECT 1 FROM guard_decisions g WHERE g.session_id = s.session_id AND g.outcome = 'deny'))`);
  }
  if (filters.search !== undefined) {
    const like = `%${likeEscape(filters.search)}%`;
    where.push(
      `(s.last_prompt LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM prompts p WHERE p.session_id = s.session_id AND p.text LIKE ? ESCAPE '\\')
        OR EXISTS (SELECT 1 FROM tool_calls t WHERE t.session_id = s.session_id AND (t.input_json LIKE ? ESCAPE '\\' OR t.error LIKE ? ESCAPE '\\')))`,
    );
    params.push(like, like, like, like);
  }
  return { where, params };
}

/** A refused call (by the person, a permission rule or a guard), by its error text: see core/threads `toolStatus`; or a call trace's guard denied (guard_decisions). */
const DENIED_SQL = "(t.error LIKE '%denied%' OR t.error LIKE '%doesn''t want to proceed%' OR t.error LIKE '%rejected by the user%' OR t.error LIKE '%permission%')";

/**
 * What a cursor is bound to: the query as typed (so `--since 7d` stays the same query on the next
 * page, though it resolves to another time), by default the filters.
 */
export function queryKey(query: object): string {
  const canonical = JSON.stringify(Object.entries(query).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));
  // FNV-1a, twice with different seeds: binds a cursor to its query (not a security measure).
  const fnv = (seed: number) => {
    let h = seed >>> 0;
    for (let i = 0; i < canonical.length; i++) h = Math.imul(h ^ canonical.charCodeAt(i), 0x01000193) >>> 0;
    return h.toString(36);
  };
  return `${fnv(0x811c9dc5)}${fnv(0x2b992ddf)}`;
}

interface Cursor {
  t: string;
  id: string;
  /** The filters' hash: a cursor belongs to one query. */
  f: string;
  /** Matches before the page it starts. */
  o: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string, key: string): Cursor {
  let cursor: Partial<Cursor> | undefined;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    cursor = undefined;
  }
  if (typeof cursor?.t !== 'string' || typeof cursor.id !== 'string' || typeof cursor.f !== 'string' || typeof cursor.o !== 'number') {
    throw new TraceError('BAD_ARGUMENT', `--after: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not a cursor trace gave`, { hint: 'use the `next:` cursor printed under a page, e.g. `trace sessions --after eyJ0Ijoi…`' });
  }
  if (cursor.f !== key) {
    throw new TraceError('BAD_ARGUMENT', '--after: the cursor belongs to another query (other filters)', { hint: 'repeat the filters of the page that printed it, or start again without --after' });
  }
  return cursor as Cursor;
}

export interface PageRequest {
  limit: number;
  after?: string | undefined;
  offset?: number | undefined;
}

const SELECT = 'SELECT s.* FROM session_summaries s';

function whereText(where: string[]): string {
  return where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
}

export function listSessions(store: Store, filters: SessionFilters, page: PageRequest, key = queryKey(filters)): SessionPage {
  if (page.after !== undefined && page.offset !== undefined) {
    throw new TraceError('BAD_ARGUMENT', '--after and --offset page in two ways: give one of them', { hint: 'e.g. `trace sessions --after <cursor>` or `trace sessions --offset 50`' });
  }
  const { where, params } = filterSql(filters);
  const cap = filters.search === undefined ? COUNT_CAP : SEARCH_COUNT_CAP;
  const count = countSessions(store, filters, cap, where, params);
  const pageWhere = [...where];
  const pageParams = [...params];
  let offset = 0;
  let skip = '';
  if (page.after !== undefined) {
    const cursor = decodeCursor(page.after, key);
    pageWhere.push('(s.last_active_at < ? OR (s.last_active_at = ? AND s.session_id < ?))');
    pageParams.push(cursor.t, cursor.t, cursor.id);
    offset = cursor.o;
  } else if (page.offset !== undefined && page.offset > 0) {
    offset = page.offset;
    skip = ` OFFSET ${Math.trunc(page.offset)}`;
  }
  // Few matches: find them by the filter's own index and sort them (the `|| ''` keeps SQLite from walking
  // the whole recency index looking for them); many: walk the recency index, which stops after a page.
  const order = count <= cap && where.length > 0 ? "s.last_active_at || '' DESC, s.session_id || '' DESC" : 's.last_active_at DESC, s.session_id DESC';
  const rows = store.db
    .prepare(`${SELECT}${whereText(pageWhere)} ORDER BY ${order} LIMIT ${page.limit + 1}${skip}`)
    .all(...pageParams) as SummaryRecord[];
  const hasNext = rows.length > page.limit;
  const sessions = rows.slice(0, page.limit).map(toRow);
  const last = sessions.at(-1);
  return {
    sessions,
    count: Math.min(count, cap),
    count_is_capped: count > cap,
    offset,
    has_next_page: hasNext,
    next_cursor: hasNext && last ? encodeCursor({ t: last.last_active_at, id: last.id, f: key, o: offset + sessions.length }) : null,
  };
}

/**
 * Matches, counted up to `cap + 1`. With a model filter the count walks the model index and joins the
 * summary rows (a third of the work of checking every session's models, measured on the bench store).
 */
function countSessions(store: Store, filters: SessionFilters, cap: number, where: string[], params: unknown[]): number {
  if (filters.model === undefined) {
    return (store.db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM session_summaries s${whereText(where)} LIMIT ${cap + 1})`).get(...params) as { n: number }).n;
  }
  const rest = filterSql({ ...filters, model: undefined });
  const prefix = filters.model.endsWith('*');
  const model = prefix ? filters.model.slice(0, -1) : filters.model;
  const test = prefix ? "m.model >= ? AND m.model < ? || '\uffff'" : 'm.model = ?';
  const sql = `SELECT count(*) AS n FROM (SELECT DISTINCT s.session_id FROM session_models m JOIN session_summaries s ON s.session_id = m.session_id
    WHERE ${[test, ...rest.where].join(' AND ')} LIMIT ${cap + 1})`;
  return (store.db.prepare(sql).get(...(prefix ? [model, model] : [model]), ...rest.params) as { n: number }).n;
}

/** Every matching session, newest first, a batch at a time (export, stats). */
export function* eachSession(store: Store, filters: SessionFilters, batch = 500): Generator<SessionRow> {
  let after: string | undefined;
  for (;;) {
    const page = listSessions(store, filters, { limit: batch, after });
    yield* page.sessions;
    if (!page.next_cursor) return;
    after = page.next_cursor;
  }
}

export type SessionLookup =
  | { kind: 'found'; id: string }
  | { kind: 'none' }
  /** Up to 10 candidates, newest activity first; `more` when there are others. */
  | { kind: 'ambiguous'; candidates: { id: string; agent: string; last_active_at: string }[]; more: boolean };

/** The session with this id, or the one whose id starts with it; or none, or the candidates. */
export function lookupSession(store: Store, idOrPrefix: string): SessionLookup {
  const exact = store.db.prepare('SELECT session_id FROM session_summaries WHERE session_id = ?').get(idOrPrefix) as { session_id: string } | undefined;
  if (exact) return { kind: 'found', id: exact.session_id };
  const matches = (store.db
    .prepare("SELECT session_id, agent, last_active_at FROM session_summaries WHERE session_id >= ? AND session_id < ? || '\uffff' ORDER BY last_active_at DESC LIMIT 11")
    .all(idOrPrefix, idOrPrefix) as { session_id: string; agent: string; last_active_at: string }[]);
  if (matches.length === 1) return { kind: 'found', id: matches[0]!.session_id };
  if (matches.length === 0) return { kind: 'none' };
  return { kind: 'ambiguous', candidates: matches.slice(0, 10).map((m) => ({ id: m.session_id, agent: m.agent, last_active_at: m.last_active_at })), more: matches.length > 10 };
}

/** The session with this id, or the one whose id starts with it; none or several: exit 2 saying which. */
export function resolveSessionId(store: Store, idOrPrefix: string): string {
  const found = lookupSession(store, idOrPrefix);
  if (found.kind === 'found') return found.id;
  if (found.kind === 'none') {
    throw new TraceError('BAD_ARGUMENT', `no session ${JSON.stringify(idOrPrefix)} in the local store`, { hint: 'list them with `trace sessions`; give an id or a prefix of one, e.g. `trace sessions show 0b6e1c2a`' });
  }
  const shown = found.candidates.map((m) => `  ${m.id}  ${m.agent}  ${m.last_active_at}`).join('\n');
  throw new TraceError('BAD_ARGUMENT', `${JSON.stringify(idOrPrefix)} is the start of ${found.more ? 'more than 10' : found.candidates.length} sessions:\n${shown}`, { hint: 'give more of the id' });
}

/** Models used in sessions whose name starts with `prefix`, most used first (the model filter's suggestions). */
export function listModels(store: Store, prefix: string, limit: number): { model: string; sessions: number }[] {
  return store.db
    .prepare("SELECT model, count(*) AS sessions FROM session_models WHERE model >= ? AND model < ? || '\uffff' GROUP BY model ORDER BY sessions DESC, model LIMIT ?")
    .all(prefix, prefix, limit) as { model: string; sessions: number }[];
}

export function summaryRow(store: Store, id: string): SessionRow | undefined {
  const row = store.db.prepare(`${SELECT} WHERE s.session_id = ?`).get(id) as SummaryRecord | undefined;
  return row && toRow(row);
}
