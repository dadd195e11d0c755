// trace server against both engines: SQLite, and PostgreSQL from a throwaway cluster (CI fails when
// it cannot start one). Bundles are key-signed by the project's own signing code.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/signing/key.js';
import { createApp } from '../../src/server/app.js';
import { resolveServerConfig, serverConfigSchema, type LoadedServerConfig } from '../../src/server/config.js';
import { openServerDb, type ServerDb } from '../../src/server/db.js';
import { createMetrics, type ServerMetrics } from '../../src/server/metrics.js';
import { MIGRATIONS, migrate } from '../../src/server/migrate.js';
import { purge } from '../../src/server/purge.js';
import { loadTrust } from '../../src/server/trust.js';
import { sessionsListSchema } from '../../src/sessions/schema.js';
import { keyPair, pushStatement, randomSha, serverBed, signedBundle } from './support.js';

const INGEST_A = 'ingest-token-for-acme-api-000';
const INGEST_B = 'ingest-token-for-acme-web-000';
const READER = 'reader-token-everything-0000';
const READER_WEB = 'reader-token-only-acme-web-00';
const ADMIN = 'admin-token-0000000000000000';

let keyA: { key: SigningKey; pemFile: string };
let keyB: { key: SigningKey; pemFile: string };
let stranger: { key: SigningKey; pemFile: string };
const bed = serverBed('server-test', async (dir) => {
  keyA = await keyPair(dir, 'ada');
  keyB = await keyPair(dir, 'bob');
  stranger = await keyPair(dir, 'mallory');
});

function config(overrides: Record<string, unknown> = {}): LoadedServerConfig {
  const parsed = serverConfigSchema.parse({
    tokens: [
      { token: INGEST_A, role: 'ingest', repositories: ['acme/api'] },
      { token: INGEST_B, role: 'ingest', repositories: ['acme/web'] },
      { token: READER, role: 'reader' },
      { token: READER_WEB, role: 'reader', repositories: ['acme/web'] },
      { token: ADMIN, role: 'admin' },
    ],
    trust: [
      { repositories: ['acme/api'], keys: [keyA.pemFile] },
      { repositories: ['acme/web'], keys: [keyB.pemFile] },
    ],
    limits: { bundleBytes: 256 * 1024 },
    ...overrides,
  });
  return resolveServerConfig(parsed, { baseDir: bed.dir, env: {} });
}

describe.each(bed.engines)('trace server on %s', (engine) => {
  let store: ServerDb;
  let metrics: ServerMetrics;
  let app: ReturnType<typeof createApp>;
  let url: string;
  const now = () => new Date('2026-12-01T12:00:00Z');

  beforeAll(async () => {
    url = await bed.database(engine);
    store = await openServerDb(url);
    await migrate(store);
    metrics = createMetrics({ defaults: false });
    const cfg = config();
    app = createApp({ config: cfg, store, trust: loadTrust(cfg), metrics, now });
  });
  afterAll(async () => {
    await store.close();
  });

  const post = (body: string | Buffer, token?: string, headers: Record<string, string> = {}) =>
    app.request('/api/v1/attestations', { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const get = (path: string, token = READER) => app.request(path, { headers: { authorization: `Bearer ${token}` } });
  const rows = async () => ({
    bundles: Number((await store.db.selectFrom('bundles').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    sessions: Number((await store.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    commits: Number((await store.db.selectFrom('commits').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
  });
  const session = (id: string, day = '2026-11-30', extra: object = {}) => ({ id, startedAt: `${day}T09:00:00.000Z`, endedAt: `${day}T10:00:00.000Z`, ...extra });

  it('applies its migrations once, also when two servers start together', async () => {
    // better-sqlite3 waits for a lock synchronously: two SQLite connections in one process would block
    // each other; processes racing on one file are the concurrent-ingest test's.
    const together = <T>(work: (() => Promise<T>)[]) => (engine === 'postgres' ? Promise.all(work.map((w) => w())) : work.reduce<Promise<T[]>>(async (all, w) => [...(await all), await w()], Promise.resolve([])));
    const other = await openServerDb(url);
    const third = await openServerDb(url);
    try {
      const results = await together([() => migrate(other), () => migrate(third)]);
      expect(results.flatMap((r) => r.applied)).toEqual([]);
    } finally {
      await other.close();
      await third.close();
    }
    const fresh = await bed.database(engine);
    const a = await openServerDb(fresh);
    const b = await openServerDb(fresh);
    try {
      const both = await together([() => migrate(a), () => migrate(b)]);
      expect(both.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stores a verified bundle (201), then answers 200 for the same bundle, however it is spaced', async () => {
    const bundle = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T10:05:00Z', sessions: [session('sess-one-0001'), session('sess-two-0002')], commits: 4 }));
    const first = await post(bundle, INGEST_A);
    expect(first.status).toBe(201);
    const body = (await first.json()) as { digest: string; commits: number; sessions: number; signer: string };
    expect(body).toMatchObject({ repository: 'acme/api', commits: 4, sessions: 2 });
    expect(body.signer).toBe(`key ${keyA.key.keyId.slice(0, 16)}`);
    const again = await post(JSON.stringify(JSON.parse(bundle), null, 2), INGEST_A);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ digest: body.digest, duplicate: true });
    const gz = await post(gzipSync(bundle), INGEST_A, { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(200);
    expect(await rows()).toEqual({ bundles: 1, sessions: 2, commits: 4 });
  });

  it('refuses bad and out-of-scope tokens (401, 403) and stores nothing', async () => {
    const bundle = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T11:00:00Z', sessions: [session('sess-scope-01')] }));
    const before = await rows();
    expect((await post(bundle)).status).toBe(401);
    expect((await post(bundle, 'not-a-token-of-this-server')).status).toBe(401);
    expect((await post(bundle, READER)).status).toBe(403);
    // Replayed to another repository: the token for acme/web cannot write acme/api's attestations.
    const replay = await post(bundle, INGEST_B);
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'OUT_OF_SCOPE', message: expect.stringContaining('acme/api') as string });
    expect(await rows()).toEqual(before);
  });

  it('answers 422 with the reason for forged, tampered, unsigned and wrongly trusted bundles, 413 and 400 for the rest', async () => {
    const before = await rows();
    const statement = pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T11:30:00Z', sessions: [session('sess-bad-0001')] });
    const forged = await post(await signedBundle(stranger.key, statement), ADMIN);
    expect(forged.status).toBe(422);
    expect(await forged.json()).toMatchObject({ error: { code: 'UNVERIFIED', reason: 'UNTRUSTED_KEY' } });
    // bob's key is trusted for acme/web only.
    const otherRepoKey = await post(await signedBundle(keyB.key, statement), ADMIN);
    expect(otherRepoKey.status).toBe(422);
    expect(await otherRepoKey.json()).toMatchObject({ error: { reason: 'UNTRUSTED_KEY' } });

    const good = JSON.parse(await signedBundle(keyA.key, statement)) as { dsseEnvelope: { payload: string; signatures: unknown[] } };
    const payload = JSON.parse(Buffer.from(good.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { commits: { files: { ai_lines_added: number }[] }[] } };
    payload.predicate.commits[0]!.files[0]!.ai_lines_added = 10;
    const tampered = await post(JSON.stringify({ ...good, dsseEnvelope: { ...good.dsseEnvelope, payload: Buffer.from(JSON.stringify(payload)).toString('base64') } }), INGEST_A);
    expect(tampered.status).toBe(422);
    expect(await tampered.json()).toMatchObject({ error: { reason: 'SIGNATURE' } });
    const unsigned = await post(JSON.stringify({ ...good, dsseEnvelope: { ...good.dsseEnvelope, signatures: [] } }), INGEST_A);
    expect(unsigned.status).toBe(422);

    const invalid = pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T11:30:00Z', sessions: [session('sess-bad-0002')] }) as { predicate: { version: number } };
    invalid.predicate.version = 99;
    const schema = await post(await signedBundle(keyA.key, invalid), INGEST_A);
    expect(schema.status).toBe(422);
    expect(await schema.json()).toMatchObject({ error: { reason: 'SCHEMA' } });

    const big = pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T11:30:00Z', sessions: [session('sess-big-0001', '2026-11-30', { prompts: ['x'.repeat(300 * 1024)] })] });
    expect((await post(await signedBundle(keyA.key, big), INGEST_A)).status).toBe(413);
    expect((await post('{"not": "a bundle"', INGEST_A)).status).toBe(400);
    expect((await post('{"mediaType": "x"}', INGEST_A)).status).toBe(400);
    expect((await post(gzipSync('nonsense').subarray(0, 10), INGEST_A, { 'content-encoding': 'gzip' })).status).toBe(400);
    expect(await rows()).toEqual(before);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/trace_server_verify_failures_total\{reason="UNTRUSTED_KEY"\} 2/);
    expect(text).toMatch(/trace_server_verify_failures_total\{reason="SIGNATURE"\} 1/);
    expect(text).toMatch(/trace_server_ingest_total\{status="413",source="http"\} 1/);
    expect(text).toMatch(/trace_server_ingest_total\{status="401",source="http"\} 2/);
    expect(text).toMatch(/trace_server_ingest_total\{status="201",source="http"\} 1/);
    expect(text).toMatch(/trace_server_ingest_seconds_count\{status="201"\} 1/);
  });

  it('merges a session seen in two pushes: newest usage snapshot, union of commits, day roll-ups recomputed', async () => {
    const newer = await signedBundle(keyB.key, pushStatement({ repository: 'acme/web', createdAt: '2026-11-29T18:00:00Z', sessions: [session('sess-merge-01', '2026-11-29', { prompts: ['one', 'two', 'three'], inputTokens: 9000, costUsd: 3 })], commits: 2, author: { name: 'Bob', email: 'bob@example.com' } }));
    const older = await signedBundle(keyB.key, pushStatement({ repository: 'acme/web', createdAt: '2026-11-29T12:00:00Z', sessions: [session('sess-merge-01', '2026-11-29', { prompts: ['one'], inputTokens: 1000, costUsd: 1 })], commits: 1, author: { name: 'Bob', email: 'bob@example.com' } }));
    expect((await post(newer, INGEST_B)).status).toBe(201);
    expect((await post(older, INGEST_B)).status).toBe(201);
    const row = await store.db.selectFrom('sessions').selectAll().where('session_id', '=', 'sess-merge-01').execute();
    expect(row).toHaveLength(1);
    expect(row[0]).toMatchObject({ input_tokens: 9000, threads: 3, commits: 3, lines_added: 30, ai_lines_added: 18, last_prompt: 'three', initiator_email: 'bob@example.com' });
    const daily = await store.db.selectFrom('usage_daily').selectAll().where('day', '=', '2026-11-29').execute();
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ sessions: 1, input_tokens: 9000, commits: 3, cost_micros: 3_000_000 });
  });

  it('lists sessions with filters, keyset cursor, capped or exact counts, and the CLI shape plus repository', async () => {
    for (let i = 0; i < 7; i++) {
      const bundle = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: `2026-11-2${i}T12:00:00Z`, sessions: [session(`sess-page-${i}`, `2026-11-2${i}`, { model: i % 2 ? 'gpt-5' : 'claude-sonnet-4-5', agent: i % 2 ? 'codex' : 'claude-code' })] }));
      expect((await post(bundle, INGEST_A)).status).toBe(201);
    }
    const all = (await (await get('/api/v1/sessions?limit=200&count=exact')).json()) as { sessions: { id: string; repository: string; source: string; last_active_at: string }[]; count: number; count_is_capped: boolean };
    // The CLI's published shape (schemas/sessions-list.schema.json), with repository and source server.
    expect(sessionsListSchema.safeParse(all).error).toBeUndefined();
    expect(all.count).toBe(all.sessions.length);
    expect(all.count_is_capped).toBe(false);
    expect(all.sessions.every((s) => s.source === 'server')).toBe(true);
    const times = all.sessions.map((s) => s.last_active_at);
    expect([...times].sort().reverse()).toEqual(times);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res = await get(`/api/v1/sessions?repository=acme/api&limit=3${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { sessions: { id: string; repository: string }[]; next_cursor: string | null; count: number };
      expect(page.sessions.every((s) => s.repository === 'acme/api')).toBe(true);
      seen.push(...page.sessions.map((s) => s.id));
      after = page.next_cursor;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(all.sessions.filter((s) => s.repository === 'acme/api').length);

    const codex = (await (await get('/api/v1/sessions?agent=codex&model=gpt*')).json()) as { sessions: { id: string; agent: { name: string } }[] };
    expect(codex.sessions.map((s) => s.id).sort()).toEqual(['sess-page-1', 'sess-page-3', 'sess-page-5']);
    const bob = (await (await get('/api/v1/sessions?initiator=bob@example.com')).json()) as { sessions: { id: string }[] };
    expect(bob.sessions.map((s) => s.id)).toEqual(['sess-merge-01']);
    const search = (await (await get('/api/v1/sessions?q=THREE')).json()) as { sessions: { id: string }[] };
    expect(search.sessions.map((s) => s.id)).toEqual(['sess-merge-01']);
    const errors = (await (await get('/api/v1/sessions?has=errors')).json()) as { count: number };
    expect(errors.count).toBe(0);
  });

  it('treats SQL-looking values as values and refuses malformed cursors, offsets and parameters with 400', async () => {
    for (const value of ["' OR 1=1 --", 'acme/api; DROP TABLE sessions; --', '%', "x' UNION SELECT * FROM bundles --"]) {
      const res = await get(`/api/v1/sessions?repository=${encodeURIComponent(value)}&initiator=${encodeURIComponent(value)}&branch=${encodeURIComponent(value)}&q=${encodeURIComponent(value)}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { sessions: unknown[] }).sessions).toEqual([]);
    }
    expect((await rows()).sessions).toBeGreaterThan(5);
    const bad = async (query: string, text: string) => {
      const res = await get(`/api/v1/sessions?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(text);
    };
    await bad('after=not-a-cursor', 'not a cursor');
    await bad(`after=${Buffer.from('{"t":1}').toString('base64url')}`, 'not a cursor');
    const page = (await (await get('/api/v1/sessions?limit=1')).json()) as { next_cursor: string };
    await bad(`after=${page.next_cursor}&agent=codex`, 'another query');
    await bad('offset=10001', 'offset');
    await bad(`offset=5&after=${page.next_cursor}`, 'one of them');
    await bad('limit=0', 'limit');
    await bad('agent=clippy', 'unknown agent');
    await bad('commit=zz', 'commit');
    await bad('since=yesterday', 'not a time');
    await bad('sort=cost', 'sort');
    await bad('file=src/a.ts', 'file');
    await bad('has=errors&has=sometimes', 'has');
    await bad('initiator=me', 'me');
    // `trace ui`'s parameter rules: an empty value is as if absent, a repeated `has` is a list.
    expect((await get('/api/v1/sessions?agent=&has=errors&has=unpriced')).status).toBe(200);
  });

  it('serves one session, the repositories and the org dashboard, limited to what the reader may see', async () => {
    const detail = await get('/api/v1/sessions/sess-merge-01');
    expect(detail.status).toBe(200);
    const shown = (await detail.json()) as {
      session: { repository: string; code: { commits: number } };
      threads: { prompt: string; token_usage: { input: number }; steps: { kind: string; tool_use_id: string; tool: string; status: string; input: unknown }[] }[];
      commits: unknown[];
    };
    expect(shown.session).toMatchObject({ repository: 'acme/web', code: { commits: 3 } });
    expect(shown.threads.map((t) => t.prompt)).toEqual(['one', 'two', 'three']);
    // The tool calls the newest attestation keeps, each in its thread; their results are not kept.
    expect(shown.threads.map((t) => t.steps.map((step) => step.tool_use_id))).toEqual([0, 1, 2].map((i) => [1, 2, 3].map((n) => `toolu_sess-merge-01_${i}_${n}`)));
    expect(shown.threads[0]!.steps[0]).toMatchObject({ kind: 'tool_call', tool: 'Edit', status: 'unknown', input: { file_path: 'src/f1.ts' } });
    expect(shown.commits).toHaveLength(3);
    expect((await get('/api/v1/sessions/no-such-session')).status).toBe(404);
    expect((await get('/api/v1/sessions/sess-page-1', READER_WEB)).status).toBe(404);

    const repos = (await (await get('/api/v1/repositories')).json()) as { repositories: { name: string; sessions: number }[] };
    expect(repos.repositories.map((r) => r.name)).toEqual(['acme/api', 'acme/web']);
    const webOnly = (await (await get('/api/v1/repositories', READER_WEB)).json()) as { repositories: { name: string }[] };
    expect(webOnly.repositories.map((r) => r.name)).toEqual(['acme/web']);
    const list = (await (await get('/api/v1/sessions?limit=200', READER_WEB)).json()) as { sessions: { repository: string }[] };
    expect(list.sessions.every((s) => s.repository === 'acme/web')).toBe(true);

    const stats = (await (await get('/api/v1/stats/org?since=2026-11-25&until=2026-12-01')).json()) as {
      current: { sessions: number; active_users: number; ai_assisted_commits: number; ai_share: number | null };
      previous: { sessions: number };
      top_users: { initiator: string }[];
      models: { model: string; cost_usd: number | null }[];
    };
    expect(stats.current.sessions).toBe(5);
    expect(stats.current.active_users).toBe(2);
    expect(stats.current.ai_assisted_commits).toBeGreaterThan(0);
    expect(stats.current.ai_share).toBeCloseTo(0.6, 5);
    expect(stats.previous.sessions).toBe(5);
    expect(stats.top_users[0]!.initiator).toBe('ada@example.com');
    expect(stats.models.map((m) => m.model)).toContain('claude-opus-4-5');
    expect((await get('/api/v1/stats/org?since=tomorrow')).status).toBe(400);

    // trace ui's dashboard reads `trace sessions stats --json` from /api/v1/stats: the same shape here.
    const ui = (await (await get('/api/v1/stats?since=2026-11-25&until=2026-12-01&by=model')).json()) as { current: { sessions: number; active_authors: number; ai_commits: number }; breakdown: { key: string; sessions: number }[]; by: string };
    expect(ui.by).toBe('model');
    expect(ui.current).toMatchObject({ sessions: 5, active_authors: 2 });
    expect(ui.current.ai_commits).toBeGreaterThan(0);
    expect(ui.breakdown.map((b) => b.key)).toContain('claude-opus-4-5');
    const weeks = (await (await get('/api/v1/stats?since=2026-11-01&until=2026-12-01&by=week&repository=acme/api')).json()) as { breakdown: { key: string; sessions: number }[] };
    expect(weeks.breakdown.every((b) => /^2026-W\d\d$/.test(b.key))).toBe(true);
    expect((await get('/api/v1/stats?by=colour')).status).toBe(400);
    const models = (await (await get('/api/v1/models?q=gpt')).json()) as { models: { model: string; sessions: number }[] };
    expect(models.models).toEqual([{ model: 'gpt-5', sessions: 3 }]);
    expect((await get('/api/v1/sessions', INGEST_A)).status).toBe(403);
    expect((await app.request('/api/v1/sessions')).status).toBe(401);
  });

  it('logs a browser in with a reader token and reads with the cookie', async () => {
    const refused = await app.request('/login', { method: 'POST', body: new URLSearchParams({ token: INGEST_A }) });
    expect(refused.status).toBe(401);
    const login = await app.request('/login', { method: 'POST', body: new URLSearchParams({ token: READER }) });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).not.toContain(READER);
    const res = await app.request('/api/v1/repositories', { headers: { cookie: cookie.split(';')[0]! } });
    expect(res.status).toBe(200);
    expect((await app.request('/api/v1/repositories', { headers: { cookie: 'trace_session=' + '0'.repeat(64) } })).status).toBe(401);
  });

  it('serves trace ui\'s pages to a logged-in reader, and sends others to the login page', async () => {
    const uiDir = mkdtempSync(join(bed.dir, 'ui-'));
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>trace ui</title><script src="/assets/app.js"></script>');
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log(1)');
    const cfg = config();
    const web = createApp({ config: cfg, store, trust: loadTrust(cfg), metrics: createMetrics({ defaults: false }), now, uiDir });
    const anonymous = await web.request('/sessions/sess-merge-01');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login');
    expect((await web.request('/assets/app.js')).status).toBe(401);
    const login = await web.request('/login', { method: 'POST', body: new URLSearchParams({ token: READER }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await web.request('/sessions/sess-merge-01', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/app.js');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await (await web.request('/assets/app.js', { headers: { cookie } })).text()).toBe('console.log(1)');
    expect((await web.request('/api/v1/nothing', { headers: { cookie } })).status).toBe(404);
  });

  it('serves /healthz and /metrics', async () => {
    expect(await (await app.request('/healthz')).json()).toEqual({ ok: true, engine });
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('trace_server_ingest_total');
  });

  it('purges content and then metadata past their days, in batches', async () => {
    const old = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-06-01T12:00:00Z', sessions: [session('sess-old-0001', '2026-06-01', { prompts: ['old secret plan'] })] }));
    // Received long ago: ingested with an older clock.
    const cfg = config();
    const past = createApp({ config: cfg, store, trust: loadTrust(cfg), metrics: createMetrics({ defaults: false }), now: () => new Date('2026-06-01T13:00:00Z') });
    expect((await past.request('/api/v1/attestations', { method: 'POST', body: old, headers: { authorization: `Bearer ${INGEST_A}` } })).status).toBe(201);
    const counted: string[] = [];
    const content = await purge(store, { contentDays: 90, metadataDays: 0, batch: 1, now, pauseMs: 0, onBatch: (kind) => counted.push(kind) });
    expect(content.bundle_content).toBe(1);
    expect(content.prompts).toBe(1);
    const kept = await store.db.selectFrom('sessions').select(['last_prompt', 'input_tokens']).where('session_id', '=', 'sess-old-0001').executeTakeFirstOrThrow();
    expect(kept).toEqual({ last_prompt: null, input_tokens: 1000 });
    const prompts = await store.db.selectFrom('threads').innerJoin('sessions', 'sessions.id', 'threads.session_pk').select('threads.prompt').where('sessions.session_id', '=', 'sess-old-0001').execute();
    expect(prompts.every((p) => p.prompt === null)).toBe(true);
    // Tool inputs are content: emptied; the calls themselves (tool, time) are metadata and stay.
    const calls = await store.db.selectFrom('tool_calls').innerJoin('sessions', 'sessions.id', 'tool_calls.session_pk').select(['tool_calls.tool', 'tool_calls.input']).where('sessions.session_id', '=', 'sess-old-0001').execute();
    expect(calls).toEqual([1, 2, 3].map(() => ({ tool: 'Edit', input: null })));
    const before = await rows();
    const meta = await purge(store, { contentDays: 90, metadataDays: 120, batch: 1, now, pauseMs: 0 });
    expect(meta).toMatchObject({ sessions: 1, commits: 1, bundles: 1 });
    expect(await rows()).toEqual({ bundles: before.bundles - 1, sessions: before.sessions - 1, commits: before.commits - 1 });
    expect(await store.db.selectFrom('threads').innerJoin('sessions', 'sessions.id', 'threads.session_pk').select('threads.idx').where('sessions.session_id', '=', 'sess-old-0001').execute()).toEqual([]);
    expect(counted.length).toBeGreaterThanOrEqual(2);
  });

  it('has exactly the shas it was given: commits are keyed by repository and sha', async () => {
    const sha = randomSha();
    const one = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T15:00:00Z', sessions: [session('sess-sha-0001')], shas: [sha] }));
    const two = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T16:00:00Z', sessions: [session('sess-sha-0001')], shas: [sha] }));
    expect((await post(one, INGEST_A)).status).toBe(201);
    expect((await post(two, INGEST_A)).status).toBe(201);
    const commits = await store.db.selectFrom('commits').select('sha').where('sha', '=', sha).execute();
    expect(commits).toHaveLength(1);
    const s = await store.db.selectFrom('sessions').select('commits').where('session_id', '=', 'sess-sha-0001').executeTakeFirstOrThrow();
    expect(Number(s.commits)).toBe(1);
  });
});
