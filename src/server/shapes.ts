// The org server's answers that the browser pages read too (types only, no imports: the pages'
// tsconfig checks this file without Node's types).

export interface RepositoryEntry {
  name: string;
  first_seen_at: string;
  sessions: number;
  commits: number;
  cost_usd: number;
  lines_added: number;
  ai_lines_added: number;
  /** AI lines of the committed lines, 0..1; null without committed lines. */
  ai_share: number | null;
  last_active_day: string | null;
}

export interface OrgFigures {
  sessions: number;
  active_users: number;
  threads: number;
  tool_calls: number;
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  cost_usd: number;
  unpriced_sessions: number;
  ai_assisted_commits: number;
  commits: number;
  lines_added: number;
  ai_lines_added: number;
  ai_share: number | null;
}

export interface OrgStats {
  period: { since: string; until: string };
  previous_period: { since: string; until: string };
  current: OrgFigures;
  previous: OrgFigures;
  change: Record<string, number | null>;
  top_users: { initiator: string; sessions: number; cost_usd: number; ai_lines_added: number }[];
  models: { model: string; sessions: number; cost_usd: number | null; tokens: number }[];
}
