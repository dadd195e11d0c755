// The one way trace runs git: a plain child process (cheap to import, nothing hidden).
import { spawn, spawnSync } from 'node:child_process';
import { TraceError } from './errors.js';

export interface GitOptions {
  cwd: string;
  /** Standard input; chunks are written one after the other (gitRaw only). */
  input?: string | Buffer | readonly (string | Buffer)[];
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okCodes?: number[];
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

function failure(args: readonly string[], code: number | null, stderr: string, cause?: unknown): TraceError {
  const detail = stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${String(code)}`;
  return new TraceError('GIT_FAILED', `git ${args.slice(0, 3).join(' ')} failed: ${detail}`, { cause });
}

export function gitRaw(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    // Without input, stdin is /dev/null: ending an empty pipe costs the hooks' git calls a stream shutdown and an event-loop turn.
    const child = spawn('git', args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(failure(args, null, '', error)));
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const exit = code ?? 1;
      if (exit !== 0 && !(options.okCodes ?? []).includes(exit)) reject(failure(args, code, stderr));
      else resolve({ stdout: Buffer.concat(out), stderr, code: exit });
    });
    const stdin = child.stdin;
    if (options.input === undefined || !stdin) return;
    stdin.on('error', () => undefined);
    // Chunks are written as they are: a large input (a note of many megabytes) is not copied into one buffer first.
    if (Array.isArray(options.input)) {
      for (const chunk of options.input) stdin.write(chunk);
      stdin.end();
    } else stdin.end(options.input);
  });
}

export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  return (await gitRaw(args, options)).stdout.toString('utf8');
}

export function gitSync(args: readonly string[], options: GitOptions): GitResult {
  const result = spawnSync('git', args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: Array.isArray(options.input) ? Buffer.concat(options.input.map((chunk) => Buffer.from(chunk))) : (options.input as string | Buffer | undefined),
    maxBuffer: 1024 * 1024 * 1024,
  });
  const stderr = result.stderr?.toString('utf8') ?? '';
  const code = result.status ?? 1;
  if (result.error || (code !== 0 && !(options.okCodes ?? []).includes(code))) throw failure(args, result.status, stderr, result.error);
  return { stdout: result.stdout, stderr, code };
}

/** The commit `rev` names, or undefined when it names none. */
export async function commitId(cwd: string, rev: string): Promise<string | undefined> {
  const result = await gitRaw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd, okCodes: [1, 128] });
  const oid = result.stdout.toString('utf8').trim();
  return result.code === 0 && oid ? oid : undefined;
}

/** Paths whose work-tree content differs from HEAD or the index, untracked files included. */
export async function dirtyPaths(cwd: string): Promise<Set<string>> {
  const out = await git(['status', '--porcelain=v1', '-z', '--untracked-files=all'], { cwd });
  return new Set(
    out
      .split('\0')
      .filter((entry) => /^.. /.test(entry))
      .map((entry) => entry.slice(3)),
  );
}
