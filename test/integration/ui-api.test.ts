// `trace ui`: the real bin/trace serving a repository whose sessions were made through the installed
// Claude Code hooks. Its security (token → cookie, Host, methods, headers) and its JSON API, whose
// every answer must equal what the matching command prints with --json.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionShowSchema, sessionsListSchema } from '../../src/sessions/schema.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, tempDir, TRACE_BIN, type TestRepo } from '../support/repo.js';

const A = 'aaaa0001-0000-4000-8000-000000000001';
const B = 'bbbb0002-0000-4000-8000-000000000002';
const QUICK = ['cccc0001', 'cccc0002', 'cccc0003'].map((p) => `${p}-0000-4000-8000-000000000000`);

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  stderr: () => string;
}

let repo: TestRepo;
let server: Server;
let cookie: string;
let commit: string;
let bEdit: string;

async function startUi(): Promise<Server> {
  const child = spawn(process.execPath, [TRACE_BIN, 'ui', '--no-open', '--port', '0'], { cwd: repo.dir, env: repo.env });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`trace ui exited (${code}) before printing its URL: ${err}`)));
  });
  return { child, url, port: Number(new URL(url).port), stderr: () => err };
}

function get(path: string, options: { cookie?: string | undefined; host?: string; method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${server.port}`, ...(options.cookie ? { cookie: options.cookie } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function errorOf(reply: Reply): { code: string; message: string } {
  return (JSON.parse(reply.body) as { error: { code: string; message: string } }).error;
}

async function api<T>(path: string): Promise<T> {
  const reply = await get(path, { cookie });
  if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.body}`);
  expect(reply.headers['content-type']).toContain('application/json');
  return JSON.parse(reply.body) as T;
}

function cli<T>(args: string[]): T {
  const result = repo.trace([...args, '--json']);
  if (result.code !== 0) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  repo = makeRepo();
  repo.git(['config', 'user.email', 'ada@example.com']);
  const dir = tempDir('trace-ui-transcripts-');

  // A: a write and a failing command, committed.
  const a = new FakeClaude(repo, { sessionId: A, transcriptPath: join(dir, `${A}.jsonl`) });
  a.start('claude-opus-4-5');
  a.prompt('add module a');
  a.write('src/a.ts', 'export const a = 1;\n');
  a.bash('echo boom >&2; exit 3');
  commit = repo.commit('add a');

  // B: a write then an edit of the same file (two edits to step through).
  const b = new FakeClaude(repo, { sessionId: B, transcriptPath: join(dir, `${B}.jsonl`) });
  b.start('claude-sonnet-4-5');
  b.prompt('fix the bug in b');
  b.write('src/b.ts', 'one\ntwo\n');
  bEdit = b.edit('src/b.ts', 'two\n', 'two\nthree\nfour\n');
  b.prompt('now tidy b');

  for (const id of QUICK) new FakeClaude(repo, { sessionId: id, transcriptPath: join(dir, `${id}.jsonl`) }).prompt(`quick ${id.slice(0, 8)}`);

  server = await startUi();
  const login = await get(new URL(server.url).pathname + new URL(server.url).search);
  cookie = (login.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
}, 120_000);

afterAll(() => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  cleanupTemps();
});

describe('trace ui: access', () => {
  it('prints the URL with a token on its first stdout line, bound to 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers 401 to a request without the cookie, pages and API alike', async () => {
    for (const path of ['/', '/sessions', '/api/v1/sessions', '/assets/app.js', '/healthz']) {
      const reply = await get(path);
      expect(reply.status, path).toBe(401);
    }
    const refused = errorOf(await get('/api/v1/sessions'));
    expect(refused.code).toBe('UNAUTHORIZED');
    expect(refused.message).toContain('trace ui');
    expect((await get('/api/v1/sessions', { cookie: `trace_ui_${server.port}=forged` })).status).toBe(401);
  });

  it('turns the token into an HttpOnly SameSite=Strict cookie once; a second use of the token is refused, the cookie keeps working', async () => {
    expect(cookie).toMatch(new RegExp(`^trace_ui_${server.port}=.+`));
    const token = new URL(server.url).searchParams.get('token')!;
    // The first use happened in beforeAll; its answer is checked through a second server's first use.
    const again = await get(`/?token=${token}`);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('used already');
    expect((await get(`/sessions?token=${token}`)).status).toBe(401);
    // With the cookie, the token is only stripped from the URL.
    const withCookie = await get(`/sessions?agent=claude-code&token=${token}`, { cookie });
    expect(withCookie.status).toBe(302);
    expect(withCookie.headers.location).toBe('/sessions?agent=claude-code');
    expect((await get('/api/v1/sessions', { cookie })).status).toBe(200);
  });

  it('sets the cookie with HttpOnly, SameSite=Strict and Path=/ and redirects to the URL without the token; SIGTERM stops it (exit 0)', async () => {
    const other = await startUi();
    const saved = server;
    server = other;
    try {
      const first = await get(`/sessions/abc?thread=2&token=${new URL(other.url).searchParams.get('token')}`);
      expect(first.status).toBe(302);
      expect(first.headers.location).toBe('/sessions/abc?thread=2');
      const set = first.headers['set-cookie']![0]!;
      expect(set).toMatch(new RegExp(`^trace_ui_${other.port}=[A-Za-z0-9_-]{43};`));
      expect(set).toContain('HttpOnly');
      expect(set).toContain('SameSite=Strict');
      expect(set).toContain('Path=/');
      expect(set).not.toContain(new URL(other.url).searchParams.get('token')!);
      expect((await get('/healthz', { cookie: set.split(';')[0] })).status).toBe(200);
      // The first server's cookie is not this one's.
      expect((await get('/healthz', { cookie })).status).toBe(401);
    } finally {
      server = saved;
    }
    const exited = new Promise<number | null>((resolve) => other.child.once('exit', (code) => resolve(code)));
    other.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a Host that is not a loopback name of its port (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `attacker.localhost:${server.port}`]) {
      const reply = await get('/api/v1/sessions', { cookie, host });
      expect(reply.status, host).toBe(403);
      expect(errorOf(reply).code).toBe('FORBIDDEN_HOST');
    }
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`]) expect((await get('/healthz', { cookie, host })).status, host).toBe(200);
  });

  it('is read-only: anything but GET and HEAD is 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await get('/api/v1/sessions', { cookie, method });
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    const head = await get('/api/v1/sessions', { cookie, method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('sends a strict CSP, nosniff and no-referrer, and no CORS headers even when asked', async () => {
    const reply = await get('/api/v1/sessions', { cookie, headers: { origin: 'http://evil.example' } });
    const csp = reply.headers['content-security-policy']!;
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "object-src 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const page = await get('/', { cookie });
    expect(page.headers['content-security-policy']).toBe(csp);
  });

  it('serves the single-page app for every page path, and 404 for a missing asset', async () => {
    const root = await get('/', { cookie });
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toContain('text/html');
    for (const path of ['/sessions', `/sessions/${A}`, '/dashboard?since=7d']) {
      const page = await get(path, { cookie });
      expect(page.status, path).toBe(200);
      expect(page.body, path).toBe(root.body);
    }
    expect((await get('/assets/no-such-file.js', { cookie })).status).toBe(404);
    const unknown = await get('/api/v1/nothing', { cookie });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
  });
});

describe('trace ui: the API answers as the commands do', () => {
  it('GET /api/v1/sessions equals `trace sessions --json`, with filters and by cursor', async () => {
    const page = await api<{ sessions: { id: string }[]; next_cursor: string | null }>('/api/v1/sessions');
    expect(sessionsListSchema.parse(page)).toEqual(page);
    expect(page).toEqual(cli(['sessions']));
    expect(page.sessions.map((s) => s.id)).toEqual([...[...QUICK].reverse(), B, A]);
    // Empty parameters (a form's cleared fields) are as if absent.
    expect(await api('/api/v1/sessions?agent=&q=&has=&limit=&since=')).toEqual(page);
    expect(await api('/api/v1/sessions?agent=claude-code&has=errors')).toEqual(cli(['sessions', '--agent', 'claude-code', '--has', 'errors']));
    const mine = await api<{ sessions: unknown[] }>('/api/v1/sessions?author=me&model=claude-*');
    expect(mine).toEqual(cli(['sessions', '--author', 'me', '--model', 'claude-*']));
    expect(mine.sessions).toHaveLength(2);
    expect(await api('/api/v1/sessions?q=bug%20in%20b')).toEqual(cli(['sessions', '--search', 'bug in b']));
    expect(await api(`/api/v1/sessions?commit=${commit.slice(0, 8)}&file=src/a.ts`)).toEqual(cli(['sessions', '--commit', commit.slice(0, 8), '--file', 'src/a.ts']));
    expect(await api('/api/v1/sessions?id=cccc&since=2020-01-01&has=commits&has=errors')).toEqual(cli(['sessions', '--id', 'cccc', '--since', '2020-01-01', '--has', 'commits', '--has', 'errors']));
    // A cursor from the API pages the CLI's query and the other way round.
    const first = await api<{ next_cursor: string }>('/api/v1/sessions?limit=2');
    expect(first).toEqual(cli(['sessions', '--limit', '2']));
    const second = await api<{ sessions: { id: string }[] }>(`/api/v1/sessions?limit=2&after=${encodeURIComponent(first.next_cursor)}`);
    expect(second).toEqual(cli(['sessions', '--limit', '2', '--after', first.next_cursor]));
    expect(second.sessions.map((s) => s.id)).toEqual([QUICK[0], B]);
    expect(await api('/api/v1/sessions?limit=2&offset=4')).toEqual(cli(['sessions', '--limit', '2', '--offset', '4']));
  });

  it('answers 400 with { error: { code, message } } for after with offset, a bad cursor, a foreign cursor and bad values', async () => {
    const cursor = (await api<{ next_cursor: string }>('/api/v1/sessions?limit=2')).next_cursor;
    for (const [query, message] of [
      [`after=${cursor}&offset=2`, /--after and --offset/],
      ['after=not-a-cursor', /not a cursor/],
      [`agent=claude-code&limit=2&after=${cursor}`, /another query/],
      ['since=yesterday', /"yesterday" is not a time/],
      ['until=2026-13-45', /is not a time/],
      ['agent=nope', /unknown agent "nope"/],
      ['has=bugs', /unknown value "bugs"/],
      ['limit=501', /--limit/],
      ['limit=two', /--limit/],
      ['commit=xyz', /--commit/],
      ['search=words', /search: not a parameter/],
      ['limit=1&limit=2', /limit/],
    ] as const) {
      const reply = await get(`/api/v1/sessions?${query}`, { cookie });
      expect(reply.status, query).toBe(400);
      const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe('BAD_ARGUMENT');
      expect(body.error.message, query).toMatch(message);
    }
  });

  it('GET /api/v1/sessions/:id equals `trace sessions show --json` (by id or prefix), threads paged; 404 unknown, 409 ambiguous', async () => {
    type Show = { threads: { idx: number }[]; threads_page?: { offset: number; limit: number; total: number } };
    const show = await api<Show>(`/api/v1/sessions/${B}`);
    expect(sessionShowSchema.parse(show)).toEqual(show);
    const { threads_page: threadsPage, ...rest } = show;
    expect(threadsPage).toEqual({ offset: 0, limit: 200, total: 2 });
    expect(rest).toEqual(cli(['sessions', 'show', B]));
    const byPrefix = await api<Show>('/api/v1/sessions/bbbb?diffs=true');
    expect({ ...byPrefix, threads_page: undefined }).toEqual(cli(['sessions', 'show', 'bbbb', '--diffs']));
    const paged = await api<Show>(`/api/v1/sessions/${B}?thread_offset=1&thread_limit=1`);
    expect(paged.threads.map((t) => t.idx)).toEqual([2]);
    expect(paged.threads_page).toEqual({ offset: 1, limit: 1, total: 2 });
    const one = await api<Show>(`/api/v1/sessions/${B}?thread=2`);
    expect({ ...one, threads_page: undefined }).toEqual(cli(['sessions', 'show', B, '--thread', '2']));

    const unknown = await get('/api/v1/sessions/zzzz', { cookie });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
    const ambiguous = await get('/api/v1/sessions/cccc', { cookie });
    expect(ambiguous.status).toBe(409);
    const body = JSON.parse(ambiguous.body) as { error: { code: string; message: string; candidates: { id: string }[] } };
    expect(body.error.code).toBe('AMBIGUOUS');
    expect(body.error.candidates.map((c) => c.id).sort()).toEqual([...QUICK].sort());
    expect((await get(`/api/v1/sessions/${B}?thread_limit=201`, { cookie })).status).toBe(400);
    expect((await get(`/api/v1/sessions/${B}?thread=9`, { cookie })).status).toBe(400);
  });

  it('GET /api/v1/sessions/:id/files/:n/diff returns the n-th edit with both contents and its diff', async () => {
    type Edit = { n: number; count: number; path: string; tool_use_id: string; tool: string; before: string | null; after: string | null; diff: string | null; lines_added: number };
    const write = await api<Edit>(`/api/v1/sessions/${B}/files/0/diff`);
    expect(write).toMatchObject({ n: 0, count: 2, path: 'src/b.ts', tool: 'Write', before: '', after: 'one\ntwo\n' });
    const edit = await api<Edit>('/api/v1/sessions/bbbb/files/1/diff');
    expect(edit).toMatchObject({ n: 1, count: 2, path: 'src/b.ts', tool_use_id: bEdit, tool: 'Edit', before: 'one\ntwo\n', after: 'one\ntwo\nthree\nfour\n', lines_added: 2 });
    expect(edit.diff).toContain('+three');
    expect(edit.diff).toContain('+four');
    // The same diff `show --diffs` prints.
    const shown = cli<{ diffs: Record<string, string | null> }>(['sessions', 'show', B, '--diffs']);
    expect(edit.diff).toBe(shown.diffs[`${bEdit}:src/b.ts`]);
    const past = await get(`/api/v1/sessions/${B}/files/2/diff`, { cookie });
    expect(past.status).toBe(404);
    expect(errorOf(past).message).toContain('2 file edit(s)');
    expect((await get(`/api/v1/sessions/${B}/files/x/diff`, { cookie })).status).toBe(400);
  });

  it('GET /api/v1/models?q= finds models by prefix', async () => {
    const all = await api<{ models: { model: string; sessions: number }[] }>('/api/v1/models');
    expect(all.models.map((m) => m.model).sort()).toEqual(['claude-opus-4-5', 'claude-sonnet-4-5']);
    expect(await api('/api/v1/models?q=claude-s')).toEqual({ models: [{ model: 'claude-sonnet-4-5', sessions: 1 }] });
    expect(await api('/api/v1/models?q=gpt')).toEqual({ models: [] });
    expect((await get('/api/v1/models?limit=0', { cookie })).status).toBe(400);
  });

  it('GET /api/v1/stats equals `trace sessions stats --json`', async () => {
    const window = ['--since', '2020-01-01', '--until', '2030-01-01'];
    expect(await api('/api/v1/stats?since=2020-01-01&until=2030-01-01')).toEqual(cli(['sessions', 'stats', ...window]));
    const byModel = await api<{ breakdown: { key: string; sessions: number }[] }>('/api/v1/stats?since=2020-01-01&until=2030-01-01&by=model&agent=claude-code');
    expect(byModel).toEqual(cli(['sessions', 'stats', ...window, '--by', 'model', '--agent', 'claude-code']));
    expect(byModel.breakdown.map((b) => [b.key, b.sessions]).sort()).toEqual([['claude-opus-4-5', 1], ['claude-sonnet-4-5', 1]]);
    const bad = await get('/api/v1/stats?by=planet', { cookie });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toContain('unknown breakdown "planet"');
    expect((await get('/api/v1/stats?since=2030-01-01&until=2020-01-01', { cookie })).status).toBe(400);
  });

  it('GET /api/v1/commits/:sha equals `trace show <sha> --json`', async () => {
    const shown = await api<{ sha: string; session_ids: string[] }>(`/api/v1/commits/${commit}`);
    expect(shown).toEqual(cli(['show', commit]));
    expect(shown.session_ids).toEqual([A]);
    expect(await api(`/api/v1/commits/${commit.slice(0, 7)}`)).toEqual(shown);
    expect((await get('/api/v1/commits/0000000000', { cookie })).status).toBe(404);
    expect((await get('/api/v1/commits/HEAD', { cookie })).status).toBe(400);
  });

  it('shows sessions recorded while it runs (the store is read fresh, not restarted)', async () => {
    const late = 'dddd0004-0000-4000-8000-000000000004';
    new FakeClaude(repo, { sessionId: late, transcriptPath: join(tempDir('trace-ui-late-'), `${late}.jsonl`) }).prompt('a late question');
    const page = await api<{ sessions: { id: string; last_prompt: string | null }[] }>('/api/v1/sessions?limit=1');
    expect(page.sessions.map((s) => [s.id, s.last_prompt])).toEqual([[late, 'a late question']]);
    expect(page).toEqual(cli(['sessions', '--limit', '1']));
  });
});

describe('trace ui: stopping', () => {
  it('closes the server and the store on SIGINT and exits 0', async () => {
    // A kept-alive connection must not hold it open.
    expect((await get('/healthz', { cookie, headers: { connection: 'keep-alive' } })).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(get('/healthz', { cookie })).rejects.toThrow(/ECONNREFUSED/);
    // The store was closed cleanly: the next command reads it without a recovery warning.
    const after = repo.trace(['sessions', '--json']);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
  });

  it('refuses a port in use and a bad --source or --port (exit 2)', async () => {
    const other = await startUi();
    try {
      const busy = repo.trace(['ui', '--no-open', '--port', String(other.port)]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain('in use');
    } finally {
      other.child.kill('SIGINT');
    }
    expect(repo.trace(['ui', '--no-open', '--source', 'cloud']).code).toBe(2);
    expect(repo.trace(['ui', '--no-open', '--port', '70000']).code).toBe(2);
  });
});
