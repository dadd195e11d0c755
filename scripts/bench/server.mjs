// trace server: ingest of key-signed bundles (each one push of 10 commits and 2 sessions, verified at
// the door) into PostgreSQL from a throwaway cluster the bench starts, with 1 and with 4 concurrent
// clients, next to GET /healthz on the same server (its floor: the HTTP stack, no query). The same
// ingest into the embedded SQLite file, and a read-side page of 25 over what was ingested, as details.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../pg-cluster.mjs';
import { formatCount, median, PACKAGE_ROOT, tempDir, TRACE_BIN } from './util.mjs';

export const name = 'server';
export const description = 'trace server: ingest of 1,000 key-signed bundles (10 commits, 2 sessions each) into PostgreSQL, 1 and 4 clients, next to GET /healthz';

const TARGET_PER_S = 50;
const TOKEN = 'bench-ingest-token-000000000000';
const READER = 'bench-reader-token-000000000000';

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const hex = (n, width) => n.toString(16).padStart(width, '0');

/** `count` statements of one push each (10 commits, 2 sessions) over 20 repositories, signed with one key. */
async function makeBundles(key, count, offset) {
  const { buildStatement } = await import(join(PACKAGE_ROOT, 'dist', 'core', 'predicate.js'));
  const { signStatement } = await import(join(PACKAGE_ROOT, 'dist', 'signing', 'sign.js'));
  const bundles = [];
  for (let b = offset; b < offset + count; b++) {
    const repository = `acme/repo-${b % 20}`;
    const day = new Date(Date.UTC(2026, 10, 1 + (b % 28), 9)).toISOString();
    const sessionIds = [`bench-${hex(b, 8)}-a`, `bench-${hex(b, 8)}-b`];
    const commits = Array.from({ length: 10 }, (_, i) => {
      const sha = `${hex(b, 8)}${hex(i, 4)}${'0'.repeat(28)}`;
      const sessionId = sessionIds[i % 2];
      return {
        sha,
        parents: [],
        author: { name: `Dev ${b % 37}`, email: `dev${b % 37}@acme.dev`, date: day },
        captured: true,
        session_ids: [sessionId],
        files: [{ path: `src/f${i}.ts`, status: 'modified', lines_added: 20, lines_removed: 2, ai_lines_added: 12, ai_lines_removed: 0, human_lines_added: 8, human_lines_removed: 2, lines: [{ start: 1, end: 12, attribution: 'ai', session_id: sessionId }, { start: 13, end: 20, attribution: 'human' }] }],
      };
    });
    const sessions = sessionIds.map((id, s) => ({
      schema_version: '0.1',
      agent: { name: s ? 'codex' : 'claude-code', version: '1.0.0' },
      session: { id, started_at: day, ended_at: new Date(Date.parse(day) + 3_600_000).toISOString(), duration_seconds: 3600 },
      git_context: { branch: 'main', commits: commits.filter((c) => c.session_ids[0] === id).map((c) => c.sha), commit_count: 5 },
      model: { primary: s ? 'gpt-5' : 'claude-opus-4-5', models_used: [s ? 'gpt-5' : 'claude-opus-4-5'] },
      usage: {
        input_tokens: 12000, output_tokens: 3000, total_tokens: 15000, cache_read_input_tokens: 90000, cache_creation_input_tokens: 4000,
        cache_creation_5m_input_tokens: 4000, cache_creation_1h_input_tokens: 0, estimated_cost_usd: 1.25, cost_is_estimate: true, prices_as_of: '2026-11-21',
        by_model: [{ model: s ? 'gpt-5' : 'claude-opus-4-5', responses: 40, input_tokens: 12000, output_tokens: 3000, cache_read_input_tokens: 90000, cache_creation_input_tokens: 4000, estimated_cost_usd: 1.25 }],
        by_thread: Array.from({ length: 4 }, (_, t) => ({ idx: t, prompt_at: new Date(Date.parse(day) + t * 600_000).toISOString(), models: ['m'], input_tokens: 3000, output_tokens: 750, cache_read_input_tokens: 22500, cache_creation_input_tokens: 1000, estimated_cost_usd: 0.3125, tool_calls: 10, tool_errors: t === 0 ? 1 : 0 })),
      },
      tools_used: { summary: [{ tool_name: 'Edit', invocation_count: 40 }], total_invocations: 40, mcp_servers: [] },
      conversation: { user_messages: 4 },
      raw_session: { main: Array.from({ length: 4 }, (_, t) => ({ type: 'prompt', text: `step ${t} of the change ${b}`, timestamp: new Date(Date.parse(day) + t * 600_000).toISOString() })) },
      warnings: [],
    }));
    const statement = buildStatement({ repository: { name: repository }, generator: { name: 'trace', version: '0.1.0' }, createdAt: day, retention: 'prompts', commits, sessions, redaction: { total: 0, rules: [] }, warnings: [] });
    bundles.push(JSON.stringify(await signStatement(statement, { mode: 'key', key })));
  }
  return bundles;
}

async function startServer(configFile) {
  const child = spawn(process.execPath, [TRACE_BIN, 'server', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`trace server exited (${code}): ${err}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return { port, stop };
}

function call({ port, agent }, method, path, body, token) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts every bundle with `clients` kept-alive connections working through one queue; bundles per second. */
async function ingest(port, bundles, clients) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  const statuses = {};
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bundles.length) {
        const body = bundles[next++];
        const reply = await call({ port, agent }, 'POST', '/api/v1/attestations', body, TOKEN);
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
        if (reply.status !== 201) throw new Error(`ingest answered ${reply.status}: ${reply.body.slice(0, 300)}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { perSecond: bundles.length / seconds, seconds, statuses };
}

async function healthzRate(port, requests) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) if ((await call({ port, agent }, 'GET', '/healthz')).status !== 200) throw new Error('healthz failed');
  agent.destroy();
  return requests / ((performance.now() - t0) / 1000);
}

export async function run(context) {
  const { log, quick } = context;
  const count = quick ? 200 : 1000;
  const dir = tempDir('trace-bench-server-');
  const { loadOrCreateKey } = await import(join(PACKAGE_ROOT, 'dist', 'signing', 'key.js'));
  const key = await loadOrCreateKey(join(dir, 'key'));
  writeFileSync(join(dir, 'key.pem'), key.publicKeyPem);
  let t0 = performance.now();
  const sets = [await makeBundles(key, count, 0), await makeBundles(key, count, count), await makeBundles(key, count, 2 * count)];
  log(`signed ${formatCount(3 * count)} bundles (10 commits, 2 sessions each; ${Math.round(sets[0][0].length / 1024)} KiB each) in ${(performance.now() - t0).toFixed(0)} ms`);
  t0 = performance.now();
  const cluster = await startCluster();
  log(`PostgreSQL cluster started in ${(performance.now() - t0).toFixed(0)} ms (port ${cluster.port})`);
  const config = (database) =>
    `listen: 127.0.0.1:0\ndatabase: ${database}\ntokens:\n  - token: ${TOKEN}\n    role: ingest\n    repositories: ["acme/*"]\n  - token: ${READER}\n    role: reader\ntrust:\n  - repositories: ["acme/*"]\n    keys: [${join(dir, 'key.pem')}]\n`;
  const servers = [];
  try {
    const results = {};
    for (const [label, database, set, clients] of [
      ['pg1', await cluster.createDatabase('bench'), sets[0], 1],
      ['pg4', await cluster.createDatabase('bench'), sets[1], 4],
      ['sqlite1', join(dir, 'server.sqlite'), sets[2], 1],
    ]) {
      const file = join(dir, `${label}.yml`);
      writeFileSync(file, config(database));
      const server = await startServer(file);
      servers.push(server);
      const healthz = await healthzRate(server.port, quick ? 200 : 1000);
      const run = await ingest(server.port, set, clients);
      const healthzAfter = await healthzRate(server.port, quick ? 200 : 1000);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const page = [];
      for (let i = 0; i < (quick ? 11 : 21); i++) {
        const t = performance.now();
        const reply = await call({ port: server.port, agent }, 'GET', '/api/v1/sessions?limit=25&repository=acme/repo-3', undefined, READER);
        if (reply.status !== 200) throw new Error(`read answered ${reply.status}`);
        page.push(performance.now() - t);
      }
      agent.destroy();
      results[label] = { ...run, healthz: (healthz + healthzAfter) / 2, page: median(page) };
      log(`${label}: ${formatCount(set.length)} bundles in ${run.seconds.toFixed(1)} s = ${run.perSecond.toFixed(0)} bundles/s with ${clients} client(s); GET /healthz ${results[label].healthz.toFixed(0)}/s on the same server; GET /api/v1/sessions page of 25 ${results[label].page.toFixed(1)} ms`);
      await server.stop();
      servers.pop();
    }
    return [
      figure('server.ingest_pg_1', `server: ingest into PostgreSQL, 1 client (${formatCount(count)} bundles)`, {
        value: Number(results.pg1.perSecond.toFixed(1)),
        unit: 'bundles/s',
        result: `${results.pg1.perSecond.toFixed(0)} bundles/s vs GET /healthz ${results.pg1.healthz.toFixed(0)} req/s`,
        target: `≥ ${TARGET_PER_S} bundles/s`,
        met: results.pg1.perSecond >= TARGET_PER_S,
        details: results.pg1,
      }),
      figure('server.ingest_pg_4', `server: ingest into PostgreSQL, 4 concurrent clients (${formatCount(count)} bundles)`, {
        value: Number(results.pg4.perSecond.toFixed(1)),
        unit: 'bundles/s',
        result: `${results.pg4.perSecond.toFixed(0)} bundles/s vs GET /healthz ${results.pg4.healthz.toFixed(0)} req/s`,
        target: `≥ ${TARGET_PER_S} bundles/s`,
        met: results.pg4.perSecond >= TARGET_PER_S,
        details: results.pg4,
      }),
      figure('server.ingest_sqlite_1', `server: ingest into the embedded SQLite file, 1 client (${formatCount(count)} bundles)`, {
        value: Number(results.sqlite1.perSecond.toFixed(1)),
        unit: 'bundles/s',
        result: `${results.sqlite1.perSecond.toFixed(0)} bundles/s vs GET /healthz ${results.sqlite1.healthz.toFixed(0)} req/s`,
        target: null,
        met: null,
        details: results.sqlite1,
      }),
      figure('server.sessions_page', 'server: GET /api/v1/sessions page of 25, one repository (PostgreSQL, after the 4-client ingest)', {
        value: Number(results.pg4.page.toFixed(2)),
        unit: 'ms',
        result: `${results.pg4.page.toFixed(1)} ms over ${formatCount(2 * count)} sessions (not the 300,000-session store of the issue)`,
        target: null,
        met: null,
        details: {},
      }),
    ];
  } finally {
    for (const server of servers) await server.stop();
    cluster.stop();
  }
}
