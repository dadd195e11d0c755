// Roll-ups for the org dashboard, so it never groups per-session rows over its window: usage by day
// and person (people_daily: usage_daily without the agent, a third of its rows), models by day
// (models_daily) and commits by day (commits_daily), each per repository and initiator/author so
// the dashboard's filters read them too; and the guard's denials per session (sessions.guard_denied,
// the `has=denied` filter). An existing database is upgraded in place: the new roll-ups, and
// usage_daily again (earlier purges left it behind), are summed from the rows already held.
import type { Engine } from '../db.js';
import { ALL_ROLLUPS, rebuildStatements } from '../rollups.js';

export const name = 'rollups';

export function statements(_engine: Engine): string[] {
  const big = 'bigint';
  return [
    `CREATE TABLE people_daily (day text NOT NULL, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, initiator text NOT NULL,
      sessions integer NOT NULL, threads integer NOT NULL, tool_calls integer NOT NULL, tool_errors integer NOT NULL, input_tokens ${big} NOT NULL,
      output_tokens ${big} NOT NULL, cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL, cost_micros ${big} NOT NULL,
      unpriced_sessions integer NOT NULL, ai_lines_added ${big} NOT NULL, PRIMARY KEY (day, repo_id, initiator))`,
    `CREATE TABLE models_daily (day text NOT NULL, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, initiator text NOT NULL,
      model text NOT NULL, sessions integer NOT NULL, responses ${big} NOT NULL, input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL,
      cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL, cost_micros ${big} NOT NULL, priced_sessions integer NOT NULL,
      PRIMARY KEY (day, repo_id, initiator, model))`,
    `CREATE TABLE commits_daily (day text NOT NULL, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, author text NOT NULL,
      commits integer NOT NULL, ai_commits integer NOT NULL, lines_added ${big} NOT NULL, ai_lines_added ${big} NOT NULL,
      PRIMARY KEY (day, repo_id, author))`,
    // The same, the whole organisation's (every repository): what the unfiltered dashboard reads.
    `CREATE TABLE people_org_daily (day text NOT NULL, initiator text NOT NULL, sessions integer NOT NULL, threads integer NOT NULL,
      tool_calls integer NOT NULL, tool_errors integer NOT NULL, input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL,
      cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL, cost_micros ${big} NOT NULL, unpriced_sessions integer NOT NULL,
      ai_lines_added ${big} NOT NULL, PRIMARY KEY (day, initiator))`,
    `CREATE TABLE models_org_daily (day text NOT NULL, model text NOT NULL, sessions integer NOT NULL, responses ${big} NOT NULL,
      input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL, cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL,
      cost_micros ${big} NOT NULL, priced_sessions integer NOT NULL, PRIMARY KEY (day, model))`,
    `CREATE TABLE commits_org_daily (day text NOT NULL, author text NOT NULL, commits integer NOT NULL, ai_commits integer NOT NULL,
      lines_added ${big} NOT NULL, ai_lines_added ${big} NOT NULL, PRIMARY KEY (day, author))`,
    'ALTER TABLE sessions ADD COLUMN guard_denied integer NOT NULL DEFAULT 0',
    // Denials are rare: the filter walks only the sessions that have some, newest first.
    'CREATE INDEX sessions_denied ON sessions (last_active_at DESC, id DESC) WHERE guard_denied > 0',
    ...ALL_ROLLUPS.flatMap(rebuildStatements),
  ];
}
