// The local capture store: SQLite (WAL) in `.git/chainloop-trace/trace.db`, shared by parallel hooks.
// File contents are content-addressed by their git blob id and kept as deltas against an earlier
// version of the same file, so a thousand edits of one file cost little more than one copy.
import { appendFileSync, closeSync, existsSync, linkSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as Zlib from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import type { TurnUsage } from './agents/types.js';
import { blobOid } from './core/sha1.js';
import type { CommitAttribution } from './core/types.js';
import { TraceError } from './errors.js';

const SCHEMA_VERSION = 6;
const MAX_DELTA_DEPTH = 64;
/**
 * Blob data up to this size (a small file, or the changed middle of an edit) is kept uncompressed:
 * compressing it would save a few hundred bytes at most, and loading zlib costs a hook about 2 ms.
 */
const RAW_LIMIT = 2048;
/** Past this size `trimWal` checkpoints the WAL into the database and truncates it. */
const WAL_LIMIT_BYTES = 64 * 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blobs (
  oid TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  base TEXT,
  depth INTEGER NOT NULL DEFAULT 0,
  prefix INTEGER NOT NULL DEFAULT 0,
  suffix INTEGER NOT NULL DEFAULT 0,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  agent_version TEXT,
  model TEXT,
  cwd TEXT,
  transcript_path TEXT,
  source TEXT,
  started_at TEXT,
  ended_at TEXT,
  end_reason TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prompts (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  prompt_id TEXT,
  at TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tool_calls (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  tool_use_id TEXT NOT NULL,
  agent_id TEXT,
  tool_name TEXT NOT NULL,
  input_json TEXT,
  started_at TEXT,
  ended_at TEXT,
  status TEXT NOT NULL,
  error TEXT,
  tree_before TEXT,
  UNIQUE (session_id, tool_use_id)
);
CREATE TABLE IF NOT EXISTS file_changes (
  id INTEGER PRIMARY KEY,
  tool_call_id INTEGER NOT NULL REFERENCES tool_calls(id),
  path TEXT NOT NULL,
  before_state TEXT NOT NULL,
  before_oid TEXT,
  after_state TEXT NOT NULL,
  after_oid TEXT,
  skipped TEXT,
  human_gap INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tool_call_id, path)
);
CREATE INDEX IF NOT EXISTS file_changes_path ON file_changes (path, id);
CREATE TABLE IF NOT EXISTS commits (
  sha TEXT PRIMARY KEY,
  attribution TEXT NOT NULL,
  attributed_at TEXT NOT NULL,
  attested_at TEXT
);
CREATE TABLE IF NOT EXISTS commit_files (
  sha TEXT NOT NULL,
  path TEXT NOT NULL,
  blob TEXT,
  has_ai INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (sha, path)
);
CREATE INDEX IF NOT EXISTS commit_files_path ON commit_files (path, seq);
CREATE TABLE IF NOT EXISTS turn_usage (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  at TEXT NOT NULL,
  model TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS turn_usage_session ON turn_usage (session_id, id);
CREATE TABLE IF NOT EXISTS session_files (
  session_id TEXT NOT NULL,
  path TEXT NOT NULL,
  edits INTEGER NOT NULL,
  PRIMARY KEY (session_id, path)
);
CREATE INDEX IF NOT EXISTS session_files_path ON session_files (path, session_id);
CREATE TABLE IF NOT EXISTS session_summaries (
  session_id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  agent_version TEXT,
  hook_model TEXT,
  models_json TEXT,
  author_name TEXT,
  author_email TEXT,
  branch TEXT,
  started_at TEXT,
  ended_at TEXT,
  last_active_at TEXT NOT NULL,
  threads INTEGER NOT NULL DEFAULT 0,
  tool_calls INTEGER NOT NULL DEFAULT 0,
  tool_errors INTEGER NOT NULL DEFAULT 0,
  -- What the agent's records count (prompts and tool calls hooks may not see), when they were read.
  records_threads INTEGER,
  records_tool_calls INTEGER,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER,
  unpriced INTEGER NOT NULL DEFAULT 0,
  commits INTEGER NOT NULL DEFAULT 0,
  lines_added INTEGER NOT NULL DEFAULT 0,
  ai_lines_added INTEGER NOT NULL DEFAULT 0,
  last_prompt TEXT,
  -- Writes since the agent's records were last read into this row (0: up to date).
  dirty INTEGER NOT NULL DEFAULT 1,
  refreshed_at TEXT,
  -- SESSION_SOURCE_COLUMNS (added to older stores by addColumns).
  source TEXT NOT NULL DEFAULT 'local',
  attestation TEXT,
  attested_by TEXT,
  attestation_reason TEXT
);
CREATE INDEX IF NOT EXISTS session_summaries_recent ON session_summaries (last_active_at DESC, session_id DESC);
CREATE INDEX IF NOT EXISTS session_summaries_agent ON session_summaries (agent, last_active_at DESC, session_id DESC);
CREATE INDEX IF NOT EXISTS session_summaries_dirty ON session_summaries (dirty) WHERE dirty > 0;
CREATE INDEX IF NOT EXISTS session_summaries_author ON session_summaries (author_email, last_active_at DESC, session_id DESC);
CREATE INDEX IF NOT EXISTS session_summaries_branch ON session_summaries (branch, last_active_at DESC, session_id DESC);
CREATE INDEX IF NOT EXISTS session_summaries_errors ON session_summaries (last_active_at DESC, session_id DESC) WHERE tool_errors > 0;
CREATE INDEX IF NOT EXISTS session_summaries_unpriced ON session_summaries (last_active_at DESC, session_id DESC) WHERE unpriced = 1;
CREATE INDEX IF NOT EXISTS session_summaries_commits ON session_summaries (last_active_at DESC, session_id DESC) WHERE commits > 0;
CREATE TABLE IF NOT EXISTS session_models (
  session_id TEXT NOT NULL,
  model TEXT NOT NULL,
  PRIMARY KEY (session_id, model)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_models_model ON session_models (model, session_id);
CREATE INDEX IF NOT EXISTS prompts_session ON prompts (session_id, id);
CREATE TABLE IF NOT EXISTS session_commits (
  session_id TEXT NOT NULL,
  sha TEXT NOT NULL,
  lines_added INTEGER NOT NULL,
  ai_lines_added INTEGER NOT NULL,
  PRIMARY KEY (session_id, sha)
);
CREATE INDEX IF NOT EXISTS session_commits_sha ON session_commits (sha);
CREATE TABLE IF NOT EXISTS transcript_cache (
  session_id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  read_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes_index (
  ref TEXT PRIMARY KEY,
  tip TEXT,
  indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes_bundles (
  digest TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  signer_json TEXT,
  reason TEXT,
  base TEXT,
  created_at TEXT,
  indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes_sessions (
  session_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  session_json TEXT NOT NULL,
  commits_json TEXT NOT NULL,
  PRIMARY KEY (session_id, digest)
);
CREATE INDEX IF NOT EXISTS notes_sessions_digest ON notes_sessions (digest);
`;

/**
 * Version 6: where a summary row comes from (`local` capture, or only the `notes` ref: a teammate's
 * attested session) and its attestation (`verified`/`unverified`, by whom, why not), as columns so
 * `--source` filters in the row scan. Indexes on them are made once the columns exist.
 */
const SESSION_SOURCE_COLUMNS: readonly [string, string][] = [
  ['source', "TEXT NOT NULL DEFAULT 'local'"],
  ['attestation', 'TEXT'],
  ['attested_by', 'TEXT'],
  ['attestation_reason', 'TEXT'],
];
const SESSION_SOURCE_INDEXES = `
CREATE INDEX IF NOT EXISTS session_summaries_attested ON session_summaries (last_active_at DESC, session_id DESC) WHERE attestation IS NOT NULL;
CREATE INDEX IF NOT EXISTS session_summaries_local ON session_summaries (last_active_at DESC, session_id DESC) WHERE source = 'local';
`;

/** Adds the version 6 columns a store made by an earlier version lacks (checked, so a re-run is harmless). */
function addColumns(db: BetterSqlite3.Database): void {
  const have = new Set((db.prepare('PRAGMA table_info(session_summaries)').all() as { name: string }[]).map((c) => c.name));
  for (const [name, type] of SESSION_SOURCE_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE session_summaries ADD COLUMN ${name} ${type}`);
  db.exec(SESSION_SOURCE_INDEXES);
}

/**
 * Brings a store written by an earlier version up to SCHEMA_VERSION (run once, after SCHEMA):
 * version 3 names Claude Code `claude-code` (Chainloop's name) instead of `claude`, and keeps each
 * session's edit counts in `session_files`, seeded from the changes still held; version 4 adds
 * `turn_usage`, the tokens agents report in their hooks (created by SCHEMA); version 5 adds the
 * per-session summary rows `trace sessions` lists (kept up to date by every write, filled here once
 * from the rows already held and marked dirty so the first command reads the agents' records) and
 * `session_commits` (filled from the stored attributions by `fillSessionCommits`).
 */
const MIGRATIONS = `
UPDATE sessions SET agent = 'claude-code' WHERE agent = 'claude';
INSERT OR IGNORE INTO session_files (session_id, path, edits)
  SELECT t.session_id, f.path, count(*) FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id
  WHERE f.after_state != 'pending' AND (t.status = 'done' OR f.before_state != f.after_state OR f.before_oid IS NOT f.after_oid)
  GROUP BY t.session_id, f.path;
INSERT OR IGNORE INTO session_summaries (session_id, agent, agent_version, hook_model, started_at, ended_at, last_active_at, threads, tool_calls, tool_errors, last_prompt, dirty)
  SELECT s.id, s.agent, s.agent_version, s.model, s.started_at, s.ended_at,
    coalesce(nullif(max(coalesce((SELECT max(at) FROM prompts p WHERE p.session_id = s.id), ''), coalesce((SELECT max(coalesce(ended_at, started_at)) FROM tool_calls t WHERE t.session_id = s.id), '')), ''), s.started_at, s.updated_at),
    (SELECT count(*) FROM prompts p WHERE p.session_id = s.id),
    (SELECT count(*) FROM tool_calls t WHERE t.session_id = s.id),
    (SELECT count(*) FROM tool_calls t WHERE t.session_id = s.id AND t.status = 'failed'),
    (SELECT text FROM prompts p WHERE p.session_id = s.id ORDER BY id DESC LIMIT 1),
    1
  FROM sessions s;
`;

/** `session_commits` from the attributions stored before version 5 (JSON, so in code rather than SQL). */
function fillSessionCommits(db: BetterSqlite3.Database): void {
  const rows = db.prepare('SELECT attribution FROM commits').all() as { attribution: string }[];
  const sessions = new Set<string>();
  for (const row of rows) {
    const attribution = JSON.parse(row.attribution) as CommitAttribution;
    for (const id of insertSessionCommits(db, attribution)) sessions.add(id);
  }
  for (const id of sessions) recountSessionCode(db, id);
}

/** This commit's lines per session: the AI lines of its ranges, and all added lines of the files it has AI lines in. */
export function sessionLines(attribution: CommitAttribution): Map<string, { linesAdded: number; aiLinesAdded: number }> {
  const out = new Map<string, { linesAdded: number; aiLinesAdded: number }>();
  for (const id of attribution.session_ids) out.set(id, { linesAdded: 0, aiLinesAdded: 0 });
  for (const file of attribution.files) {
    const inFile = new Set<string>();
    for (const range of file.lines) {
      if (range.attribution !== 'ai' || range.session_id === undefined) continue;
      const entry = out.get(range.session_id) ?? { linesAdded: 0, aiLinesAdded: 0 };
      entry.aiLinesAdded += range.end - range.start + 1;
      out.set(range.session_id, entry);
      inFile.add(range.session_id);
    }
    for (const id of inFile) out.get(id)!.linesAdded += file.lines_added;
  }
  return out;
}

function insertSessionCommits(db: BetterSqlite3.Database, attribution: CommitAttribution): string[] {
  const insert = db.prepare('INSERT OR REPLACE INTO session_commits (session_id, sha, lines_added, ai_lines_added) VALUES (?, ?, ?, ?)');
  const lines = sessionLines(attribution);
  for (const [id, entry] of lines) insert.run(id, attribution.sha, entry.linesAdded, entry.aiLinesAdded);
  return [...lines.keys()];
}

/** A session's code figures, from its few `session_commits` rows (written with the commit, not at read time). */
function recountSessionCode(db: BetterSqlite3.Database, sessionId: string): void {
  db.prepare(
    `UPDATE session_summaries SET (commits, lines_added, ai_lines_added) =
       (SELECT count(*), coalesce(sum(lines_added), 0), coalesce(sum(ai_lines_added), 0) FROM session_commits WHERE session_id = ?)
     WHERE session_id = ?`,
  ).run(sessionId, sessionId);
}

/** Agent names as Chainloop spells them; the names earlier versions stored are read as these. */
const AGENT_ALIASES: Readonly<Record<string, string>> = { claude: 'claude-code' };

export function canonicalAgent(name: string): string {
  return AGENT_ALIASES[name] ?? name;
}

/** Content state on one side of a tool call: its blob, absent (file missing or deleted), pending (post not seen yet), or skipped. */
export type ContentState = 'content' | 'absent' | 'pending' | 'skipped' | 'unknown';

export interface SessionRecord {
  id: string;
  agent: string;
  agent_version: string | null;
  model: string | null;
  cwd: string | null;
  transcript_path: string | null;
  source: string | null;
  started_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
  updated_at: string;
}

export interface ToolCallRecord {
  id: number;
  session_id: string;
  tool_use_id: string;
  agent_id: string | null;
  tool_name: string;
  input_json: string | null;
  started_at: string | null;
  ended_at: string | null;
  status: 'pending' | 'done' | 'failed';
  error: string | null;
  tree_before: string | null;
}

export interface FileChangeRecord {
  id: number;
  tool_call_id: number;
  session_id: string;
  path: string;
  before_state: ContentState;
  before_oid: string | null;
  after_state: ContentState;
  after_oid: string | null;
  skipped: string | null;
  human_gap: number;
}

/** The call a change belongs to, as {@link Store.changesForPath} gives it. */
export interface CallOfChange {
  tool_name: string;
  call_started_at: string | null;
  call_ended_at: string | null;
  /** 1 for a shell call (it has a work-tree snapshot), 0 for a file tool. */
  shell: number;
}

export interface SessionUpdate {
  id: string;
  agent: string;
  at: string;
  agent_version?: string | undefined;
  model?: string | undefined;
  cwd?: string | undefined;
  transcript_path?: string | undefined;
  source?: string | undefined;
  started_at?: string | undefined;
  ended_at?: string | undefined;
  end_reason?: string | undefined;
}

/** node:zlib, loaded on first use: most hooks store small data uncompressed and never need it. */
function zlib(): typeof Zlib {
  return process.getBuiltinModule('node:zlib');
}

/**
 * Blob data is raw DEFLATE. Data up to RAW_LIMIT is written as one "stored" block (RFC 1951, 3.2.4):
 * a header and the bytes as they are, which inflates like any DEFLATE stream and needs no zlib here.
 */
function deflate(data: Buffer): Buffer {
  if (data.length > RAW_LIMIT) return zlib().deflateRawSync(data);
  const header = Buffer.from([0x01, data.length & 0xff, data.length >> 8, ~data.length & 0xff, (~data.length >> 8) & 0xff]);
  return Buffer.concat([header, data]);
}

function inflate(data: Buffer): Buffer {
  // One final stored block filling the whole buffer (BFINAL 1, BTYPE 00, then LEN and its complement).
  if (data.length >= 5 && data[0] === 0x01) {
    const length = data.readUInt16LE(1);
    if ((length ^ data.readUInt16LE(3)) === 0xffff && data.length === 5 + length) return data.subarray(5);
  }
  return zlib().inflateRawSync(data);
}

/**
 * How many bytes (at most `max`) `a` and `b` share at their start, or at their end when `fromEnd`.
 * Compared natively, a block and then a halving at a time: a byte loop runs cold on the hot path.
 */
function commonRun(a: Buffer, b: Buffer, max: number, fromEnd: boolean): number {
  const same = (from: number, to: number): boolean =>
    fromEnd ? a.compare(b, b.length - to, b.length - from, a.length - to, a.length - from) === 0 : a.compare(b, from, to, from, to) === 0;
  let run = 0;
  while (run < max) {
    const end = Math.min(run + 4096, max);
    if (same(run, end)) {
      run = end;
      continue;
    }
    // The first difference lies in [run, end): halve the range until it is found.
    let low = run;
    let high = end - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (same(low, middle)) low = middle;
      else high = middle - 1;
    }
    return low;
  }
  return max;
}

/** How many decoded file versions a store keeps at hand (a replay needs the previous one). */
const RECENT_BLOBS = 4;

export function dbPath(stateDir: string): string {
  return join(stateDir, 'trace.db');
}

export interface StoreRecovery {
  /** Where the damaged database now is (its -wal and -shm beside it). */
  movedTo: string;
  /** What SQLite or the file system said about it. */
  reason: string;
  /** One line for people: what happened and the fix. */
  message: string;
}

/** The prefix of a store moved aside: `trace.db.corrupt-<timestamp>`. */
export const CORRUPT_PREFIX = 'trace.db.corrupt-';

/** Errors that mean the file at `path` is damaged (as opposed to locked, or a full disk). */
function isDamage(error: unknown, path: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code === 'SQLITE_CANTOPEN_ISDIR') return true;
  if (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')) return true;
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  }
  return false;
}

/** Held (created exclusively) by the one process moving a damaged store aside. */
const MOVE_LOCK = 'trace.db.moving';
/** A lock older than this was left by a killed process. */
const MOVE_LOCK_STALE_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Renames the damaged database (and its -wal/-shm) to `trace.db.corrupt-<timestamp>`, kept for
 * inspection. Parallel hooks find the same damage: under a lock, only a process that still sees
 * the damaged file (`inode`) moves it; the others get undefined and open the fresh store.
 */
function moveAside(stateDir: string, inode: number, reason: string, now: Date, nativeBinding: string | undefined): StoreRecovery | undefined {
  const lock = join(stateDir, MOVE_LOCK);
  for (let waited = 0; ; waited += 20) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > MOVE_LOCK_STALE_MS || waited > 2 * MOVE_LOCK_STALE_MS) rmSync(lock, { force: true });
      else sleep(20);
    }
  }
  try {
    return moveAsideLocked(stateDir, inode, reason, now, nativeBinding);
  } finally {
    rmSync(lock, { force: true });
  }
}

function moveAsideLocked(stateDir: string, inode: number, reason: string, now: Date, nativeBinding: string | undefined): StoreRecovery | undefined {
  const path = dbPath(stateDir);
  const damaged = statSync(path, { throwIfNoEntry: false });
  if (damaged?.ino !== inode) return undefined;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let target = join(stateDir, `${CORRUPT_PREFIX}${stamp}`);
  for (let n = 2; existsSync(target); n++) target = join(stateDir, `${CORRUPT_PREFIX}${stamp}-${n}`);
  // The fresh store is made whole under another name and renamed over the damaged one, so no other
  // process ever opens a half-made store or makes a second one; the damaged file is kept by a link.
  const fresh = join(stateDir, `trace.db.fresh-${process.pid}`);
  rmSync(fresh, { force: true });
  Store.connect(stateDir, nativeBinding, fresh).close();
  try {
    if (damaged.isDirectory()) renameSync(path, target);
    else {
      try {
        linkSync(path, target);
      } catch {
        renameSync(path, target); // a file system without hard links: a moment with no store at all
      }
    }
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(`${path}${suffix}`)) renameSync(`${path}${suffix}`, `${target}${suffix}`);
    }
    renameSync(fresh, path);
  } finally {
    for (const leftover of [fresh, `${fresh}-wal`, `${fresh}-shm`]) rmSync(leftover, { force: true });
  }
  const message = `the capture store ${path} was damaged (${reason}): moved it to ${target} and started a fresh one; what it held is lost, so commits not yet attested are attested as uncaptured (\`trace doctor\` lists the old file: inspect it, then delete it)`;
  try {
    appendFileSync(join(stateDir, 'log.txt'), `${now.toISOString()} error ${message}\n`);
  } catch {
    // The caller reports it too; a hook must go on.
  }
  return { movedTo: target, reason, message };
}

export class Store {
  readonly db: BetterSqlite3.Database;

  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private constructor(db: BetterSqlite3.Database) {
    this.db = db;
  }

  /**
   * The statement for `sql`, compiled once per store. SQLite frees a statement only when V8 collects
   * its handle, so a statement prepared per call in a loop (one per path of a 30,000-file commit)
   * piles up native memory the garbage collector does not see.
   */
  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * `nativeBinding`: the path of better-sqlite3's compiled addon, which spares the `bindings` package's search for it.
   * A damaged store (not a database, malformed, a directory) is moved aside and a fresh one started:
   * `recovered` then says where the damaged one went, and a line goes to the state's log.
   */
  static open(stateDir: string, options: { nativeBinding?: string | undefined; now?: () => Date } = {}): Store {
    try {
      mkdirSync(stateDir, { recursive: true });
    } catch (cause) {
      throw new TraceError('STORE_FAILED', `cannot open the capture store in ${stateDir}: ${(cause as Error).message}`, { cause });
    }
    const path = dbPath(stateDir);
    const failed = (cause: unknown, extra = ''): TraceError =>
      new TraceError('STORE_FAILED', `cannot open the capture store in ${stateDir}${extra}: ${(cause as Error).message}`, { cause });
    try {
      return Store.connect(stateDir, options.nativeBinding);
    } catch (cause) {
      if (!isDamage(cause, path)) throw failed(cause);
      // Parallel hooks find the same damage: one moves it aside (see moveAside), the others open the fresh store.
      const damaged = statSync(path, { throwIfNoEntry: false });
      let recovered: StoreRecovery | undefined;
      try {
        recovered = damaged ? moveAside(stateDir, damaged.ino, (cause as Error).message, (options.now ?? (() => new Date()))(), options.nativeBinding) : undefined;
      } catch (error) {
        throw failed(cause, ` (it is damaged, and moving it aside failed: ${(error as Error).message})`);
      }
      try {
        const store = Store.connect(stateDir, options.nativeBinding);
        store.recovered = recovered;
        return store;
      } catch (again) {
        throw failed(again, recovered ? ` (even after moving the damaged one to ${recovered.movedTo})` : '');
      }
    }
  }

  /** Set when `open` found the store damaged and started a fresh one. */
  recovered: StoreRecovery | undefined;

  /** Opens (creating or upgrading) the store at `file`, by default the state's `trace.db`. */
  static connect(stateDir: string, nativeBinding: string | undefined, file = dbPath(stateDir)): Store {
    const db = new BetterSqlite3(file, { timeout: 10_000, ...(nativeBinding ? { nativeBinding } : {}) });
    try {
      db.pragma('synchronous = NORMAL');
      if ((db.pragma('user_version', { simple: true }) as number) !== SCHEMA_VERSION) {
        // WAL is a property of the database file: set once here, not on every (hook) open.
        db.pragma('journal_mode = WAL');
        db.transaction(() => {
          const before = db.pragma('user_version', { simple: true }) as number;
          db.exec(SCHEMA);
          db.exec(MIGRATIONS);
          addColumns(db);
          if (before > 0 && before < 5) fillSessionCommits(db);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      } else {
        // Reads the schema: a malformed first page fails here rather than in the middle of a hook.
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      }
      return new Store(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** An empty store in memory: for reading commands in a repository where trace is not set up (nothing is written to it). */
  static openInMemory(): Store {
    const db = new BetterSqlite3(':memory:');
    db.exec(SCHEMA);
    db.exec(SESSION_SOURCE_INDEXES);
    return new Store(db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * For a connection that will not be closed (the hook hot path): closing is what checkpoints the WAL
   * and removes it, and a WAL that only grows makes every later open slower, as the first connection
   * to open the store reads all of it. So once the WAL passes WAL_LIMIT_BYTES, checkpoint it and
   * truncate it, without waiting for other connections: if one is busy, a later hook does it.
   */
  trimWal(): void {
    const size = statSync(`${this.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= WAL_LIMIT_BYTES) return;
    this.db.pragma('busy_timeout = 0');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Runs `fn` in one write transaction, taking the lock up front so parallel hooks queue instead of failing. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- blobs ----

  hasBlob(oid: string): boolean {
    return this.prepare('SELECT 1 FROM blobs WHERE oid = ?').get(oid) !== undefined;
  }

  /**
   * Stores `content` (a delta against `baseOid` when that is smaller) and returns its blob id.
   * `baseContent`, when the caller has it at hand, is the base's content: it spares decoding the base.
   */
  putBlob(content: Buffer, baseOid?: string | null, baseContent?: Buffer): string {
    const oid = blobOid(content);
    if (this.hasBlob(oid)) return oid;
    let row: { base: string | null; depth: number; prefix: number; suffix: number; data: Buffer } | undefined;
    let deflated: Buffer | undefined;
    const whole = () => (deflated ??= deflate(content));
    const baseDepth = baseOid ? (this.prepare('SELECT depth FROM blobs WHERE oid = ?').get(baseOid) as { depth: number } | undefined)?.depth : undefined;
    if (baseOid && baseDepth !== undefined && baseDepth < MAX_DELTA_DEPTH) {
      const base = baseContent ?? this.getBlob(baseOid);
      const prefix = commonRun(base, content, Math.min(base.length, content.length), false);
      const suffix = commonRun(base, content, Math.min(base.length, content.length) - prefix, true);
      const middle = deflate(content.subarray(prefix, content.length - suffix));
      // A small middle is kept as it is (see RAW_LIMIT); a large one only when smaller than the whole.
      if (middle.length <= RAW_LIMIT + 5 || middle.length < whole().length) row = { base: baseOid, depth: baseDepth + 1, prefix, suffix, data: middle };
    }
    row ??= { base: null, depth: 0, prefix: 0, suffix: 0, data: whole() };
    this
      .prepare('INSERT OR IGNORE INTO blobs (oid, size, base, depth, prefix, suffix, data) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(oid, content.length, row.base, row.depth, row.prefix, row.suffix, row.data);
    return oid;
  }

  /** A stored blob's content. */
  getBlob(oid: string): Buffer {
    return Buffer.from(this.getText(oid), 'latin1');
  }

  /**
   * A stored blob's content as a Latin-1 string (one character per byte, so nothing is lost), rebuilt
   * from its delta chain, fetched in one query. Each delta is applied with string slices and
   * concatenation, which V8 does without copying the unchanged parts.
   */
  getText(oid: string): string {
    const cached = this.recent.get(oid);
    if (cached !== undefined) return cached;
    // Replaying a file decodes its versions in order, each a delta of the one before: the chain is
    // walked back only as far as a version decoded recently, or else to its root.
    const chain = this
      .prepare(
        `WITH RECURSIVE chain(n, oid, base, prefix, suffix, size, data) AS (
           SELECT 0, oid, base, prefix, suffix, size, data FROM blobs WHERE oid = ?
           UNION ALL SELECT c.n + 1, b.oid, b.base, b.prefix, b.suffix, b.size, b.data FROM blobs b JOIN chain c ON b.oid = c.base
             WHERE c.oid NOT IN (SELECT value FROM json_each(?))
         )
         SELECT oid, base, prefix, suffix, size, data FROM chain ORDER BY n DESC`,
      )
      .all(oid, JSON.stringify([...this.recent.keys()])) as { oid: string; base: string | null; prefix: number; suffix: number; size: number; data: Buffer }[];
    const first = chain[0];
    const known = first && this.recent.get(first.oid);
    if (!first || (known === undefined && first.base !== null)) throw new TraceError('STORE_FAILED', `blob ${first ? first.base : oid} is missing from the capture store`);
    let text = known ?? inflate(first.data).toString('latin1');
    for (let i = 1; i < chain.length; i++) {
      const delta = chain[i]!;
      text = text.slice(0, delta.prefix) + inflate(delta.data).toString('latin1') + text.slice(text.length - delta.suffix);
    }
    if (text.length !== chain.at(-1)!.size) throw new TraceError('STORE_FAILED', `blob ${oid} in the capture store does not rebuild to its recorded size`);
    this.remember(oid, text);
    return text;
  }

  /** A few recently decoded versions, newest last. */
  private readonly recent = new Map<string, string>();

  private remember(oid: string, text: string): void {
    this.recent.delete(oid);
    this.recent.set(oid, text);
    if (this.recent.size > RECENT_BLOBS) this.recent.delete(this.recent.keys().next().value!);
  }

  // ---- sessions and prompts ----

  upsertSession(update: SessionUpdate): void {
    this
      .prepare(
        `INSERT INTO sessions (id, agent, agent_version, model, cwd, transcript_path, source, started_at, ended_at, end_reason, updated_at)
         VALUES (@id, @agent, @agent_version, @model, @cwd, @transcript_path, @source, @started_at, @ended_at, @end_reason, @at)
         ON CONFLICT (id) DO UPDATE SET
           agent_version = coalesce(excluded.agent_version, agent_version),
           model = coalesce(excluded.model, model),
           cwd = coalesce(cwd, excluded.cwd),
           transcript_path = coalesce(excluded.transcript_path, transcript_path),
           source = coalesce(source, excluded.source),
           started_at = coalesce(started_at, excluded.started_at),
           ended_at = coalesce(excluded.ended_at, ended_at),
           end_reason = coalesce(excluded.end_reason, end_reason),
           updated_at = excluded.updated_at`,
      )
      .run({
        agent_version: null,
        model: null,
        cwd: null,
        transcript_path: null,
        source: null,
        started_at: null,
        ended_at: null,
        end_reason: null,
        ...Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)),
        agent: canonicalAgent(update.agent),
      });
    // The summary row: created with the session, marked dirty (its agent's records changed) on every write.
    this
      .prepare(
        `INSERT INTO session_summaries (session_id, agent, agent_version, hook_model, started_at, ended_at, last_active_at)
         VALUES (@id, @agent, @agent_version, @model, @started_at, @ended_at, coalesce(@started_at, @at))
         ON CONFLICT (session_id) DO UPDATE SET
           agent_version = coalesce(excluded.agent_version, agent_version),
           hook_model = coalesce(excluded.hook_model, hook_model),
           started_at = coalesce(started_at, excluded.started_at),
           ended_at = coalesce(excluded.ended_at, ended_at),
           dirty = dirty + 1,
           -- A session known from the notes (a resumed one, in a fresh clone) is captured here from now on.
           threads = CASE source WHEN 'notes' THEN 0 ELSE threads END,
           tool_calls = CASE source WHEN 'notes' THEN 0 ELSE tool_calls END,
           tool_errors = CASE source WHEN 'notes' THEN 0 ELSE tool_errors END,
           source = 'local'`,
      )
      .run({
        id: update.id,
        agent: canonicalAgent(update.agent),
        agent_version: update.agent_version ?? null,
        model: update.model ?? null,
        started_at: update.started_at ?? null,
        ended_at: update.ended_at ?? null,
        at: update.at,
      });
  }

  /** A prompt or tool call at `at`: the session's last activity, unless a later one is known. */
  private touchSummary(sessionId: string, at: string, set = ''): void {
    this
      .prepare(`UPDATE session_summaries SET last_active_at = max(last_active_at, ?), dirty = dirty + 1${set} WHERE session_id = ?`)
      .run(at, sessionId);
  }

  /** Tokens an agent reported for one turn in a hook payload (agents whose own records lack them). */
  addTurnUsage(sessionId: string, at: string, usage: TurnUsage): void {
    this
      .prepare('INSERT INTO turn_usage (session_id, at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(sessionId, at, usage.model ?? null, usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheWriteTokens);
    this.prepare('UPDATE session_summaries SET dirty = dirty + 1 WHERE session_id = ?').run(sessionId);
  }

  /** The turn usage a session's hooks reported, in order. */
  turnUsage(sessionId: string): (TurnUsage & { at: string })[] {
    const rows = this
      .prepare('SELECT at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM turn_usage WHERE session_id = ? ORDER BY id')
      .all(sessionId) as { at: string; model: string | null; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }[];
    return rows.map((row) => ({
      at: row.at,
      model: row.model ?? undefined,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cacheReadTokens: row.cache_read_tokens,
      cacheWriteTokens: row.cache_write_tokens,
    }));
  }

  addPrompt(sessionId: string, at: string, promptId: string | null, text: string): void {
    this.prepare('INSERT INTO prompts (session_id, prompt_id, at, text) VALUES (?, ?, ?, ?)').run(sessionId, promptId, at, text);
    this
      .prepare('UPDATE session_summaries SET last_active_at = max(last_active_at, ?), threads = threads + 1, last_prompt = ?, dirty = dirty + 1 WHERE session_id = ?')
      .run(at, text, sessionId);
  }

  session(id: string): SessionRecord | undefined {
    const row = this.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRecord | undefined;
    return row && { ...row, agent: canonicalAgent(row.agent) };
  }

  sessions(): SessionRecord[] {
    // Mapped on read too: an older trace sharing this store (another worktree's hooks) may still write `claude`.
    return (this.prepare('SELECT * FROM sessions ORDER BY coalesce(started_at, updated_at)').all() as SessionRecord[]).map((row) => ({ ...row, agent: canonicalAgent(row.agent) }));
  }

  prompts(sessionId: string): { at: string; prompt_id: string | null; text: string }[] {
    return this.prepare('SELECT at, prompt_id, text FROM prompts WHERE session_id = ? ORDER BY id').all(sessionId) as {
      at: string;
      prompt_id: string | null;
      text: string;
    }[];
  }

  // ---- tool calls ----

  /** Records the start of a tool call; a repeated pre hook for the same call keeps the first record. */
  startToolCall(call: { sessionId: string; toolUseId: string; agentId: string | null; toolName: string; inputJson: string | null; at: string; treeBefore?: string | null }): number {
    const inserted = this
      .prepare(
        `INSERT OR IGNORE INTO tool_calls (session_id, tool_use_id, agent_id, tool_name, input_json, started_at, status, tree_before)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(call.sessionId, call.toolUseId, call.agentId, call.toolName, call.inputJson, call.at, call.treeBefore ?? null).changes > 0;
    if (inserted) this.touchSummary(call.sessionId, call.at, ', tool_calls = tool_calls + 1');
    return this.toolCall(call.sessionId, call.toolUseId)!.id;
  }

  toolCall(sessionId: string, toolUseId: string): ToolCallRecord | undefined {
    return this.prepare('SELECT * FROM tool_calls WHERE session_id = ? AND tool_use_id = ?').get(sessionId, toolUseId) as ToolCallRecord | undefined;
  }

  /**
   * Ends a tool call and, the first time, counts its file changes as edits of its session: every
   * change of a call that succeeded, and of a failed one only the files it really changed (a shell
   * command that failed halfway; a failed Edit changes nothing). The counts outlive the changes,
   * which a push prunes.
   */
  finishToolCall(id: number, status: 'done' | 'failed', at: string, error: string | null): void {
    const previous = this.prepare('SELECT session_id, status FROM tool_calls WHERE id = ?').get(id) as { session_id: string; status: ToolCallRecord['status'] } | undefined;
    const first = this.prepare("UPDATE tool_calls SET status = ?, ended_at = ?, error = ? WHERE id = ? AND status = 'pending'").run(status, at, error, id).changes > 0;
    if (previous) {
      const errors = (status === 'failed' ? 1 : 0) - (previous.status === 'failed' ? 1 : 0);
      this.touchSummary(previous.session_id, at, errors === 0 ? '' : `, tool_errors = tool_errors + ${errors}`);
    }
    if (!first) {
      this.prepare('UPDATE tool_calls SET status = ?, ended_at = ?, error = ? WHERE id = ?').run(status, at, error, id);
      return;
    }
    this
      .prepare(
        `INSERT INTO session_files (session_id, path, edits)
         SELECT t.session_id, f.path, 1 FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id
         WHERE f.tool_call_id = ? AND f.after_state != 'pending' AND (t.status = 'done' OR f.before_state != f.after_state OR f.before_oid IS NOT f.after_oid)
         ON CONFLICT (session_id, path) DO UPDATE SET edits = edits + 1`,
      )
      .run(id);
  }

  /** How many times each file was edited in a session (see `finishToolCall`), by path. */
  sessionEdits(sessionId: string): { path: string; edits: number }[] {
    return this.prepare('SELECT path, edits FROM session_files WHERE session_id = ? ORDER BY path').all(sessionId) as { path: string; edits: number }[];
  }

  toolCalls(sessionId: string): ToolCallRecord[] {
    return this.prepare('SELECT * FROM tool_calls WHERE session_id = ? ORDER BY id').all(sessionId) as ToolCallRecord[];
  }

  // ---- file changes ----

  /** The content a path had after the last tool call that touched it, if any. */
  lastAfter(path: string): { state: ContentState; oid: string | null } | undefined {
    const row = this
      .prepare("SELECT after_state, after_oid FROM file_changes WHERE path = ? AND after_state != 'pending' ORDER BY id DESC LIMIT 1")
      .get(path) as { after_state: ContentState; after_oid: string | null } | undefined;
    return row && { state: row.after_state, oid: row.after_oid };
  }

  recordBefore(toolCallId: number, path: string, state: ContentState, oid: string | null, skipped: string | null): void {
    const last = this.lastAfter(path);
    const humanGap = last !== undefined && state !== 'skipped' && (last.state !== state || last.oid !== oid) ? 1 : 0;
    this
      .prepare(
        `INSERT INTO file_changes (tool_call_id, path, before_state, before_oid, after_state, after_oid, skipped, human_gap)
         VALUES (?, ?, ?, ?, 'pending', NULL, ?, ?)
         ON CONFLICT (tool_call_id, path) DO NOTHING`,
      )
      .run(toolCallId, path, state, oid, skipped, humanGap);
  }

  /** Records the content after the call; a post without a pre gets a row whose before is `before` (or unknown). */
  recordAfter(
    toolCallId: number,
    path: string,
    after: { state: ContentState; oid: string | null },
    before: { state: ContentState; oid: string | null },
    skipped: string | null,
  ): void {
    this
      .prepare(
        `INSERT INTO file_changes (tool_call_id, path, before_state, before_oid, after_state, after_oid, skipped)
         VALUES (@toolCallId, @path, @beforeState, @beforeOid, @afterState, @afterOid, @skipped)
         ON CONFLICT (tool_call_id, path) DO UPDATE SET
           after_state = excluded.after_state, after_oid = excluded.after_oid,
           skipped = coalesce(file_changes.skipped, excluded.skipped)`,
      )
      .run({ toolCallId, path, beforeState: before.state, beforeOid: before.oid, afterState: after.state, afterOid: after.oid, skipped });
  }

  fileChange(toolCallId: number, path: string): FileChangeRecord | undefined {
    return this
      .prepare('SELECT f.*, t.session_id FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE f.tool_call_id = ? AND f.path = ?')
      .get(toolCallId, path) as FileChangeRecord | undefined;
  }

  /** Every captured change of `path`, in capture order, with its call's window (for calls that ran at once). */
  changesForPath(path: string): (FileChangeRecord & CallOfChange)[] {
    return this
      .prepare(
        `SELECT f.*, t.session_id, t.tool_name, t.started_at AS call_started_at, t.ended_at AS call_ended_at, t.tree_before IS NOT NULL AS shell
         FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE f.path = ? ORDER BY f.id`,
      )
      .all(path) as (FileChangeRecord & CallOfChange)[];
  }

  /** A tool call's input as the agent gave it (JSON), by the call's row id. */
  toolInput(toolCallId: number): string | null {
    return (this.prepare('SELECT input_json FROM tool_calls WHERE id = ?').get(toolCallId) as { input_json: string | null } | undefined)?.input_json ?? null;
  }

  changesForSession(sessionId: string): FileChangeRecord[] {
    return this
      .prepare('SELECT f.*, t.session_id FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id WHERE t.session_id = ? ORDER BY f.id')
      .all(sessionId) as FileChangeRecord[];
  }

  skippedChanges(): (FileChangeRecord & { tool_name: string; started_at: string | null })[] {
    return this
      .prepare(
        `SELECT f.*, t.session_id, t.tool_name, t.started_at FROM file_changes f JOIN tool_calls t ON t.id = f.tool_call_id
         WHERE f.skipped IS NOT NULL ORDER BY f.id`,
      )
      .all() as (FileChangeRecord & { tool_name: string; started_at: string | null })[];
  }

  // ---- commits ----

  /** Stores a commit's attribution, replacing an earlier one (amend, rebase). */
  saveCommit(attribution: CommitAttribution, blobs: ReadonlyMap<string, string | null>, at: string): void {
    this.write(() => {
      this
        .prepare(
          `INSERT INTO commits (sha, attribution, attributed_at) VALUES (?, ?, ?)
           ON CONFLICT (sha) DO UPDATE SET attribution = excluded.attribution, attributed_at = excluded.attributed_at`,
        )
        .run(attribution.sha, JSON.stringify(attribution), at);
      this.prepare('DELETE FROM commit_files WHERE sha = ?').run(attribution.sha);
      const seq = (this.prepare('SELECT coalesce(max(seq), 0) + 1 AS next FROM commit_files').get() as { next: number }).next;
      const insert = this.prepare('INSERT INTO commit_files (sha, path, blob, has_ai, seq) VALUES (?, ?, ?, ?, ?)');
      for (const file of attribution.files) {
        insert.run(attribution.sha, file.path, blobs.get(file.path) ?? null, file.ai_lines_added > 0 ? 1 : 0, seq);
      }
      // The sessions' code figures: those it named before (an amend) and those it names now.
      const before = (this.prepare('SELECT session_id FROM session_commits WHERE sha = ?').all(attribution.sha) as { session_id: string }[]).map((row) => row.session_id);
      this.prepare('DELETE FROM session_commits WHERE sha = ?').run(attribution.sha);
      const now = insertSessionCommits(this.db, attribution);
      for (const id of new Set([...before, ...now])) recountSessionCode(this.db, id);
    });
  }

  commit(sha: string): CommitAttribution | undefined {
    const row = this.prepare('SELECT attribution FROM commits WHERE sha = ?').get(sha) as { attribution: string } | undefined;
    return row && (JSON.parse(row.attribution) as CommitAttribution);
  }

  /** Attributed commits that changed `path` and carry AI lines there, newest first. */
  commitsWithAiIn(path: string, limit: number): { sha: string; blob: string }[] {
    return this
      .prepare('SELECT sha, blob FROM commit_files WHERE path = ? AND has_ai = 1 AND blob IS NOT NULL ORDER BY seq DESC LIMIT ?')
      .all(path, limit) as { sha: string; blob: string }[];
  }

  commitBlob(sha: string, path: string): string | null {
    const row = this.prepare('SELECT blob FROM commit_files WHERE sha = ? AND path = ?').get(sha, path) as { blob: string | null } | undefined;
    return row?.blob ?? null;
  }

  /** Commits attributed here and not marked attested, newest first (some may since be rewritten away). */
  unattestedCommits(limit: number): { sha: string; attributed_at: string }[] {
    return this.prepare('SELECT sha, attributed_at FROM commits WHERE attested_at IS NULL ORDER BY attributed_at DESC LIMIT ?').all(limit) as { sha: string; attributed_at: string }[];
  }

  markAttested(commits: readonly string[], at: string): void {
    this.write(() => {
      const update = this.prepare('UPDATE commits SET attested_at = ? WHERE sha = ?');
      for (const sha of commits) update.run(at, sha);
    });
  }

  /** Drops the captured changes of `paths` and every blob no remaining change (or delta) needs. */
  pruneCaptures(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.write(() => {
      const remove = this.prepare('DELETE FROM file_changes WHERE path = ?');
      for (const path of paths) remove.run(path);
      this.db.exec(`
        WITH RECURSIVE keep(oid) AS (
          SELECT before_oid FROM file_changes WHERE before_oid IS NOT NULL
          UNION SELECT after_oid FROM file_changes WHERE after_oid IS NOT NULL
          UNION SELECT b.base FROM blobs b JOIN keep k ON b.oid = k.oid WHERE b.base IS NOT NULL
        )
        DELETE FROM blobs WHERE oid NOT IN (SELECT oid FROM keep)`);
    });
  }

  capturedPaths(): string[] {
    return (this.prepare('SELECT DISTINCT path FROM file_changes ORDER BY path').all() as { path: string }[]).map((row) => row.path);
  }
}
