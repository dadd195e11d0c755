// trace server's read endpoints beside the session list: the capability answer, initiators, one commit
// with its verdict, the diff it cannot give, the streamed export and the raw bundle. Both engines, as
// server.test.ts: SQLite, and PostgreSQL from a throwaway cluster when it is installed (always in CI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/signing/key.js';
import { createApp } from '../../src/server/app.js';
import { resolveServerConfig, serverConfigSchema, type LoadedServerConfig } from '../../src/server/config.js';
import { openServerDb, type ServerDb } from '../../src/server/db.js';
import { bundleDigest } from '../../src/server/ingest.js';
import { csvLine, EXPORT_COLUMNS } from '../../src/server/lookups.js';
import { createMetrics, type ServerMetrics } from '../../src/server/metrics.js';
import { migrate } from '../../src/server/migrate.js';
import { purge } from '../../src/server/purge.js';
import { loadTrust } from '../../src/server/trust.js';
import { sessionRowSchema } from '../../src/sessions/schema.js';
import { keyPair, pushStatement, randomSha, serverBed, signedBundle } from './support.js';

const INGEST_A = 'ingest-token-for-acme-api-000';
const INGEST_B = 'ingest-token-for-acme-web-000';
const READER = 'reader-token-everything-0000';
const READER_WEB = 'reader-token-only-acme-web-00';
const ADMIN = 'admin-token-0000000000000000';

let keyA: { key: SigningKey; pemFile: string };
let keyB: { key: SigningKey; pemFile: string };
const bed = serverBed('server-read', async (dir) => {
  keyA = await keyPair(dir, 'ada');
  keyB = await keyPair(dir, 'bob');
});

function config(): LoadedServerConfig {
  const parsed = serverConfigSchema.parse({
    tokens: [
      { token: INGEST_A, role: 'ingest', repositories: ['acme/api'] },
      { token: INGEST_B, role: 'ingest', repositories: ['acme/web'] },
      { token: READER, role: 'reader', name: 'everyone' },
      { token: READER_WEB, role: 'reader', repositories: ['acme/web'] },
      { token: ADMIN, role: 'admin' },
    ],
    trust: [
      { repositories: ['acme/api'], keys: [keyA.pemFile] },
      { repositories: ['acme/web'], keys: [keyB.pemFile] },
    ],
  });
  return resolveServerConfig(parsed, { baseDir: bed.dir, env: {} });
}

describe('the CSV export', () => {
  it('quotes what needs it and defuses cells a spreadsheet would run as a formula', () => {
    const row = { id: 's1', repository: 'acme/api', agent: { name: 'codex', version: null }, models: ['gpt-5', 'o3'], initiator: { name: '-Eve', email: '@eve' }, branch: '+main', started_at: null, ended_at: null, last_active_at: '2026-11-30T10:00:00Z', duration_s: null, threads: 1, tool_calls: { total: 2, errors: 0 }, token_usage: { input: 1, cache_read: 2, cache_write: 3, output: 4 }, cost: { usd: -0.5, unpriced: false }, code: { commits: 0, lines_added: 0, ai_lines_added: 0 }, last_prompt: '=HYPERLINK("x"),\nnext' };
    const line = csvLine(row as unknown as Parameters<typeof csvLine>[0]);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(',gpt-5 o3,');
    expect(line).toContain(",'-Eve,'@eve,'+main,");
    // Numbers are numbers, even negative ones; the prompt is quoted, its quotes doubled, its formula defused.
    expect(line).toContain(',-0.5,false,');
    expect(line.trimEnd().endsWith(`"'=HYPERLINK(""x""),\nnext"`)).toBe(true);
  });
});

const SQL_LIKE = ["' OR 1=1 --", 'acme/api; DROP TABLE sessions; --', '%', "x' UNION SELECT * FROM bundles --"];

describe.each(bed.engines)('trace server read endpoints on %s', (engine) => {
  let store: ServerDb;
  let metrics: ServerMetrics;
  let app: ReturnType<typeof createApp>;
  const now = () => new Date('2026-12-01T12:00:00Z');
  const shared = randomSha();
  const apiShas = [randomSha(), randomSha(), shared];
  const webShas = [randomSha(), shared];
  let apiBundle: string;
  let apiDigest: string;

  const post = (body: string, token: string) => app.request('/api/v1/attestations', { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const get = (path: string, token: string | null = READER) => app.request(path, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  const session = (id: string, day: string, extra: object = {}) => ({ id, startedAt: `${day}T09:00:00.000Z`, endedAt: `${day}T10:00:00.000Z`, ...extra });
  const problemOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; hint?: string; candidates?: unknown } }).error;

  beforeAll(async () => {
    store = await openServerDb(await bed.database(engine));
    await migrate(store);
    metrics = createMetrics({ defaults: false });
    const cfg = config();
    app = createApp({ config: cfg, store, trust: loadTrust(cfg), metrics, now });
    apiBundle = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-11-30T10:05:00Z', sessions: [session('api-sess-01', '2026-11-30', { prompts: ['=cmd|calc', 'say "hi", then go'] }), session('api-sess-02', '2026-11-29')], shas: apiShas }));
    const created = await post(apiBundle, INGEST_A);
    expect(created.status).toBe(201);
    apiDigest = ((await created.json()) as { digest: string }).digest;
    const web = await signedBundle(keyB.key, pushStatement({ repository: 'acme/web', createdAt: '2026-11-28T10:05:00Z', sessions: [session('web-sess-01', '2026-11-28', { model: 'gpt-5', agent: 'codex' })], shas: webShas, author: { name: 'Bob', email: 'bob@example.com' } }));
    expect((await post(web, INGEST_B)).status).toBe(201);
    const old = await signedBundle(keyA.key, pushStatement({ repository: 'acme/api', createdAt: '2026-09-01T10:00:00Z', sessions: [session('api-sess-old', '2026-09-01')], author: { name: 'Alan', email: 'alan@example.com' } }));
    expect((await post(old, INGEST_A)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await store.close();
  });

  it('says it is a trace server, and who the token is (the pages switch on this; trace ui answers 404)', async () => {
    const res = await get('/api/v1/server');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ server: 'trace server', engine, token: { name: 'everyone', role: 'reader', repositories: ['*'] }, keeps_file_contents: false });
    expect(((await (await get('/api/v1/server', READER_WEB)).json()) as { token: { repositories: string[] } }).token.repositories).toEqual(['acme/web']);
    expect((await get('/api/v1/server', null)).status).toBe(401);
    expect((await get('/api/v1/server', INGEST_A)).status).toBe(403);
  });

  it('finds initiators by prefix, within the token\'s repositories', async () => {
    const all = (await (await get('/api/v1/initiators')).json()) as { initiators: { initiator: string; last_active_at: string }[] };
    expect(all.initiators.map((i) => i.initiator)).toEqual(['ada@example.com', 'alan@example.com', 'bob@example.com']);
    expect(all.initiators[0]!.last_active_at.slice(0, 10)).toBe('2026-11-30');
    expect(((await (await get('/api/v1/initiators?limit=1')).json()) as { initiators: unknown[] }).initiators).toHaveLength(1);
    const a = (await (await get('/api/v1/initiators?q=AL')).json()) as { initiators: { initiator: string }[] };
    expect(a.initiators.map((i) => i.initiator)).toEqual(['alan@example.com']);
    const web = (await (await get('/api/v1/initiators?q=a', READER_WEB)).json()) as { initiators: unknown[] };
    expect(web.initiators).toEqual([]);
    for (const value of SQL_LIKE) {
      const res = await get(`/api/v1/initiators?q=${encodeURIComponent(value)}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { initiators: unknown[] }).initiators).toEqual([]);
    }
    expect((await get('/api/v1/initiators?limit=0')).status).toBe(400);
    expect((await problemOf(await get('/api/v1/initiators?who=x'))).message).toContain('who: not a parameter');
  });

  it('answers a commit with its figures, sessions and verdict: verified at the door, by whom, in which bundle', async () => {
    const sha = apiShas[0]!;
    const res = await get(`/api/v1/commits/${sha}`);
    expect(res.status).toBe(200);
    const commit = (await res.json()) as { sha: string; repository: string; lines_added: number; ai_lines_added: number; ai_share: number; sessions: { id: string }[]; verification: { status: string; signer: string; verified_by: string; bundles: { digest: string; raw_available: boolean }[] }; author: { email: string } };
    expect(commit).toMatchObject({ sha, repository: 'acme/api', lines_added: 10, ai_lines_added: 6, ai_share: 0.6, author: { email: 'ada@example.com' } });
    expect(commit.sessions.map((s) => s.id)).toEqual(['api-sess-01']);
    expect(commit.verification).toMatchObject({ status: 'verified', signer: `key ${keyA.key.keyId.slice(0, 16)}` });
    expect(commit.verification.verified_by).toContain('trace server');
    expect(commit.verification.bundles).toEqual([expect.objectContaining({ digest: apiDigest, raw_available: true })]);
    // A prefix works; a sha both repositories carry needs ?repository=.
    expect(((await (await get(`/api/v1/commits/${sha.slice(0, 10).toUpperCase()}`)).json()) as { sha: string }).sha).toBe(sha);
    const ambiguous = await get(`/api/v1/commits/${shared}`);
    expect(ambiguous.status).toBe(409);
    expect((await problemOf(ambiguous)).candidates).toEqual([
      { sha: shared, repository: 'acme/api' },
      { sha: shared, repository: 'acme/web' },
    ]);
    const web = await get(`/api/v1/commits/${shared}?repository=acme/web`);
    expect(web.status).toBe(200);
    expect(((await web.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual(['web-sess-01']);
    // The web reader sees only acme/web's copy, so the shared sha is not ambiguous for it.
    expect(((await (await get(`/api/v1/commits/${shared}`, READER_WEB)).json()) as { repository: string }).repository).toBe('acme/web');
    expect((await get(`/api/v1/commits/${sha}`, READER_WEB)).status).toBe(404);
    expect((await get(`/api/v1/commits/${sha}?repository=acme/web`)).status).toBe(404);
    expect((await get(`/api/v1/commits/${randomSha()}`)).status).toBe(404);
    expect((await problemOf(await get('/api/v1/commits/zz-top'))).message).toContain('sha');
    expect((await get("/api/v1/commits/abcd?repository=' OR 1=1 --")).status).toBe(404);
    expect((await get(`/api/v1/commits/${sha}?diffs=1`)).status).toBe(400);
  });

  it('refuses a file diff with a clear 501: the server keeps no file contents', async () => {
    const res = await get('/api/v1/sessions/api-sess-01/files/0/diff');
    expect(res.status).toBe(501);
    const error = await problemOf(res);
    expect(error.code).toBe('NOT_KEPT');
    expect(error.hint).toContain('trace sessions show api-sess-01 --diffs');
    expect((await get('/api/v1/sessions/api-sess-01/files/0/diff', null)).status).toBe(401);
  });

  it('streams the session export as CSV or JSON lines, with the list\'s filters, scoped, within 31 days', async () => {
    const csv = await get('/api/v1/export/sessions?since=2026-11-15');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('trace-sessions-2026-11-15-2026-12-01.csv');
    const lines = (await csv.text()).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    // Three sessions (the old one is outside the window); a prompt with a quote and a comma is quoted, a formula is defused.
    const body = lines.slice(1, -1);
    expect(body).toHaveLength(3);
    expect(body[0]).toMatch(/^api-sess-01,acme\/api,claude-code,/);
    expect(body[0]).toContain('"say ""hi"", then go"');
    const jsonl = await get('/api/v1/export/sessions?since=2026-11-15&format=jsonl&agent=codex');
    expect(jsonl.headers.get('content-type')).toContain('application/x-ndjson');
    const rows = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; repository: string });
    expect(rows.map((r) => r.id)).toEqual(['web-sess-01']);
    expect(sessionRowSchema.safeParse(rows[0]).error).toBeUndefined();
    const scoped = (await (await get('/api/v1/export/sessions?since=2026-11-15&format=jsonl', READER_WEB)).text()).trim().split('\n');
    expect(scoped.map((l) => (JSON.parse(l) as { repository: string }).repository)).toEqual(['acme/web']);
    const byRepo = (await (await get('/api/v1/export/sessions?since=2026-11-15&repository=acme/api&initiator=ada@example.com')).text()).split('\r\n');
    expect(byRepo).toHaveLength(4);
    // Default window: the last 31 days.
    expect((await (await get('/api/v1/export/sessions?format=jsonl')).text()).trim().split('\n')).toHaveLength(3);
    for (const value of SQL_LIKE) {
      const res = await get(`/api/v1/export/sessions?repository=${encodeURIComponent(value)}&q=${encodeURIComponent(value)}`);
      expect(res.status).toBe(200);
      expect((await res.text()).split('\r\n')).toHaveLength(2);
    }
    const bad = async (query: string, text: string, token = READER) => {
      const res = await get(`/api/v1/export/sessions?${query}`, token);
      expect(res.status).toBe(400);
      expect((await problemOf(res)).message).toContain(text);
    };
    await bad('since=2026-08-01', 'at most 31 days');
    await bad('since=2026-11-20&until=2026-11-10', 'before until');
    await bad('format=xml', 'format');
    await bad('limit=10', 'limit: not a parameter');
    await bad('after=abc', 'after: not a parameter');
    await bad('since=yesterday', 'not a time');
    await bad('agent=clippy', 'unknown agent');
    expect((await get('/api/v1/export/sessions', INGEST_A)).status).toBe(403);
    expect((await get('/api/v1/export/sessions', null)).status).toBe(401);
  });

  it('gives the raw bundle for an independent verification, to a reader of its repository, until retention drops it', async () => {
    const res = await get(`/api/v1/attestations/${apiDigest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const raw: unknown = await res.json();
    expect(raw).toEqual(JSON.parse(apiBundle));
    expect(bundleDigest(raw)).toBe(apiDigest);
    const checked = await loadTrust(config()).verify(raw, 'acme/api');
    expect(checked.ok).toBe(true);
    expect((await get(`/api/v1/attestations/${apiDigest.toUpperCase()}`, ADMIN)).status).toBe(200);
    expect((await get(`/api/v1/attestations/${apiDigest}`, READER_WEB)).status).toBe(404);
    expect((await get(`/api/v1/attestations/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await problemOf(await get("/api/v1/attestations/' OR 1=1 --"))).message).toContain('64 hex');
    expect((await get(`/api/v1/attestations/${apiDigest}`, INGEST_A)).status).toBe(403);
    // Content retention of 1 day (the clock says 2026-12-01): every bundle's bytes go, the figures stay.
    await purge(store, { contentDays: 1, metadataDays: 0, batch: 100, now: () => new Date('2026-12-05T00:00:00Z'), pauseMs: 0 });
    const dropped = await get(`/api/v1/attestations/${apiDigest}`);
    expect(dropped.status).toBe(404);
    expect((await problemOf(dropped)).message).toContain('content retention');
    const commit = (await (await get(`/api/v1/commits/${apiShas[0]!}`)).json()) as { verification: { bundles: { raw_available: boolean }[] } };
    expect(commit.verification.bundles[0]!.raw_available).toBe(false);
  });

  it('gives the repository list its AI share, and counts every new endpoint in /metrics', async () => {
    const repos = (await (await get('/api/v1/repositories')).json()) as { repositories: { name: string; ai_share: number | null; lines_added: number; last_active_day: string }[] };
    expect(repos.repositories.map((r) => [r.name, r.ai_share])).toEqual([
      ['acme/api', 0.6],
      ['acme/web', 0.6],
    ]);
    expect(repos.repositories[0]!.last_active_day).toBe('2026-11-30');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/trace_server_read_requests_total\{route="export",status="400"\} 7/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="export",status="200"\} \d+/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="commit",status="409"\} 1/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="diff",status="501"\} 1/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="attestation",status="404"\} 3/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="initiators",status="400"\} 2/);
    expect(text).toMatch(/trace_server_read_requests_total\{route="server",status="401"\} 1/);
  });
});
