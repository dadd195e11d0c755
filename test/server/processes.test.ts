// The real `trace server` processes: two of them ingesting the same bundles into one database at
// once (nothing lost, nothing twice), `trace server sync` from a bare remote a real push filled, and
// a developer's push delivering to the server through trace.upload.http.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openServerDb } from '../../src/server/db.js';
import { attestedRepo, decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, TRACE_BIN } from '../support/repo.js';
import { keyPair, pushStatement, serverBed, signedBundle } from './support.js';

const TOKEN = 'ingest-token-process-test-0000';
const bed = serverBed('server-proc');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  cleanupTemps();
});


/** Starts `trace server` and resolves with its base URL once it listens. */
function startServer(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess; stop: () => Promise<number | null>; log: () => string }> {
  const child = spawn(process.execPath, [TRACE_BIN, 'server', '--config', configFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trace server did not start: ${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          child,
          log: () => stderr,
          stop: () =>
            new Promise((done) => {
              child.once('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trace server exited (${code}): ${stderr}`));
    });
  });
}

describe.each(bed.engines)('trace server processes on %s', (engine) => {
  it('two servers ingesting the same bundles at once store each bundle, session and commit exactly once', async () => {
    const { key, pemFile } = await keyPair(bed.dir, `key-${engine}`);
    const database = await bed.database(engine);
    const configFile = join(bed.dir, `concurrent-${engine}.yml`);
    writeFileSync(configFile, `listen: 127.0.0.1:0\ndatabase: ${database}\ntokens:\n  - token: ${TOKEN}\n    role: ingest\n    repositories: ["acme/*"]\ntrust:\n  - repositories: ["acme/*"]\n    keys: [${pemFile}]\n`);
    const [a, b] = await Promise.all([startServer(configFile), startServer(configFile)]);
    try {
      // 24 pushes over 4 sessions (push i: sessions i % 4 and (i + 1) % 4): every session is merged from bundles arriving at once.
      const sessions = Array.from({ length: 4 }, (_, i) => ({ id: `conc-session-${i}`, startedAt: '2026-11-30T09:00:00.000Z', endedAt: `2026-11-30T1${i}:00:00.000Z` }));
      const bundles = await Promise.all(
        Array.from({ length: 24 }, (_, i) => signedBundle(key, pushStatement({ repository: 'acme/api', createdAt: `2026-11-30T12:00:${String(i).padStart(2, '0')}Z`, sessions: [sessions[i % 4]!, sessions[(i + 1) % 4]!], commits: 2 }))),
      );
      const post = (url: string, body: string) => fetch(`${url}/api/v1/attestations`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }).then((r) => r.status);
      const statuses = await Promise.all(bundles.flatMap((body) => [post(a.url, body), post(b.url, body)]));
      for (let i = 0; i < bundles.length; i++) expect([statuses[2 * i], statuses[2 * i + 1]].sort(), `${a.log()}\n${b.log()}`).toEqual([200, 201]);

      const store = await openServerDb(database);
      try {
        const count = async (table: 'bundles' | 'sessions' | 'commits' | 'session_commits') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
        expect(await count('bundles')).toBe(24);
        expect(await count('sessions')).toBe(4);
        expect(await count('commits')).toBe(48);
        expect(await count('session_commits')).toBe(48);
        const rows = await store.db.selectFrom('sessions').select(['session_id', 'commits', 'snapshot_at']).orderBy('session_id').execute();
        expect(rows.map((r) => Number(r.commits))).toEqual([12, 12, 12, 12]);
        // The newest attestation's snapshot won, whatever order the two servers stored them in.
        expect(rows.map((r) => r.snapshot_at)).toEqual(['2026-11-30T12:00:23.000Z', '2026-11-30T12:00:21.000Z', '2026-11-30T12:00:22.000Z', '2026-11-30T12:00:23.000Z']);
        const daily = await store.db.selectFrom('usage_daily').selectAll().execute();
        expect(daily.reduce((n, d) => n + Number(d.sessions), 0)).toBe(4);
        expect(daily.reduce((n, d) => n + Number(d.commits), 0)).toBe(48);
      } finally {
        await store.close();
      }
      const counted = async (url: string, status: number) => Number(new RegExp(`trace_server_ingest_total\\{status="${status}",source="http"\\} (\\d+)`).exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
      expect((await counted(a.url, 201)) + (await counted(b.url, 201))).toBe(24);
      expect((await counted(a.url, 200)) + (await counted(b.url, 200))).toBe(24);
    } finally {
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }
  });

  it('syncs a bare remote a real push filled, and receives the next push through trace.upload.http', async () => {
    const { repo, agent } = attestedRepo();
    const lines = remoteNoteLines(repo, repo.git(['rev-parse', 'HEAD~1']).stdout.trim());
    expect(lines.length).toBeGreaterThan(0);
    const repository = decodeStatement(lines[0]!).predicate.repository.name;
    const keyDir = join(repo.dir, '.chainloop', 'keys');
    const keyFile = join(keyDir, readdirSync(keyDir)[0]!);
    const database = await bed.database(engine);
    const configFile = join(bed.dir, `sync-${engine}.yml`);
    writeFileSync(
      configFile,
      `listen: 127.0.0.1:0\ndatabase: ${database}\ntokens:\n  - tokenEnv: TRACE_TEST_INGEST\n    role: ingest\n    repositories: [${JSON.stringify(repository)}]\ntrust:\n  - repositories: [${JSON.stringify(repository)}]\n    keys: [${keyFile}]\nsync:\n  intervalMinutes: 60\n  remotes:\n    - url: ${repo.remote}\n`,
    );
    const env = { ...process.env, TRACE_TEST_INGEST: TOKEN };
    const sync = (await import('node:child_process')).spawnSync(process.execPath, [TRACE_BIN, 'server', 'sync', '--config', configFile, '--json'], { env, encoding: 'utf8' });
    expect(sync.stderr).toBe('');
    const first = JSON.parse(sync.stdout) as { remotes: { lines: number; stored: number; duplicates: number; rejected: unknown[] }[] };
    expect(first.remotes[0]).toMatchObject({ stored: first.remotes[0]!.lines, rejected: [] });
    expect(first.remotes[0]!.stored).toBeGreaterThan(0);
    const again = JSON.parse((await import('node:child_process')).spawnSync(process.execPath, [TRACE_BIN, 'server', 'sync', '--config', configFile, '--json'], { env, encoding: 'utf8' }).stdout) as typeof first;
    expect(again.remotes[0]).toMatchObject({ stored: 0, duplicates: first.remotes[0]!.lines });

    const server = await startServer(configFile, { TRACE_TEST_INGEST: TOKEN });
    try {
      // With sync.intervalMinutes the server pulls at start, then on the interval: all held already.
      for (let i = 0; i < 100 && !/sync .*: \d+ bundles/.test(server.log()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(server.log()).toContain(`sync ${repo.remote}: ${first.remotes[0]!.lines} bundles, 0 new, ${first.remotes[0]!.lines} already held`);
      repo.write('.chainloop.yml', `${repo.read('.chainloop.yml')}\ntrace:\n  upload:\n    http:\n      url: ${server.url}/api/v1/attestations\n      tokenEnv: TRACE_UPLOAD_TOKEN\n`.replace(/\ntrace:\n([\s\S]*)\ntrace:\n/, '\ntrace:\n$1\n'));
      const next = new FakeClaude(repo);
      next.start('claude-opus-4-8');
      next.write('src/b.ts', 'export const b = 2;\n');
      repo.commit('more ai');
      const push = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('git', ['push', '-q', 'origin', 'main'], { cwd: repo.dir, env: { ...repo.env, TRACE_UPLOAD_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(push.code).toBe(0);
      const list = (await (await fetch(`${server.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { error: { code: string } };
      expect(list.error.code).toBe('FORBIDDEN'); // an ingest token cannot read
    } finally {
      await server.stop();
    }
    const store = await openServerDb(database);
    try {
      const sessions = await store.db.selectFrom('sessions').select(['session_id', 'agent']).execute();
      expect(sessions.map((s) => s.session_id)).toContain(agent.sessionId);
      expect(sessions.every((s) => s.agent === 'claude-code')).toBe(true);
      const bundles = Number((await store.db.selectFrom('bundles').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      expect(bundles).toBe(first.remotes[0]!.stored + 1);
    } finally {
      await store.close();
    }
  });
});
