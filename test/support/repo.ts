// Real git repositories in temporary directories, with a bare remote, and the real bin/trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT, sandboxEnv } from '../../src/simulate/sandbox.js';

export { PACKAGE_ROOT };
export const TRACE_BIN = join(PACKAGE_ROOT, 'bin', 'trace');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface TestRepo {
  /** The work tree. */
  dir: string;
  /** The bare remote, registered as `origin`. */
  remote: string;
  /** The temporary home (XDG config, git config). */
  home: string;
  env: NodeJS.ProcessEnv;
  git(args: string[], options?: { input?: string; allowFail?: boolean; cwd?: string }): RunResult;
  trace(args: string[], options?: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv }): RunResult;
  /** Like `trace`, without blocking this process: needed when the test itself serves what trace calls. */
  traceAsync(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  sh(command: string, options?: { input?: string | Buffer; cwd?: string }): RunResult;
  write(path: string, content: string | Buffer): void;
  /** Stages `paths` (everything by default), commits, and returns the new HEAD. */
  commit(message: string, paths?: string[]): string;
  read(path: string): string;
  cleanup(): void;
}

const temps: string[] = [];

export function tempDir(prefix = 'trace-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/**
 * Waits until the detached `trace git-hook settle` a git hook started is done: the queue is empty
 * and nobody holds its lock (see src/attribution/queue.ts).
 */
export function waitForAttributions(dir: string, timeoutMs = 60_000): void {
  const state = join(dir, '.git', 'chainloop-trace');
  const busy = () => existsSync(join(state, 'queue.lock')) || (existsSync(join(state, 'queue')) && readdirSync(join(state, 'queue')).length > 0);
  const until = Date.now() + timeoutMs;
  while (busy() && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}

export function cleanupTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string | Buffer }): RunResult {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, input: options.input, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: result.stdout?.toString('utf8') ?? '', stderr: result.stderr?.toString('utf8') ?? '', code: result.status ?? 1 };
}

/** A new repository with one commit on `main`, an `origin` bare remote, and `trace` first on the PATH. */
export function makeRepo(options: { init?: boolean; initialFiles?: Record<string, string> } = {}): TestRepo {
  const base = tempDir();
  const dir = join(base, 'work');
  const remote = join(base, 'remote.git');
  const home = join(base, 'home');
  mkdirSync(dir);
  const env = sandboxEnv(home);
  const repo: TestRepo = {
    dir,
    remote,
    home,
    env,
    git(args, opts = {}) {
      const result = run('git', args, { cwd: opts.cwd ?? dir, env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
      if (result.code !== 0 && !opts.allowFail) throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return result;
    },
    trace(args, opts = {}) {
      return run(process.execPath, [TRACE_BIN, ...args], { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    },
    traceAsync(args, opts = {}) {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [TRACE_BIN, ...args], { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
        child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 1 }));
      });
    },
    sh(command, opts = {}) {
      return run('sh', ['-c', command], { cwd: opts.cwd ?? dir, env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    },
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    commit(message, paths = ['-A']) {
      repo.git(['add', ...paths]);
      repo.git(['commit', '-q', '-m', message]);
      // As before attribution ran detached: the commit is attributed when this returns.
      waitForAttributions(dir);
      return repo.git(['rev-parse', 'HEAD']).stdout.trim();
    },
    read(path) {
      return readFileSync(join(dir, path), 'utf8');
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
  repo.git(['init', '-q', '--bare', remote], { cwd: base });
  repo.git(['init', '-q']);
  repo.git(['remote', 'add', 'origin', remote]);
  for (const [path, content] of Object.entries(options.initialFiles ?? { 'README.md': '# project\n' })) repo.write(path, content);
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'initial']);
  if (options.init !== false) {
    const result = repo.trace(['init', '--yes']);
    if (result.code !== 0) throw new Error(`trace init failed: ${result.stderr}`);
  }
  return repo;
}
