// "Nothing lost": a push that could not be attested is attested by a later one, a removed signing
// key is not silently replaced, and a damaged store is moved aside instead of stopping trace.
import { chmodSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/verify/run.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

function keyFile(repo: TestRepo): string {
  return join(repo.home, '.config', 'chainloop-trace', 'signing-key.pem');
}

/** A traced repository whose setup (config, hooks, public key) is committed and pushed, attested. */
function tracedRepo(): { repo: TestRepo; base: string; agent: FakeClaude } {
  const repo = makeRepo();
  const base = repo.commit('trace set up');
  repo.git(['push', '-q', 'origin', 'main']);
  const agent = new FakeClaude(repo);
  agent.start();
  return { repo, base, agent };
}

function verifyInClone(repo: TestRepo, range: string): { code: number; result: VerifyResult } {
  const clone = join(repo.home, `clone-${Date.now()}`);
  repo.git(['clone', '-q', repo.remote, clone]);
  const run = repo.trace(['verify', range, '--all-commits', '--json'], { cwd: clone });
  return { code: run.code, result: JSON.parse(run.stdout) as VerifyResult };
}

describe('a push that failed to attest', () => {
  it('is attested by the next push, with that push\'s own commits; verify --all-commits passes in a fresh clone', () => {
    const { repo, base, agent } = tracedRepo();
    chmodSync(keyFile(repo), 0o644);
    agent.write('a.ts', 'export const a = 1;\n');
    const first = repo.commit('first');
    const refused = repo.git(['push', 'origin', 'main']);
    expect(refused.stderr).toMatch(/trace: warning: this push is not attested \(.*readable by other users/);
    expect(remoteNoteLines(repo, first)).toEqual([]);

    chmodSync(keyFile(repo), 0o600);
    agent.write('b.ts', 'export const b = 2;\n');
    const second = repo.commit('second');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested 2 commit(s) (1 of them pushed earlier without an attestation)');
    for (const sha of [first, second]) {
      const line = remoteNoteLines(repo, sha)[0];
      expect(line).toBeDefined();
      const commit = decodeStatement(line!).predicate.commits.find((c) => c.sha === sha)!;
      expect(commit.files[0]!.lines[0]!.attribution).toBe('ai');
    }
    const { code, result } = verifyInClone(repo, `${base}..main`);
    expect(result.commits.flatMap((c) => c.failures)).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(repo.trace(['status', '--json']).stdout)).toMatchObject({ pushed_unattested: [] });
  });

  it('is attested by `trace attest` with nothing new to push', () => {
    const { repo, base, agent } = tracedRepo();
    chmodSync(keyFile(repo), 0o644);
    agent.write('a.ts', 'export const a = 1;\n');
    const first = repo.commit('first');
    repo.git(['push', '-q', 'origin', 'main']);
    chmodSync(keyFile(repo), 0o600);
    expect(JSON.parse(repo.trace(['status', '--json']).stdout)).toMatchObject({ pushed_unattested: [first] });
    const attest = repo.trace(['attest', '--json']);
    expect(attest.code, attest.stderr).toBe(0);
    expect(JSON.parse(attest.stdout)).toMatchObject({ commits: [first], pushed_unattested: [first] });
    expect(remoteNoteLines(repo, first)).toHaveLength(1);
    expect(verifyInClone(repo, `${base}..main`).code).toBe(0);
  });
});

describe('a removed signing key', () => {
  it('is an error with the fix, not a silent new key; `trace keys add --rotate` then makes one and the next push attests all', () => {
    const { repo, base, agent } = tracedRepo();
    rmSync(keyFile(repo));
    agent.write('a.ts', 'export const a = 1;\n');
    const first = repo.commit('first');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toMatch(/trace: warning: this push is not attested \(The signing key .*signing-key\.pem is missing, but this machine signed for this repository with key [0-9a-f]{16} before/);
    expect(existsSync(keyFile(repo))).toBe(false);
    expect(remoteNoteLines(repo, first)).toEqual([]);
    expect(push.stderr).toContain('→ Restore');
    expect(push.stderr).toContain('`trace keys add --rotate`');
    const log = readFileSync(join(repo.dir, '.git', 'chainloop-trace', 'log.txt'), 'utf8');
    expect(log).toContain('trace keys add --rotate');
    const doctor = JSON.parse(repo.trace(['doctor', '--json']).stdout) as { checks: { id: string; status: string; message: string; fix: string }[] };
    expect(doctor.checks.find((c) => c.id === 'signing-key')).toMatchObject({ status: 'fail', fix: expect.stringContaining('trace keys add --rotate') as unknown });

    const rotate = repo.trace(['keys', 'add', '--rotate', '--json']);
    expect(rotate.code, rotate.stderr).toBe(0);
    const added = JSON.parse(rotate.stdout) as { file: string; created: boolean; commands: string[] };
    expect(added.created).toBe(true);
    expect(added.commands.join('\n')).toContain(`git add ${added.file}`);
    expect(existsSync(keyFile(repo))).toBe(true);
    repo.commit('trust the new key', [added.file]);
    repo.git(['push', '-q', 'origin', 'main']);
    expect(remoteNoteLines(repo, first)).toHaveLength(1);
    // The new key is trusted once its commit is the base.
    const keyCommit = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    agent.write('b.ts', 'export const b = 2;\n');
    repo.commit('second');
    repo.git(['push', '-q', 'origin', 'main']);
    expect(verifyInClone(repo, `${keyCommit}..main`).code).toBe(0);
    expect(base).not.toBe(keyCommit);
  });

  it('is created as before on a machine that never signed here', () => {
    const repo = makeRepo({ init: false });
    rmSync(join(repo.home, '.config', 'chainloop-trace'), { recursive: true, force: true });
    expect(repo.trace(['init']).code).toBe(0);
    expect(existsSync(keyFile(repo))).toBe(true);
  });
});

const DAMAGE = {
  'not a database': (path: string) => writeFileSync(path, 'this is not an SQLite database\n'.repeat(200)),
  'malformed': (path: string) => {
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(3000, 0x41), 0, 3000, 100);
    closeSync(fd);
  },
  'a directory': (path: string) => {
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    mkdirSync(path);
    writeFileSync(join(path, 'x'), 'x');
  },
} as const;

function stateDir(repo: TestRepo): string {
  return join(repo.dir, '.git', 'chainloop-trace');
}

function movedAside(repo: TestRepo): string[] {
  return readdirSync(stateDir(repo)).filter((name) => /^trace\.db\.corrupt-[0-9TZ-]+$/.test(name));
}

describe('a damaged store', () => {
  for (const [shape, damage] of Object.entries(DAMAGE)) {
    it(`(${shape}) is moved aside by a hook, by status and by a push, each saying so, and trace goes on`, () => {
      const { repo, agent } = tracedRepo();
      const db = join(stateDir(repo), 'trace.db');

      // An agent hook: exits 0, captures into the fresh store, logs the move. (The Write is spooled: the
      // prompt's hook is the Node hook that opens the store, and takes the Write in first.)
      damage(db);
      agent.write('a.ts', 'export const a = 1;\n');
      agent.prompt('next');
      expect(agent.results.every((r) => r.code === 0)).toBe(true);
      expect(movedAside(repo)).toHaveLength(1);
      expect(readFileSync(join(stateDir(repo), 'log.txt'), 'utf8')).toMatch(/error the capture store .*trace\.db was damaged \(.*\): moved it to .*trace\.db\.corrupt-/);
      const captured = repo.commit('captured after the damage');

      // trace status: one line on stderr, no stack trace.
      damage(db);
      const status = repo.trace(['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toMatch(/^trace: warning: the capture store .* was damaged .*started a fresh one/m);
      expect(status.stderr).not.toMatch(/\n\s+at /);
      expect(movedAside(repo).length).toBe(2);

      // A push: the store is moved aside again, and the commits are attested (uncaptured: no capture data is left).
      damage(db);
      agent.write('b.ts', 'export const b = 2;\n');
      const uncaptured = repo.commit('made before the last damage');
      damage(db);
      const push = repo.git(['push', 'origin', 'main']);
      expect(push.stderr).toContain('was damaged');
      expect(push.stderr).toContain('trace: attested');
      for (const sha of [captured, uncaptured]) expect(remoteNoteLines(repo, sha), push.stderr).toHaveLength(1);
      const statement = decodeStatement(remoteNoteLines(repo, uncaptured)[0]!);
      expect(statement.predicate.commits.find((c) => c.sha === uncaptured)!.captured).toBe(false);
      expect(existsSync(`${join(stateDir(repo), movedAside(repo)[0]!)}`)).toBe(true);

      // trace doctor names what was moved aside.
      const doctor = JSON.parse(repo.trace(['doctor', '--json']).stdout) as { checks: { id: string; status: string; message: string }[] };
      const check = doctor.checks.find((c) => c.id === 'store-moved-aside');
      expect(check?.status).toBe('warn');
      expect(check?.message).toContain(join(stateDir(repo), 'trace.db.corrupt-'));
    });
  }

  it('found by several commands at once is moved aside once, and every one of them goes on', async () => {
    const { repo } = tracedRepo();
    DAMAGE['not a database'](join(stateDir(repo), 'trace.db'));
    const runs = await Promise.all(Array.from({ length: 6 }, () => repo.traceAsync(['status', '--json'])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(movedAside(repo)).toHaveLength(1);
    expect(runs.filter((run) => run.stderr.includes('was damaged'))).toHaveLength(1);
  });
});
