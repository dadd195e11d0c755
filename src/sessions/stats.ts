// `trace sessions stats`: totals over the summary rows of a period, beside the previous period of the
// same length, and a breakdown. Sums over one row per session (never over raw events).
import type { Store } from '../store.js';
import { filterSql, type SessionFilters } from './query.js';

export const STATS_BY = ['day', 'week', 'agent', 'model', 'author'] as const;
export type StatsBy = (typeof STATS_BY)[number];

export interface StatsFigures {
  sessions: number;
  active_authors: number;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  /** tool_errors / tool_calls, 0 when there were no calls. */
  error_rate: number;
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  cost_usd: number;
  /** Sessions with usage of a model without a price (cost_usd leaves it out). */
  unpriced_sessions: number;
  commits: number;
  lines_added: number;
  ai_lines_added: number;
  /** ai_lines_added / lines_added over the sessions' commits, null without committed lines. */
  ai_share: number | null;
  /** Distinct commits with at least one AI line from these sessions (`commits` counts a commit once per session). */
  ai_commits: number;
}

/** A tool's calls in a period, as the hooks recorded them (calls only the agent's records show are not here). */
export interface ToolFigures {
  tool: string;
  calls: number;
  errors: number;
  /** errors / calls. */
  error_rate: number;
  sessions: number;
}

/** How many tools `top_tools` lists. */
export const TOP_TOOLS = 10;

const FIGURES_SQL = `count(*) AS sessions, count(DISTINCT coalesce(s.author_email, s.author_name)) AS active_authors,
  coalesce(sum(max(s.threads, coalesce(s.records_threads, 0))), 0) AS threads, coalesce(sum(max(s.tool_calls, coalesce(s.records_tool_calls, 0))), 0) AS tool_calls,
  coalesce(sum(s.tool_errors), 0) AS tool_errors, coalesce(sum(s.input_tokens), 0) AS input, coalesce(sum(s.cache_read_tokens), 0) AS cache_read,
  coalesce(sum(s.cache_write_tokens), 0) AS cache_write, coalesce(sum(s.output_tokens), 0) AS output, coalesce(sum(s.cost_micros), 0) AS cost_micros,
  coalesce(sum(s.unpriced), 0) AS unpriced, coalesce(sum(s.commits), 0) AS commits, coalesce(sum(s.lines_added), 0) AS lines_added, coalesce(sum(s.ai_lines_added), 0) AS ai_lines_added`;

export type FigureRow = Record<'sessions' | 'active_authors' | 'threads' | 'tool_calls' | 'tool_errors' | 'input' | 'cache_read' | 'cache_write' | 'output' | 'cost_micros' | 'unpriced' | 'commits' | 'lines_added' | 'ai_lines_added', number>;

const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

export function figures(row: FigureRow, aiCommits: number): StatsFigures {
  return {
    sessions: row.sessions,
    active_authors: row.active_authors,
    threads: row.threads,
    tool_calls: row.tool_calls,
    tool_errors: row.tool_errors,
    error_rate: rate(row.tool_errors, row.tool_calls),
    token_usage: { input: row.input, cache_read: row.cache_read, cache_write: row.cache_write, output: row.output },
    cost_usd: row.cost_micros / 1e6,
    unpriced_sessions: row.unpriced,
    commits: row.commits,
    lines_added: row.lines_added,
    ai_lines_added: row.ai_lines_added,
    ai_share: row.lines_added === 0 ? null : Math.round((row.ai_lines_added / row.lines_added) * 10_000) / 10_000,
    ai_commits: aiCommits,
  };
}

export interface StatsResult {
  period: { since: string; until: string };
  previous_period: { since: string; until: string };
  current: StatsFigures;
  previous: StatsFigures;
  /** (current - previous) / previous per figure, null when the previous is 0. */
  change: Record<string, number | null>;
  by: StatsBy | null;
  /** Breakdown rows carry ai_commits 0: a commit is counted once per period, not per group. */
  breakdown: ({ key: string } & StatsFigures)[];
  /** The period's most called tools (hook-recorded calls), most calls first. */
  top_tools: ToolFigures[];
}

const GROUP_KEY: Record<StatsBy, string> = {
  day: 'substr(s.last_active_at, 1, 10)',
  week: "strftime('%Y-W%W', s.last_active_at)",
  agent: 's.agent',
  model: 'm.model',
  author: "coalesce(s.author_email, s.author_name, '(unknown)')",
};

/** (now - before) / before per key, to four decimals; null where either is null or before is 0. */
export function relativeChange(now: Record<string, number | null>, before: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.keys(now).map((key) => {
    const a = now[key] ?? null;
    const b = before[key] ?? null;
    return [key, a === null || b === null || b === 0 ? null : Math.round(((a - b) / b) * 10_000) / 10_000];
  }));
}

export function changeOf(current: StatsFigures, previous: StatsFigures): Record<string, number | null> {
  const flat = (f: StatsFigures): Record<string, number | null> => ({
    sessions: f.sessions,
    active_authors: f.active_authors,
    threads: f.threads,
    commits: f.commits,
    ai_commits: f.ai_commits,
    tool_calls: f.tool_calls,
    error_rate: f.error_rate,
    tokens: f.token_usage.input + f.token_usage.cache_read + f.token_usage.cache_write + f.token_usage.output,
    cost_usd: f.cost_usd,
    ai_lines_added: f.ai_lines_added,
    ai_share: f.ai_share,
  });
  return relativeChange(flat(current), flat(previous));
}

export function sessionStats(store: Store, filters: SessionFilters, period: { since: string; until: string }, by: StatsBy | undefined): StatsResult {
  const length = Date.parse(period.until) - Date.parse(period.since);
  const previousPeriod = { since: new Date(Date.parse(period.since) - length).toISOString(), until: period.since };
  const { where, params } = filterSql({ ...filters, since: undefined, until: undefined });
  const inPeriod = [...where, 's.last_active_at >= ?', 's.last_active_at < ?'].join(' AND ');
  const run = (p: { since: string; until: string }) => {
    const aiCommits = store.db
      .prepare(`SELECT count(DISTINCT sc.sha) AS n FROM session_summaries s JOIN session_commits sc ON sc.session_id = s.session_id WHERE ${inPeriod} AND s.commits > 0 AND sc.ai_lines_added > 0`)
      .get(...params, p.since, p.until) as { n: number };
    return figures(store.db.prepare(`SELECT ${FIGURES_SQL} FROM session_summaries s WHERE ${inPeriod}`).get(...params, p.since, p.until) as FigureRow, aiCommits.n);
  };
  const current = run(period);
  const previous = run(previousPeriod);
  let breakdown: StatsResult['breakdown'] = [];
  if (by) {
    const from = by === 'model' ? 'session_summaries s JOIN session_models m ON m.session_id = s.session_id' : 'session_summaries s';
    const rows = store.db
      .prepare(`SELECT ${GROUP_KEY[by]} AS grp, ${FIGURES_SQL} FROM ${from} WHERE ${inPeriod} GROUP BY grp ORDER BY ${by === 'day' || by === 'week' ? 'grp' : 'sessions DESC, grp'}`)
      .all(...params, period.since, period.until) as (FigureRow & { grp: string | null })[];
    breakdown = rows.map((row) => ({ key: row.grp ?? '(unknown)', ...figures(row, 0) }));
  }
  // The one figure read from raw rows (no summary holds calls per tool): the period's calls, grouped by tool.
  const tools = store.db
    .prepare(
      `SELECT t.tool_name AS tool, count(*) AS calls, sum(t.status = 'failed') AS errors, count(DISTINCT t.session_id) AS sessions
       FROM session_summaries s JOIN tool_calls t ON t.session_id = s.session_id WHERE ${inPeriod} GROUP BY t.tool_name ORDER BY calls DESC, tool LIMIT ${TOP_TOOLS}`,
    )
    .all(...params, period.since, period.until) as { tool: string; calls: number; errors: number; sessions: number }[];
  const top_tools = tools.map((t) => ({ tool: t.tool, calls: t.calls, errors: t.errors, error_rate: rate(t.errors, t.calls), sessions: t.sessions }));
  return { period, previous_period: previousPeriod, current, previous, change: changeOf(current, previous), by: by ?? null, breakdown, top_tools };
}
