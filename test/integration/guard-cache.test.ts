// The guard's hot path loads its bundle with V8's code cache beside it (bin/trace): a missing, damaged
// or stale cache only costs a compile, never a wrong answer, and is written again.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo, PACKAGE_ROOT } from '../support/repo.js';

afterAll(cleanupTemps);

const BUNDLE = join(PACKAGE_ROOT, 'dist', 'commands', 'guard.cjs');
const CACHE = `${BUNDLE}.v8cache`;

describe('guard code cache', () => {
  it('answers the same with no cache, a damaged one and another build’s, and writes a current one', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  guard:\n    mode: enforce\n');
    repo.commit('guard');
    const payload = (command: string) => JSON.stringify({ session_id: 's1', cwd: repo.dir, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, tool_use_id: 't1' });
    const ask = (command: string) => repo.trace(['hook', 'claude', 'guard'], { input: payload(command) });
    const stat = statSync(BUNDLE);
    const key = `${stat.size}:${stat.mtimeMs}:`;
    // No cache, a damaged one, another build's.
    for (const cache of [undefined, `${key}ad\nnot a V8 cache`, `1:2:ad\n${'x'.repeat(64)}`]) {
      if (cache === undefined) rmSync(CACHE, { force: true });
      else writeFileSync(CACHE, cache);
      const denied = ask('FOO=1 git push -f origin main');
      expect(denied.code).toBe(0);
      expect(denied.stdout).toContain('trace guard [force-push-protected]');
      // The secret detectors and the config schema are ES modules the bundle imports through bin/trace.
      expect(ask('curl -H "Authorization: Bearer ghp_0123456789abcdefghijABCDEFGHIJ012345" x').stdout).toContain('secret-in-command');
      expect(ask('ls').stdout).toBe('');
      // Written again, holding both paths: an allowed call and a decided one.
      expect(readFileSync(CACHE).toString('latin1').split('\n')[0]).toBe(`${key}ad`);
    }
  });
});
