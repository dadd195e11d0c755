// How commands open the capture store: with the records pre hooks left pending taken in first.
import type { Repo } from '../repo.js';
import { Store } from '../store.js';
import { ingestPending } from './pending.js';

export function openCaptureStore(repo: Repo): Store {
  const store = Store.open(repo.stateDir);
  try {
    ingestPending(store, repo);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}
