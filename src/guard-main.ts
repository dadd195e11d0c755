// The guard's hook as its own CommonJS bundle (dist/commands/guard.cjs), apart from capture's:
// bin/trace requires it for `trace hook <agent> guard`.
import { readSync } from 'node:fs';
import { runGuardHook } from './guard/hook.js';
import type { ImportModule } from './guard/settings.js';

const MAX_BYTES = 16 * 1024 * 1024;

/** stdin with blocking reads; a non-blocking pipe is read to its end with the stream API. */
async function readPayload(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(65536);
    let read: number;
    try {
      read = readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      for await (const more of process.stdin) {
        const buffer = typeof more === 'string' ? Buffer.from(more) : (more as Buffer);
        size += buffer.length;
        if (size > MAX_BYTES) throw new Error('payload too large');
        chunks.push(buffer);
      }
      break;
    }
    if (read === 0) break;
    size += read;
    if (size > MAX_BYTES) throw new Error('payload too large');
    chunks.push(chunk.subarray(0, read));
  }
  return Buffer.concat(chunks, size);
}

/**
 * Prints the agent's answer; returns the exit code and whether the guard answered anything (a deny,
 * ask or warning: bin/trace keeps V8's code cache holding both paths). `importModule`: see GuardHookOptions.
 */
export async function guardRun(argv: string[], importModule?: ImportModule): Promise<{ exitCode: number; answered: boolean }> {
  let payload: Buffer;
  try {
    payload = await readPayload();
  } catch {
    payload = Buffer.from('\0');
  }
  const out = await runGuardHook({ agent: argv[0] ?? '', payload, cwd: process.cwd(), env: process.env, now: () => new Date(), ...(importModule ? { importModule } : {}) });
  if (out.stdout !== undefined) process.stdout.write(out.stdout);
  if (out.stderr !== undefined) process.stderr.write(out.stderr);
  return { exitCode: out.exitCode, answered: out.stdout !== undefined || out.stderr !== undefined };
}

/** Returns the exit code; prints the agent's answer. */
export async function guardMain(argv: string[], importModule?: ImportModule): Promise<number> {
  return (await guardRun(argv, importModule)).exitCode;
}
