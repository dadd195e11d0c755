// Read-only looks into a test repository's capture store.
import { join } from 'node:path';
import { Store } from '../../src/store.js';
import type { TestRepo } from './repo.js';

export function withStore<T>(repo: TestRepo, fn: (store: Store) => T): T {
  const store = Store.open(join(repo.dir, '.git', 'chainloop-trace'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function blobText(store: Store, oid: string | null): string | null {
  return oid === null ? null : store.getBlob(oid).toString('utf8');
}
