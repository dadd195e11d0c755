// The hook hot path as its own CommonJS bundle (dist/commands/hook.cjs): Node loads one CommonJS
// file far faster than a tree of ES modules. bin/trace requires it for `trace hook …`.
import { dirname, join } from 'node:path';
import { MAX_PAYLOAD_BYTES } from './capture/limits.js';
import { readStdin, readStdinSync, runHook } from './commands/hook.js';
import type { ImportModule } from './guard/settings.js';

/** `importModule`: given by bin/trace, which runs this bundle from V8's code cache (see HookOptions). */
export async function hookMain(argv: string[], importModule?: ImportModule): Promise<void> {
  let payload: Buffer;
  try {
    const head = readStdinSync();
    payload = head.complete ? head.data : Buffer.concat([head.data, await readStdin(process.stdin, MAX_PAYLOAD_BYTES - head.data.length)]);
  } catch {
    // An unreadable or oversized payload is handled like a malformed one.
    payload = Buffer.from('\0');
  }
  // When this process started: the agent ended the tool call before it (a call without a pre hook starts earlier still).
  // process.uptime() rather than performance.timeOrigin, whose first read loads perf_hooks (~1-2 ms).
  const startedAt = new Date(Date.now() - process.uptime() * 1000);
  const reply = await runHook({ agent: argv[0] ?? '', event: argv[1] ?? '', payload, cwd: process.cwd(), now: () => new Date(), sqliteAddon: sqliteAddon(), startedAt, importModule });
  // Only agents that read a JSON answer get one; for the others stdout stays empty.
  if (reply !== undefined) process.stdout.write(reply);
}

/**
 * better-sqlite3's addon, found next to its package.json so opening the store skips `bindings`'
 * search of a dozen paths (~5 ms). Only in the CommonJS bundle, where `require` exists; the ES module
 * build leaves the search to better-sqlite3.
 */
function sqliteAddon(): string | undefined {
  if (typeof require !== 'function') return undefined;
  try {
    return join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  } catch {
    return undefined;
  }
}
