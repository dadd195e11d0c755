// Looks into a test repository's capture store.
import { openCaptureStore } from '../../src/capture/open.js';
import { findRepo } from '../../src/repo.js';
import type { Store } from '../../src/store.js';
import type { TestRepo } from './repo.js';

export function withStore<T>(repo: TestRepo, fn: (store: Store) => T): T {
  // As a command opens it: with the records pre hooks left pending taken in.
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
