// The hook hot path as its own CommonJS bundle (dist/commands/hook.cjs): Node loads one CommonJS
// file far faster than a tree of ES modules. bin/trace requires it for `trace hook …`.
import { readStdin, runHook } from './commands/hook.js';

export async function hookMain(argv: string[]): Promise<void> {
  let payload: Buffer;
  try {
    payload = await readStdin(process.stdin);
  } catch {
    // An unreadable or oversized payload is handled like a malformed one.
    payload = Buffer.from('\0');
  }
  await runHook({ agent: argv[0] ?? '', event: argv[1] ?? '', payload, cwd: process.cwd(), now: () => new Date() });
}
