// Looks into a test repository's capture store.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCaptureStore } from '../../src/capture/open.js';
import { findRepo } from '../../src/repo.js';
import type { Store } from '../../src/store.js';
import type { TestRepo } from './repo.js';

export function withStore<T>(repo: TestRepo, fn: (store: Store) => T): T {
  // As a command opens it: with the calls agents spooled and the records pre hooks left pending taken
  // in, and the attributions git's hooks queued done (by trace itself: this helper stays synchronous,
  // and the built trace reads .chainloop.yml for the spooled calls' size cap, which the sources run by
  // vitest cannot load synchronously).
  const waiting = (dir: string) => existsSync(join(repo.dir, '.git', 'chainloop-trace', dir)) && readdirSync(join(repo.dir, '.git', 'chainloop-trace', dir)).length > 0;
  if (waiting('queue') || waiting('spool')) {
    const settled = repo.trace(['git-hook', 'settle']);
    if (settled.code !== 0) throw new Error(`trace git-hook settle failed: ${settled.stderr}`);
  }
  const store = openCaptureStore(findRepo(repo.dir)!);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function blobText(store: Store, oid: string | null): string | null {
  return oid === null ? null : store.getBlob(oid).toString('utf8');
}
