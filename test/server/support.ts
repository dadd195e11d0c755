// Helpers for the server tests: key-signed bundles made with the project's own statement and signing
// code, a store on either engine, and the in-process app.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
// @ts-expect-error plain JavaScript shared with the bench
import { postgresBin, startCluster } from '../../scripts/pg-cluster.mjs';
import { buildStatement } from '../../src/core/predicate.js';
import type { CommitAttribution } from '../../src/core/types.js';
import { loadOrCreateKey, type SigningKey } from '../../src/signing/key.js';
import { signStatement } from '../../src/signing/sign.js';

export const randomSha = (): string => randomBytes(20).toString('hex');

export type Engine = 'sqlite' | 'postgres';

interface Cluster {
  createDatabase(prefix?: string): Promise<string>;
  stop(): void;
}

export interface ServerBed {
  /** SQLite always; PostgreSQL when installed here, and always in CI (where a missing one fails instead of skipping). */
  engines: Engine[];
  /** The suite's temporary directory (made before `prepare` runs, removed after the suite). */
  readonly dir: string;
  /** A fresh, empty database: a new SQLite file, or a new database in the suite's throwaway cluster. */
  database(engine: Engine): Promise<string>;
}

/**
 * What every server suite stands on: the engines, a temporary directory, and a throwaway PostgreSQL
 * cluster started once for the suite when it runs on PostgreSQL. Registers the suite's beforeAll
 * (then `prepare`, e.g. signing keys in the directory) and afterAll.
 */
export function serverBed(name: string, prepare?: (dir: string) => Promise<void>): ServerBed {
  const engines: Engine[] = ['sqlite'];
  if ((postgresBin as () => string | undefined)() !== undefined || process.env.CI) engines.push('postgres');
  else console.warn(`${name} tests: PostgreSQL not installed here, only SQLite is tested (CI fails instead)`);
  let dir: string | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `trace-${name}-`));
    await prepare?.(dir);
    if (engines.includes('postgres')) cluster = await (startCluster as () => Promise<Cluster>)();
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    engines,
    get dir() {
      if (dir === undefined) throw new Error('serverBed: the directory exists once the suite started');
      return dir;
    },
    database: async (engine) => (engine === 'postgres' ? cluster!.createDatabase(name.replace(/\W/g, '_')) : join(mkdtempSync(join(dir!, 'sqlite-')), 'server.sqlite')),
  };
}

export interface SessionSpec {
  id: string;
  agent?: string;
  model?: string;
  startedAt: string;
  endedAt: string;
  prompts?: string[];
  inputTokens?: number;
  costUsd?: number;
  toolErrors?: number;
}

export interface BundleSpec {
  repository: string;
  createdAt: string;
  /** Each commit's AI lines go to these sessions, in turn. */
  sessions: SessionSpec[];
  commits?: number;
  author?: { name: string; email: string };
  shas?: string[];
  /** The guard's record: denied calls per session id (each a decision with outcome deny). */
  denials?: Record<string, number>;
}

export function commitAttribution(sha: string, sessionId: string | undefined, author: { name: string; email: string }, date: string): CommitAttribution {
  const lines = sessionId ? [{ start: 1, end: 6, attribution: 'ai' as const, session_id: sessionId }, { start: 7, end: 10, attribution: 'human' as const }] : [{ start: 1, end: 10, attribution: 'human' as const }];
  return {
    sha,
    parents: [],
    author: { ...author, date },
    captured: true,
    session_ids: sessionId ? [sessionId] : [],
    files: [
      {
        path: `src/${sha.slice(0, 6)}.ts`,
        status: 'created',
        lines_added: 10,
        lines_removed: 0,
        ai_lines_added: sessionId ? 6 : 0,
        ai_lines_removed: 0,
        human_lines_added: sessionId ? 4 : 10,
        human_lines_removed: 0,
        lines,
      },
    ],
  } as unknown as CommitAttribution;
}

function sessionObject(s: SessionSpec, commits: string[]): object {
  const model = s.model ?? 'claude-opus-4-5';
  const prompts = s.prompts ?? ['add the feature'];
  const input = s.inputTokens ?? 1000;
  const cost = s.costUsd ?? 0.5;
  const started = Date.parse(s.startedAt);
  return {
    schema_version: '0.1',
    agent: { name: s.agent ?? 'claude-code', version: '2.1.0' },
    session: { id: s.id, started_at: s.startedAt, ended_at: s.endedAt, duration_seconds: Math.round((Date.parse(s.endedAt) - started) / 1000) },
    git_context: { branch: 'main', commits, commit_count: commits.length },
    model: { primary: model, provider: 'anthropic', models_used: [model] },
    usage: {
      input_tokens: input,
      output_tokens: 200,
      total_tokens: input + 200,
      cache_read_input_tokens: 5000,
      cache_creation_input_tokens: 300,
      cache_creation_5m_input_tokens: 300,
      cache_creation_1h_input_tokens: 0,
      estimated_cost_usd: cost,
      cost_is_estimate: true,
      prices_as_of: '2026-11-21',
      by_model: [{ model, responses: 3, input_tokens: input, output_tokens: 200, cache_read_input_tokens: 5000, cache_creation_input_tokens: 300, estimated_cost_usd: cost }],
      by_thread: prompts.map((_, i) => ({
        idx: i,
        prompt_at: new Date(started + (i + 1) * 1000).toISOString(),
        models: [model],
        input_tokens: Math.floor(input / prompts.length),
        output_tokens: 100,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 100,
        estimated_cost_usd: cost / prompts.length,
        tool_calls: 3,
        tool_errors: i === 0 ? (s.toolErrors ?? 0) : 0,
      })),
    },
    tools_used: { summary: [{ tool_name: 'Edit', invocation_count: prompts.length * 3 }], total_invocations: prompts.length * 3, mcp_servers: [] },
    conversation: { user_messages: prompts.length },
    // Each prompt, then its thread's three Edit calls (retention `prompts`: the input's contents as blob references).
    raw_session: {
      main: prompts.flatMap((text, i) => [
        { type: 'prompt', text, timestamp: new Date(started + (i + 1) * 1000).toISOString() },
        ...[1, 2, 3].map((n) => ({ type: 'tool_call', id: `toolu_${s.id}_${i}_${n}`, name: 'Edit', input: { file_path: `src/f${n}.ts`, new_string: { bytes: 10, lines: 1, blob: '0'.repeat(40) } }, timestamp: new Date(started + (i + 1) * 1000 + n * 100).toISOString() })),
      ]),
    },
    warnings: [],
  };
}

/** The statement of one push, in the predicate's own shape (core/predicate.ts buildStatement). */
export function pushStatement(spec: BundleSpec): object {
  const author = spec.author ?? { name: 'Ada', email: 'ada@example.com' };
  const count = spec.commits ?? spec.sessions.length;
  const shas = spec.shas ?? Array.from({ length: count }, randomSha);
  const commits = shas.map((sha, i) => commitAttribution(sha, spec.sessions.length > 0 ? spec.sessions[i % spec.sessions.length]!.id : undefined, author, spec.createdAt));
  return buildStatement({
    repository: { name: spec.repository },
    generator: { name: 'trace', version: '0.1.0' },
    createdAt: spec.createdAt,
    retention: 'prompts',
    commits,
    sessions: spec.sessions.map((s) => sessionObject(s, commits.filter((c) => c.session_ids.includes(s.id)).map((c) => c.sha))),
    redaction: { total: 0, rules: [] },
    warnings: [],
    ...(spec.denials === undefined
      ? {}
      : {
          guard: {
            sessions: Object.entries(spec.denials).map(([id, n]) => ({
              session_id: id,
              modes: ['enforce' as const],
              decisions: [
                ...Array.from({ length: n }, (_, i) => ({ at: spec.createdAt, tool_use_id: `toolu_${i}`, tool: 'Bash', rule: 'no-force-push', decision: 'deny' as const, outcome: 'deny' as const })),
                // An ask the person allowed: not a denial.
                { at: spec.createdAt, tool_use_id: null, tool: 'Bash', rule: 'ask-before-rm', decision: 'ask' as const, outcome: 'allow' as const },
              ],
            })),
          },
        }),
  });
}

export async function signedBundle(key: SigningKey, statement: object): Promise<string> {
  return JSON.stringify(await signStatement(statement, { mode: 'key', key }));
}

/** A signing key and its public key file (what `trust[].keys` names). */
export async function keyPair(dir: string, name: string): Promise<{ key: SigningKey; pemFile: string }> {
  const key = await loadOrCreateKey(join(dir, name));
  const pemFile = join(dir, `${name}.pem`);
  writeFileSync(pemFile, key.publicKeyPem);
  return { key, pemFile };
}
