// trace ui's JSON API over the generated store of the sessions section (200,000 sessions, 2,000,000
// tool calls): `GET /api/v1/sessions` (a page of 25) as an HTTP round trip on a kept-alive connection
// to the real `trace ui` process, next to `GET /healthz` on the same connection (the server's floor:
// the security middleware and the HTTP stack, no query), interleaved run by run.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateStore } from './sessions.mjs';
import { formatCount, formatMs, makeRepo, median, PACKAGE_ROOT, TRACE_BIN } from './util.mjs';

export const name = 'ui-api';
export const description = 'trace ui: GET /api/v1/sessions (page of 25) over 200,000 sessions, HTTP round trip on a kept-alive connection, next to GET /healthz';

const PAGE_TARGET_MS = 30;

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

/** Starts `trace ui` and resolves with its port, the cookie its token gives, and a way to stop it. */
async function startUi(repo) {
  const child = spawn(process.execPath, [TRACE_BIN, 'ui', '--no-open', '--port', '0'], { cwd: repo.dir, env: repo.env });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(new URL(out.split('\n')[0]));
    });
    child.once('exit', (code) => reject(new Error(`trace ui exited (${code}): ${err}`)));
  });
  const port = Number(url.port);
  const login = await get({ port, agent: undefined, cookie: undefined }, `${url.pathname}${url.search}`);
  const cookie = login.headers['set-cookie']?.[0]?.split(';')[0];
  if (login.status !== 302 || !cookie) throw new Error(`trace ui login failed: ${login.status}`);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
  return { port, cookie, stop };
}

function get({ port, agent, cookie }, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { host: `127.0.0.1:${port}`, ...(cookie ? { cookie } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function timed(client, path) {
  const t0 = performance.now();
  const reply = await get(client, path);
  const ms = performance.now() - t0;
  if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${reply.body.slice(0, 200)}`);
  return { ms, reply };
}

export async function run(context) {
  const { log, quick } = context;
  const runs = quick ? 11 : Math.max(context.runs ?? 21, 21);
  const { Store } = await import(join(PACKAGE_ROOT, 'dist', 'store.js'));
  const repo = makeRepo();
  let server;
  try {
    const store = Store.open(repo.stateDir);
    const t0 = performance.now();
    generateStore(store);
    store.db.exec('ANALYZE');
    const count = store.db.prepare('SELECT count(*) AS n FROM session_summaries').get().n;
    store.close();
    log(`generated ${formatCount(count)} sessions in ${formatMs(performance.now() - t0)} (the sessions section's generator)`);

    server = await startUi(repo);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const client = { port: server.port, agent, cookie: server.cookie };
    const paths = {
      page: '/api/v1/sessions?limit=25',
      agent: '/api/v1/sessions?limit=25&agent=codex',
      model: '/api/v1/sessions?limit=25&model=claude-opus*',
      since: '/api/v1/sessions?limit=25&since=2026-11-20',
      search: '/api/v1/sessions?limit=25&q=router',
    };
    // Warm-up: the first call opens the connection and loads the route's modules.
    for (const path of ['/healthz', ...Object.values(paths)]) await timed(client, path);
    const first = JSON.parse((await timed(client, paths.page)).reply.body);
    const next = `${paths.page}&after=${encodeURIComponent(first.next_cursor)}`;
    const times = { healthz: [], page: [], next: [], agent: [], model: [], since: [], search: [] };
    for (let r = 0; r < runs; r++) {
      times.healthz.push((await timed(client, '/healthz')).ms);
      times.page.push((await timed(client, paths.page)).ms);
      times.next.push((await timed(client, next)).ms);
      for (const key of ['agent', 'model', 'since', 'search']) times[key].push((await timed(client, paths[key])).ms);
    }
    agent.destroy();
    const m = Object.fromEntries(Object.entries(times).map(([key, values]) => [key, median(values)]));
    log(`GET /api/v1/sessions page of 25 (median of ${runs}, kept-alive): ${m.page.toFixed(1)} ms; next page by cursor ${m.next.toFixed(1)} ms; GET /healthz ${m.healthz.toFixed(1)} ms`);
    log(`with a filter: agent ${m.agent.toFixed(1)} ms, model prefix ${m.model.toFixed(1)} ms, since ${m.since.toFixed(1)} ms, text search ${m.search.toFixed(1)} ms`);
    const code = await server.stop();
    server = undefined;
    return [
      figure('ui_api.sessions_page', 'ui api: GET /api/v1/sessions, page of 25 (HTTP round trip)', {
        value: Number(m.page.toFixed(2)),
        unit: 'ms',
        result: `${m.page.toFixed(1)} ms vs GET /healthz ${m.healthz.toFixed(1)} ms; next page ${m.next.toFixed(1)} ms; n=${runs}`,
        target: `≤ ${PAGE_TARGET_MS} ms`,
        met: m.page <= PAGE_TARGET_MS,
        details: { medians: m, times, sessions: count, exitCode: code },
      }),
      figure('ui_api.sessions_page_filtered', 'ui api: GET /api/v1/sessions with a filter, slowest of agent/model/since/search', {
        value: Number(Math.max(m.agent, m.model, m.since, m.search).toFixed(2)),
        unit: 'ms',
        result: `agent ${m.agent.toFixed(1)}, model* ${m.model.toFixed(1)}, since ${m.since.toFixed(1)}, search ${m.search.toFixed(1)} ms`,
        target: null,
        met: null,
        details: {},
      }),
    ];
  } finally {
    if (server) await server.stop();
    repo.cleanup();
  }
}
