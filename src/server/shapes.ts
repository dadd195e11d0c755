// The org server's answers that the browser pages read too: the repositories, the org dashboard and
// a commit's verdict (types only, no imports: the pages' tsconfig checks this file without Node's types).

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

export interface ServerCommitBundle {
  digest: string;
  signer: string;
  created_at: string;
  received_at: string;
  /** False once content retention dropped the bundle's bytes (GET /api/v1/attestations/:digest is then 404). */
  raw_available: boolean;
}

export interface ServerCommit {
  sha: string;
  repository: string;
  author: { name: string | null; email: string | null; date: string };
  lines_added: number;
  ai_lines_added: number;
  human_lines_added: number;
  ai_share: number | null;
  captured: boolean;
  sessions: { id: string; agent: string; lines_added: number; ai_lines_added: number }[];
  /** Every stored bundle was verified before it was written, so a stored commit is verified. */
  verification: { status: 'verified'; verified_by: string; verified_at: string; signer: string; bundles: ServerCommitBundle[] };
  /** The server keeps counts, not paths or line ranges. */
  files: never[];
  warnings: string[];
}
