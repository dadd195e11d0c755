// The first schema (session-audit.md §7.4, trimmed to what is written and read today): repositories,
// bundles by digest, commits, one summary row per session kept current at ingest, its models,
// commits and threads, and per-day roll-ups recomputed from the summary rows.
import type { Engine } from '../db.js';

export const name = 'initial';

export function statements(engine: Engine): string[] {
  const id = engine === 'postgres' ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
  const big = 'bigint';
  return [
    `CREATE TABLE repos (id ${id}, name text NOT NULL UNIQUE, first_seen_at text NOT NULL)`,
    `CREATE TABLE bundles (digest text PRIMARY KEY, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
      signer text NOT NULL, created_at text NOT NULL, received_at text NOT NULL, size integer NOT NULL, raw text)`,
    'CREATE INDEX bundles_received ON bundles (received_at)',
    `CREATE TABLE commits (repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, sha text NOT NULL,
      author_name text, author_email text, committed_at text NOT NULL, lines_added integer NOT NULL, ai_lines_added integer NOT NULL,
      captured integer NOT NULL, received_at text NOT NULL, PRIMARY KEY (repo_id, sha))`,
    'CREATE INDEX commits_committed ON commits (committed_at)',
    `CREATE TABLE bundle_commits (digest text NOT NULL REFERENCES bundles (digest) ON DELETE CASCADE, repo_id ${big} NOT NULL, sha text NOT NULL,
      PRIMARY KEY (digest, sha))`,
    'CREATE INDEX bundle_commits_sha ON bundle_commits (repo_id, sha)',
    `CREATE TABLE sessions (id ${id}, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, session_id text NOT NULL,
      agent text NOT NULL, agent_version text, models text NOT NULL, initiator_name text, initiator_email text, branch text,
      started_at text, ended_at text, last_active_at text NOT NULL, threads integer NOT NULL, tool_calls integer NOT NULL,
      tool_errors integer NOT NULL, input_tokens ${big} NOT NULL, cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL,
      output_tokens ${big} NOT NULL, cost_micros ${big}, unpriced integer NOT NULL, prices_as_of text, commits integer NOT NULL,
      lines_added integer NOT NULL, ai_lines_added integer NOT NULL, last_prompt text, signer text NOT NULL, snapshot_at text NOT NULL,
      latest_bundle text NOT NULL, updated_at text NOT NULL, UNIQUE (repo_id, session_id))`,
    'CREATE INDEX sessions_recent ON sessions (last_active_at DESC, id DESC)',
    'CREATE INDEX sessions_by_repo ON sessions (repo_id, last_active_at DESC, id DESC)',
    'CREATE INDEX sessions_by_user ON sessions (initiator_email, last_active_at DESC, id DESC)',
    'CREATE INDEX sessions_by_agent ON sessions (agent, last_active_at DESC, id DESC)',
    `CREATE INDEX sessions_sid ON sessions (session_id${engine === 'postgres' ? ' text_pattern_ops' : ''})`,
    `CREATE TABLE session_models (session_pk ${big} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, model text NOT NULL,
      responses integer NOT NULL, input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL, cache_read_tokens ${big} NOT NULL,
      cache_write_tokens ${big} NOT NULL, cost_micros ${big}, PRIMARY KEY (session_pk, model))`,
    'CREATE INDEX session_models_model ON session_models (model, session_pk)',
    `CREATE TABLE session_commits (session_pk ${big} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, sha text NOT NULL,
      lines_added integer NOT NULL, ai_lines_added integer NOT NULL, PRIMARY KEY (session_pk, sha))`,
    'CREATE INDEX session_commits_sha ON session_commits (sha)',
    `CREATE TABLE threads (session_pk ${big} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, idx integer NOT NULL,
      prompt text, prompt_at text, models text NOT NULL, input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL,
      cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL, cost_micros ${big}, unpriced integer NOT NULL,
      tool_calls integer NOT NULL, tool_errors integer NOT NULL, PRIMARY KEY (session_pk, idx))`,
    `CREATE TABLE usage_daily (day text NOT NULL, repo_id ${big} NOT NULL REFERENCES repos (id) ON DELETE CASCADE, initiator text NOT NULL,
      agent text NOT NULL, sessions integer NOT NULL, threads integer NOT NULL, tool_calls integer NOT NULL, tool_errors integer NOT NULL,
      input_tokens ${big} NOT NULL, output_tokens ${big} NOT NULL, cache_read_tokens ${big} NOT NULL, cache_write_tokens ${big} NOT NULL,
      cost_micros ${big} NOT NULL, unpriced_sessions integer NOT NULL, commits integer NOT NULL, lines_added integer NOT NULL,
      ai_lines_added integer NOT NULL, PRIMARY KEY (day, repo_id, initiator, agent))`,
  ];
}
