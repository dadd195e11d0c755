// The per-day roll-ups the dashboards read, each summed again from the rows it rolls up for the keys
// (repository, day) a write touched: never incremented, so a retried, merged or purged write leaves
// them equal to a recomputation from scratch. usage_daily: sessions by last-active day, initiator
// and agent; people_daily: the same without the agent (the org dashboard's); models_daily: each session's per-model usage by the same day and initiator;
// commits_daily: commits by commit day and author. The initiator/author key is the email, else the
// name, else ''. The SELECTs are fixed text (no input), shared by the migration's backfill.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { ServerDatabase } from './db.js';

interface Rollup {
  table: 'usage_daily' | 'people_daily' | 'models_daily' | 'commits_daily';
  columns: string;
  select: string;
  /** The time column whose UTC day is the key, and the repository column. */
  time: string;
  repo: string;
  groupBy: string;
}

const USAGE: Rollup = {
  table: 'usage_daily',
  columns: `day, repo_id, initiator, agent, sessions, threads, tool_calls, tool_errors, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, cost_micros, unpriced_sessions, commits, lines_added, ai_lines_added`,
  select: `SELECT substr(s.last_active_at, 1, 10), s.repo_id, coalesce(s.initiator_email, s.initiator_name, ''), s.agent, count(*), sum(s.threads),
    sum(s.tool_calls), sum(s.tool_errors), sum(s.input_tokens), sum(s.output_tokens), sum(s.cache_read_tokens), sum(s.cache_write_tokens),
    coalesce(sum(s.cost_micros), 0), sum(s.unpriced), sum(s.commits), sum(s.lines_added), sum(s.ai_lines_added)
    FROM sessions s`,
  time: 's.last_active_at',
  repo: 's.repo_id',
  groupBy: 'GROUP BY 1, 2, 3, 4',
};

/** usage_daily without the agent: what the org dashboard sums and ranks (a third of the rows when people use three agents). */
const PEOPLE: Rollup = {
  table: 'people_daily',
  columns: `day, repo_id, initiator, sessions, threads, tool_calls, tool_errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    cost_micros, unpriced_sessions, ai_lines_added`,
  select: `SELECT substr(s.last_active_at, 1, 10), s.repo_id, coalesce(s.initiator_email, s.initiator_name, ''), count(*), sum(s.threads),
    sum(s.tool_calls), sum(s.tool_errors), sum(s.input_tokens), sum(s.output_tokens), sum(s.cache_read_tokens), sum(s.cache_write_tokens),
    coalesce(sum(s.cost_micros), 0), sum(s.unpriced), sum(s.ai_lines_added)
    FROM sessions s`,
  time: 's.last_active_at',
  repo: 's.repo_id',
  groupBy: 'GROUP BY 1, 2, 3',
};

const MODELS: Rollup = {
  table: 'models_daily',
  columns: 'day, repo_id, initiator, model, sessions, responses, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, priced_sessions',
  select: `SELECT substr(s.last_active_at, 1, 10), s.repo_id, coalesce(s.initiator_email, s.initiator_name, ''), m.model, count(*), sum(m.responses),
    sum(m.input_tokens), sum(m.output_tokens), sum(m.cache_read_tokens), sum(m.cache_write_tokens), coalesce(sum(m.cost_micros), 0), count(m.cost_micros)
    FROM session_models m JOIN sessions s ON s.id = m.session_pk`,
  time: 's.last_active_at',
  repo: 's.repo_id',
  groupBy: 'GROUP BY 1, 2, 3, 4',
};

const COMMITS: Rollup = {
  table: 'commits_daily',
  columns: 'day, repo_id, author, commits, ai_commits, lines_added, ai_lines_added',
  select: `SELECT substr(c.committed_at, 1, 10), c.repo_id, coalesce(c.author_email, c.author_name, ''), count(*),
    sum(CASE WHEN c.ai_lines_added > 0 THEN 1 ELSE 0 END), sum(c.lines_added), sum(c.ai_lines_added)
    FROM commits c`,
  time: 'c.committed_at',
  repo: 'c.repo_id',
  groupBy: 'GROUP BY 1, 2, 3',
};

export const SESSION_ROLLUPS: readonly Rollup[] = [USAGE, PEOPLE, MODELS];
export const COMMIT_ROLLUPS: readonly Rollup[] = [COMMITS];
export const ALL_ROLLUPS: readonly Rollup[] = [USAGE, PEOPLE, MODELS, COMMITS];

/** Every row of a roll-up summed again from scratch (the migration's backfill). */
export function rebuildStatements(rollup: Rollup): string[] {
  return [`DELETE FROM ${rollup.table}`, `INSERT INTO ${rollup.table} (${rollup.columns}) ${rollup.select} ${rollup.groupBy}`];
}

export interface RollupKeys {
  repoIds: readonly number[];
  /** UTC days, YYYY-MM-DD. */
  days: readonly string[];
}

const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();

/**
 * The roll-up rows of these repositories on these days, deleted and summed again from their source
 * rows (every repository × day pair: callers pass the few a write touched). Runs in the caller's
 * transaction, after its writes.
 */
export async function recompute(tx: Kysely<ServerDatabase>, rollups: readonly Rollup[], keys: RollupKeys): Promise<void> {
  const days = [...new Set(keys.days)].sort();
  const repoIds = [...new Set(keys.repoIds)].sort((a, b) => a - b);
  if (days.length === 0 || repoIds.length === 0) return;
  const list = (values: readonly (string | number)[]): RawBuilder<unknown> => sql.join(values.map((v) => sql`${v}`));
  for (const rollup of rollups) {
    const time = sql.raw(rollup.time);
    const inDays = sql.join<SqlBool>(
      days.map((day) => sql<SqlBool>`(${time} >= ${`${day}T00:00:00.000Z`} AND ${time} < ${nextDay(day)})`),
      sql` OR `,
    );
    await sql`DELETE FROM ${sql.table(rollup.table)} WHERE day IN (${list(days)}) AND repo_id IN (${list(repoIds)})`.execute(tx);
    await sql`INSERT INTO ${sql.table(rollup.table)} (${sql.raw(rollup.columns)}) ${sql.raw(rollup.select)}
      WHERE ${sql.raw(rollup.repo)} IN (${list(repoIds)}) AND (${inDays}) ${sql.raw(rollup.groupBy)}`.execute(tx);
  }
}
