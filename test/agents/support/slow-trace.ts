// A `trace` that hangs, first on the PATH, with the timeouts of trace's installed hook config shortened:
// the agent must give up on each hook at its timeout and go on with its work.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestRepo } from '../../support/repo.js';

export interface SlowTrace {
  /** The PATH with the hanging trace first. */
  path: string;
  /** The `trace …` calls the agent started, one per line. */
  calls(): string[];
}

export function slowTrace(repo: TestRepo): SlowTrace {
  const bin = join(repo.home, 'slow-bin');
  const log = join(repo.home, 'slow-trace.log');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'trace'), `#!/bin/sh\necho "$*" >> '${log}'\nexec sleep 60\n`);
  chmodSync(join(bin, 'trace'), 0o755);
  return {
    path: `${bin}:${repo.env.PATH ?? ''}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** Rewrites every timeout `pattern` matches in the repository's `file`; fails when it matches nothing. */
export function shortenTimeouts(repo: TestRepo, file: string, pattern: RegExp, replacement: string): void {
  const path = join(repo.dir, file);
  const before = readFileSync(path, 'utf8');
  const after = before.replace(pattern, replacement);
  expect(after, `no timeout matched ${String(pattern)} in ${file}`).not.toBe(before);
  writeFileSync(path, after);
}
