// The server's storage: one Kysely instance over PostgreSQL (`pg`) or an embedded SQLite file
// (better-sqlite3). Times are ISO 8601 UTC text in both engines (they sort as they compare), numbers
// are integers (costs in micro-dollars), flags 0/1, lists JSON text: one schema, one set of queries.
import { Kysely, PostgresDialect, SqliteDialect, sql, type Generated } from 'kysely';
import { TraceError, errorMessage } from '../errors.js';
import { isPostgresUrl } from './config.js';

export type Engine = 'postgres' | 'sqlite';

export interface ReposTable {
  id: Generated<number>;
  name: string;
  first_seen_at: string;
}

export interface BundlesTable {
  digest: string;
  repo_id: number;
  signer: string;
  created_at: string;
  received_at: string;
  size: number;
  /** The bundle JSON; null once content retention dropped it. */
  raw: string | null;
}

export interface CommitsTable {
  repo_id: number;
  sha: string;
  author_name: string | null;
  author_email: string | null;
  committed_at: string;
  lines_added: number;
  ai_lines_added: number;
  captured: number;
  received_at: string;
}

export interface BundleCommitsTable {
  digest: string;
  repo_id: number;
  sha: string;
}

export interface SessionsTable {
  id: Generated<number>;
  repo_id: number;
  session_id: string;
  agent: string;
  agent_version: string | null;
  models: string;
  initiator_name: string | null;
  initiator_email: string | null;
  branch: string | null;
  started_at: string | null;
  ended_at: string | null;
  last_active_at: string;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_micros: number | null;
  unpriced: number;
  prices_as_of: string | null;
  commits: number;
  lines_added: number;
  ai_lines_added: number;
  last_prompt: string | null;
  /** Who signed the newest attestation of the session (JSON, the sessions API's `attestation.signer`). */
  signer: string;
  /** created_at of the attestation whose usage snapshot the row holds (newest wins). */
  snapshot_at: string;
  latest_bundle: string;
  updated_at: string;
  /** Tool calls the guard denied (decisions with outcome deny), from the newest attestation that carries the guard's record. */
  guard_denied: number;
}

export interface SessionModelsTable {
  session_pk: number;
  model: string;
  responses: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number | null;
}

export interface SessionCommitsTable {
  session_pk: number;
  sha: string;
  lines_added: number;
  ai_lines_added: number;
}

export interface ThreadsTable {
  session_pk: number;
  idx: number;
  prompt: string | null;
  prompt_at: string | null;
  models: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number | null;
  unpriced: number;
  tool_calls: number;
  tool_errors: number;
}

export interface ToolCallsTable {
  session_pk: number;
  seq: number;
  thread_idx: number | null;
  tool_use_id: string;
  tool: string;
  /** JSON; null once content retention emptied it. */
  input: string | null;
  at: string | null;
  status: string;
  error: string | null;
  /** The guard's decision (JSON StepGuard), when not a plain allow. */
  guard: string | null;
}

export interface UsageDailyTable {
  day: string;
  repo_id: number;
  initiator: string;
  agent: string;
  sessions: number;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number;
  unpriced_sessions: number;
  commits: number;
  lines_added: number;
  ai_lines_added: number;
}

export interface PeopleDailyTable {
  day: string;
  repo_id: number;
  initiator: string;
  sessions: number;
  threads: number;
  tool_calls: number;
  tool_errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_micros: number;
  unpriced_sessions: number;
  ai_lines_added: number;
}

export interface ModelsDailyTable {
  day: string;
  repo_id: number;
  initiator: string;
  model: string;
  sessions: number;
  responses: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Summed over the priced sessions; `priced_sessions` 0: no price at all. */
  cost_micros: number;
  priced_sessions: number;
}

export interface CommitsDailyTable {
  day: string;
  repo_id: number;
  author: string;
  commits: number;
  ai_commits: number;
  lines_added: number;
  ai_lines_added: number;
}

/** The organisation's roll-ups: the repositories' summed per day (and person, model, author). */
export type PeopleOrgDailyTable = Omit<PeopleDailyTable, 'repo_id'>;
export type ModelsOrgDailyTable = Omit<ModelsDailyTable, 'repo_id' | 'initiator'>;
export type CommitsOrgDailyTable = Omit<CommitsDailyTable, 'repo_id'>;

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface ServerDatabase {
  repos: ReposTable;
  bundles: BundlesTable;
  commits: CommitsTable;
  bundle_commits: BundleCommitsTable;
  sessions: SessionsTable;
  session_models: SessionModelsTable;
  session_commits: SessionCommitsTable;
  threads: ThreadsTable;
  tool_calls: ToolCallsTable;
  usage_daily: UsageDailyTable;
  people_daily: PeopleDailyTable;
  models_daily: ModelsDailyTable;
  commits_daily: CommitsDailyTable;
  people_org_daily: PeopleOrgDailyTable;
  models_org_daily: ModelsOrgDailyTable;
  commits_org_daily: CommitsOrgDailyTable;
  schema_migrations: MigrationsTable;
}

export interface ServerDb {
  db: Kysely<ServerDatabase>;
  engine: Engine;
  close(): Promise<void>;
}

/** Opens (creates, for SQLite) the database; nothing is read until the first query. */
export async function openServerDb(database: string): Promise<ServerDb> {
  if (isPostgresUrl(database)) {
    const pg = (await import('pg')).default;
    // int8 (counts, sums, ids) as numbers: they stay far below 2^53 here.
    const toNumber = (value: string): number => Number(value);
    const types = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === 20 || oid === 1700 ? toNumber : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format))) as typeof pg.types.getTypeParser,
    };
    const pool = new pg.Pool({ connectionString: database, max: 10, types });
    pool.on('error', () => undefined); // an idle client dropped by the server; the next query reconnects
    const db = new Kysely<ServerDatabase>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  const { default: Database } = await import('better-sqlite3');
  let sqlite: InstanceType<typeof Database>;
  try {
    sqlite = new Database(database);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `cannot open the SQLite database ${database}: ${errorMessage(cause)}`, { cause, hint: 'set database: in trace-server.yml to a writable file, or a postgres:// URL' });
  }
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<ServerDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: 'sqlite', close: () => db.destroy() };
}

/**
 * A transaction that writes. SQLite: `BEGIN IMMEDIATE`, so it waits (busy_timeout) for the file's
 * write lock up front; a deferred one that read first could not upgrade while another process
 * writes, and would fail with "database is locked" instead of waiting.
 */
export async function writeTransaction<T>(store: ServerDb, work: (tx: Kysely<ServerDatabase>) => Promise<T>): Promise<T> {
  if (store.engine === 'postgres') return store.db.transaction().execute(work);
  return store.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
