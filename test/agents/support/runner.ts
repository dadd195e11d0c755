// Running a real agent CLI headless: the pinned binary from the install cache, a fresh HOME (the test
// repository's), the trace bin first on the PATH, every telemetry/update/error-report switch off and
// proxies pointing at the model server, so nothing but 127.0.0.1 can be reached, and a try is seen.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pins from '../agents.json' with { type: 'json' };
import type { TestRepo } from '../../support/repo.js';

export type AgentId = keyof typeof pins;
export const PINS = pins;

export function cacheDir(): string {
  return process.env.TRACE_AGENTS_CACHE || join(homedir(), '.cache', 'trace-agents');
}

/** The installed binary (test/agents/global-setup.ts installs every pin before the tests run). */
export function agentBinary(agent: AgentId): string {
  const pin = pins[agent];
  const bin = join(cacheDir(), `${pin.package.replace('/', '+')}@${pin.version}`, 'node_modules', '.bin', pin.bin);
  if (!existsSync(bin)) throw new Error(`${pin.package}@${pin.version} is not installed: run node scripts/agents-install.mjs ${agent}`);
  return bin;
}

/**
 * The environment of an agent run: the repository's (fresh HOME, trace first on the PATH), and every
 * proxy variable pointing at the model server, which refuses and records whatever is not for 127.0.0.1.
 */
export function offlineEnv(repo: TestRepo, proxy: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...repo.env,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    ALL_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    all_proxy: proxy,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    DO_NOT_TRACK: '1',
    CI: '1',
    TERM: 'dumb',
    NO_COLOR: '1',
    ...extra,
  };
}

export interface AgentRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

/** Runs the agent without blocking this process (its model server runs here). Kills it after `timeoutMs`. */
export function runAgent(binary: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(binary, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      // The whole process group: agents leave shells and hook processes behind.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever the agent left running (a hook it gave up on) goes with it.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // nothing left
      }
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal, ms: Date.now() - started });
    });
  });
}
