// The per-day roll-ups the dashboards read, each summed again from the rows it rolls up for the keys
// (repository, day) a write touched: never incremented, so a retried, merged or purged write leaves
// them equal to a recomputation from scratch. usage_daily: sessions by last-active day, initiator
// and agent; people_daily: the same without the agent (the org dashboard's); models_daily: each session's per-model usage by the same day and initiator;
// commits_daily: commits by commit day and author. The initiator/author key is the email, else the
// name, else ''. The SELECTs are fixed text (no input), shared by the migration's backfill.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Engine, ServerDatabase } from './db.js';

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

/**
 * The whole organisation's day (all repositories), summed from the roll-ups above: what the org
 * dashboard reads when no repository filter applies (here half the people rows, and a handful of
 * model rows a day instead of one per repository and person).
 */
interface OrgRollup {
  table: 'people_org_daily' | 'models_org_daily' | 'commits_org_daily';
  columns: string;
  select: string;
  groupBy: string;
}

const PEOPLE_ORG: OrgRollup = {
  table: 'people_org_daily',
  columns: `day, initiator, sessions, threads, tool_calls, tool_errors, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    cost_micros, unpriced_sessions, ai_lines_added`,
  select: `SELECT day, initiator, sum(sessions), sum(threads), sum(tool_calls), sum(tool_errors), sum(input_tokens), sum(output_tokens),
    sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_micros), sum(unpriced_sessions), sum(ai_lines_added) FROM people_daily`,
  groupBy: 'GROUP BY 1, 2',
};

const MODELS_ORG: OrgRollup = {
  table: 'models_org_daily',
  columns: 'day, model, sessions, responses, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_micros, priced_sessions',
  select: `SELECT day, model, sum(sessions), sum(responses), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
    sum(cost_micros), sum(priced_sessions) FROM models_daily`,
  groupBy: 'GROUP BY 1, 2',
};

const COMMITS_ORG: OrgRollup = {
  table: 'commits_org_daily',
  columns: 'day, author, commits, ai_commits, lines_added, ai_lines_added',
  select: 'SELECT day, author, sum(commits), sum(ai_commits), sum(lines_added), sum(ai_lines_added) FROM commits_daily',
  groupBy: 'GROUP BY 1, 2',
};

export const SESSION_ROLLUPS: readonly Rollup[] = [USAGE, PEOPLE, MODELS];
export const COMMIT_ROLLUPS: readonly Rollup[] = [COMMITS];
export const SESSION_ORG_ROLLUPS: readonly OrgRollup[] = [PEOPLE_ORG, MODELS_ORG];
export const COMMIT_ORG_ROLLUPS: readonly OrgRollup[] = [COMMITS_ORG];
/** In the order they are built: the organisation's from the repositories'. */
export const ALL_ROLLUPS: readonly (Rollup | OrgRollup)[] = [USAGE, PEOPLE, MODELS, COMMITS, PEOPLE_ORG, MODELS_ORG, COMMITS_ORG];

/** The namespace of the per-day transaction locks under which the organisation's rows are recomputed. */
const DAY_LOCK = 7_311_503;

/** Every row of a roll-up summed again from scratch (the migration's backfill). */
export function rebuildStatements(rollup: Rollup | OrgRollup): string[] {
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

/**
 * The organisation's rows of these days (per part: its roll-ups and days), deleted and summed
 * again from the repositories' roll-ups (call after `recompute`, in the same transaction).
 * PostgreSQL: under one transaction lock per day, taken in day order after the repository locks,
 * so two repositories' ingests of one day take turns here and each sums the other's committed rows
 * (no deadlock: every writer takes repository locks first, then day locks, each in order).
 */
export async function recomputeOrg(tx: Kysely<ServerDatabase>, engine: Engine, parts: readonly { rollups: readonly OrgRollup[]; days: readonly string[] }[]): Promise<void> {
  const all = [...new Set(parts.flatMap((p) => p.days))].sort();
  if (all.length === 0) return;
  if (engine === 'postgres') {
    const numbers = all.map((day) => Math.round(Date.parse(`${day}T00:00:00.000Z`) / 86_400_000));
    await sql`SELECT pg_advisory_xact_lock(${DAY_LOCK}, t.d) FROM (SELECT d FROM unnest(${numbers}::int[]) AS d ORDER BY d) t`.execute(tx);
  }
  for (const part of parts) {
    const days = [...new Set(part.days)].sort();
    if (days.length === 0) continue;
    const list = sql.join(days.map((v) => sql`${v}`));
    for (const rollup of part.rollups) {
      await sql`DELETE FROM ${sql.table(rollup.table)} WHERE day IN (${list})`.execute(tx);
      await sql`INSERT INTO ${sql.table(rollup.table)} (${sql.raw(rollup.columns)}) ${sql.raw(rollup.select)} WHERE day IN (${list}) ${sql.raw(rollup.groupBy)}`.execute(tx);
    }
  }
}
