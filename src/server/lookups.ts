// The read API's lookups beside the session list (read.ts): one commit with its verdict, the
// initiators' prefix search, the session export and a stored bundle. Each takes the repository ids the
// reader may see (undefined: all) and answers nothing outside them.
import { sql, type SqlBool } from 'kysely';
import { TraceError } from '../errors.js';
import type { SessionRow } from '../sessions/query.js';
import type { ServerDb } from './db.js';
import type { ServerCommit } from './shapes.js';
import { listServerSessions, type ServerFilters } from './read.js';

export type CommitLookup = { kind: 'found'; commit: ServerCommit } | { kind: 'none' } | { kind: 'ambiguous'; candidates: { sha: string; repository: string }[] };

/** A commit by its sha or a prefix (4+ hex digits), in `repository` when given. */
export async function serverCommit(store: ServerDb, shaOrPrefix: string, options: { repository?: string | undefined; visible?: readonly number[] | undefined }): Promise<CommitLookup> {
  const prefix = shaOrPrefix.toLowerCase();
  let query = store.db
    .selectFrom('commits as c')
    .innerJoin('repos as r', 'r.id', 'c.repo_id')
    .selectAll('c')
    .select('r.name as repository')
    .where('c.sha', '>=', prefix)
    .where('c.sha', '<', `${prefix}g`);
  if (options.repository !== undefined) query = query.where('r.name', '=', options.repository);
  if (options.visible !== undefined) query = options.visible.length === 0 ? query.where(sql<SqlBool>`1 = 0`) : query.where('c.repo_id', 'in', [...options.visible]);
  const rows = await query.orderBy('r.name').orderBy('c.sha').limit(11).execute();
  if (rows.length === 0) return { kind: 'none' };
  if (rows.length > 1) return { kind: 'ambiguous', candidates: rows.slice(0, 10).map((r) => ({ sha: r.sha, repository: r.repository })) };
  const row = rows[0]!;
  const repoId = Number(row.repo_id);
  const bundles = await store.db
    .selectFrom('bundle_commits as bc')
    .innerJoin('bundles as b', 'b.digest', 'bc.digest')
    .select(['b.digest', 'b.signer', 'b.created_at', 'b.received_at', sql<number>`CASE WHEN b.raw IS NULL THEN 0 ELSE 1 END`.as('raw_available')])
    .where('bc.repo_id', '=', repoId)
    .where('bc.sha', '=', row.sha)
    .orderBy('b.received_at')
    .orderBy('b.digest')
    .execute();
  const sessions = await store.db
    .selectFrom('session_commits as sc')
    .innerJoin('sessions as s', 's.id', 'sc.session_pk')
    .select(['s.session_id', 's.agent', 'sc.lines_added', 'sc.ai_lines_added'])
    .where('sc.sha', '=', row.sha)
    .where('s.repo_id', '=', repoId)
    .orderBy('s.session_id')
    .execute();
  const linesAdded = Number(row.lines_added);
  const aiLines = Number(row.ai_lines_added);
  const first = bundles[0];
  return {
    kind: 'found',
    commit: {
      sha: row.sha,
      repository: row.repository,
      author: { name: row.author_name, email: row.author_email, date: row.committed_at },
      lines_added: linesAdded,
      ai_lines_added: aiLines,
      human_lines_added: Math.max(0, linesAdded - aiLines),
      ai_share: linesAdded === 0 ? null : Math.round((aiLines / linesAdded) * 10_000) / 10_000,
      captured: Number(row.captured) === 1,
      sessions: sessions.map((s) => ({ id: s.session_id, agent: s.agent, lines_added: Number(s.lines_added), ai_lines_added: Number(s.ai_lines_added) })),
      verification: {
        status: 'verified',
        verified_by: 'trace server, at ingest (signature, trusted signer for the repository, schema)',
        verified_at: first?.received_at ?? row.received_at,
        signer: first?.signer ?? 'unknown',
        bundles: bundles.map((b) => ({ digest: b.digest, signer: b.signer, created_at: b.created_at, received_at: b.received_at, raw_available: Number(b.raw_available) === 1 })),
      },
      files: [],
      warnings: bundles.length === 0 ? ['the bundles that attested this commit were purged by retention; its figures stay'] : [],
    },
  };
}

/**
 * Initiators' emails that start with `prefix` (as typed, then lowercased; emails are compared as
 * stored), in order, each with its latest activity. One query: a skip scan of the sessions'
 * (initiator_email, last_active_at) index, one probe per distinct email, whatever the number of
 * sessions (grouping the day roll-ups instead took 160–190 ms at 300,000 sessions).
 */
export async function listInitiators(store: ServerDb, prefix: string, limit: number, visible: readonly number[] | undefined): Promise<{ initiator: string; last_active_at: string }[]> {
  if (visible !== undefined && visible.length === 0) return [];
  const found = new Map<string, string>();
  for (const start of new Set([prefix, prefix.toLowerCase()])) {
    for (const row of await emailsFrom(store, start, limit, visible)) found.set(row.initiator, row.last_active_at);
  }
  return [...found]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([initiator, last]) => ({ initiator, last_active_at: last }));
}

/**
 * Distinct emails from `start` on that start with it. SQLite compares bytes, so the first email
 * without the prefix ends the run; a PostgreSQL database with a linguistic collation (en_US:
 * punctuation weighs less) may sort `john.doe@` among `johnd…`, so a few misses are stepped over
 * there before the scan stops.
 */
async function emailsFrom(store: ServerDb, start: string, limit: number, visible: readonly number[] | undefined): Promise<{ initiator: string; last_active_at: string }[]> {
  const misses = store.engine === 'sqlite' ? 1 : 30;
  const scope = visible === undefined ? sql`` : sql` AND s.repo_id IN (${sql.join([...visible])})`;
  const next = (after: ReturnType<typeof sql.ref>) => sql`(SELECT min(s.initiator_email) FROM sessions s WHERE s.initiator_email > ${after})`;
  const result = await sql<{ email: string; last_active_at: string | null }>`
    WITH RECURSIVE e (email, misses) AS (
      SELECT (SELECT min(s.initiator_email) FROM sessions s WHERE s.initiator_email >= ${start}), 0
      UNION ALL
      SELECT ${next(sql.ref('e.email'))},
        CASE WHEN substr(${next(sql.ref('e.email'))}, 1, ${start.length}) = ${start} THEN 0 ELSE e.misses + 1 END
      FROM e WHERE e.email IS NOT NULL AND e.misses < ${misses}
    )
    SELECT e.email, (SELECT max(s.last_active_at) FROM sessions s WHERE s.initiator_email = e.email${scope}) AS last_active_at
    FROM e
    WHERE e.email IS NOT NULL AND substr(e.email, 1, ${start.length}) = ${start}
      AND EXISTS (SELECT 1 FROM sessions s WHERE s.initiator_email = e.email${scope})
    LIMIT ${limit}`.execute(store.db);
  return result.rows.filter((r) => r.last_active_at !== null).map((r) => ({ initiator: r.email, last_active_at: r.last_active_at! }));
}

/** A stored bundle's JSON text, when the reader may see its repository. */
export async function storedBundle(store: ServerDb, digest: string, visible: readonly number[] | undefined): Promise<{ kind: 'found'; raw: string; repository: string } | { kind: 'none' } | { kind: 'dropped'; repository: string; received_at: string }> {
  let query = store.db.selectFrom('bundles as b').innerJoin('repos as r', 'r.id', 'b.repo_id').select(['b.raw', 'b.received_at', 'r.name']).where('b.digest', '=', digest.toLowerCase());
  if (visible !== undefined) query = visible.length === 0 ? query.where(sql<SqlBool>`1 = 0`) : query.where('b.repo_id', 'in', [...visible]);
  const row = await query.executeTakeFirst();
  if (!row) return { kind: 'none' };
  if (row.raw === null) return { kind: 'dropped', repository: row.name, received_at: row.received_at };
  return { kind: 'found', raw: row.raw, repository: row.name };
}

export const EXPORT_MAX_DAYS = 31;
const EXPORT_PAGE = 2000;

/** Every session the filters match, newest first, a keyset page at a time (never the whole list in memory). */
export async function* exportSessions(store: ServerDb, filters: ServerFilters, visible: readonly number[] | undefined): AsyncGenerator<SessionRow & { repository?: string }> {
  let after: string | undefined;
  for (;;) {
    const page = await listServerSessions(store, filters, { limit: EXPORT_PAGE, after, count: 'none', visible, key: 'export' });
    yield* page.sessions;
    if (!page.has_next_page || page.next_cursor === null) return;
    after = page.next_cursor;
  }
}

export const EXPORT_COLUMNS = [
  'id',
  'repository',
  'agent',
  'agent_version',
  'models',
  'initiator_name',
  'initiator_email',
  'branch',
  'started_at',
  'ended_at',
  'last_active_at',
  'duration_s',
  'threads',
  'tool_calls',
  'tool_errors',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'cost_usd',
  'cost_unpriced',
  'commits',
  'lines_added',
  'ai_lines_added',
  'last_prompt',
] as const;

/** One CSV field: quoted when needed; a leading = + - @ is defused with a ' so a spreadsheet does not run it. */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${EXPORT_COLUMNS.join(',')}\r\n`;
}

export function csvLine(s: SessionRow & { repository?: string }): string {
  const values: Record<(typeof EXPORT_COLUMNS)[number], string | number | boolean | null> = {
    id: s.id,
    repository: s.repository ?? null,
    agent: s.agent.name,
    agent_version: s.agent.version,
    models: s.models.join(' '),
    initiator_name: s.initiator.name,
    initiator_email: s.initiator.email,
    branch: s.branch,
    started_at: s.started_at,
    ended_at: s.ended_at,
    last_active_at: s.last_active_at,
    duration_s: s.duration_s,
    threads: s.threads,
    tool_calls: s.tool_calls.total,
    tool_errors: s.tool_calls.errors,
    input_tokens: s.token_usage.input,
    cache_read_tokens: s.token_usage.cache_read,
    cache_write_tokens: s.token_usage.cache_write,
    output_tokens: s.token_usage.output,
    cost_usd: s.cost.usd,
    cost_unpriced: s.cost.unpriced,
    commits: s.code.commits,
    lines_added: s.code.lines_added,
    ai_lines_added: s.code.ai_lines_added,
    last_prompt: s.last_prompt,
  };
  return `${EXPORT_COLUMNS.map((k) => csvField(values[k])).join(',')}\r\n`;
}

/** The export's window: until defaults to now, since to `EXPORT_MAX_DAYS` before it; longer is refused. */
export function exportWindow(since: string | undefined, until: string | undefined, now: Date): { since: string; until: string } {
  const end = until ?? now.toISOString();
  const start = since ?? new Date(Date.parse(end) - EXPORT_MAX_DAYS * 86_400_000).toISOString();
  if (start >= end) throw new TraceError('BAD_ARGUMENT', 'since: must come before until');
  if (Date.parse(end) - Date.parse(start) > EXPORT_MAX_DAYS * 86_400_000) {
    throw new TraceError('BAD_ARGUMENT', `since, until: an export covers at most ${EXPORT_MAX_DAYS} days (asked ${Math.ceil((Date.parse(end) - Date.parse(start)) / 86_400_000)})`, { hint: 'export a longer period in several windows' });
  }
  return { since: start, until: end };
}
