// How commands open the capture store: with the records pre hooks left pending taken in first.
import type { Repo } from '../repo.js';
import { Store } from '../store.js';
import { ingestPending } from './pending.js';

/**
 * A damaged store is moved aside and a fresh one started (see `Store.open`); `report` says so in one
 * line (stderr by default: commands and git hooks show it; agent hooks open the store themselves and
 * only log it).
 */
export function openCaptureStore(repo: Repo, options: { report?: (line: string) => void } = {}): Store {
  const store = Store.open(repo.stateDir);
  if (store.recovered) (options.report ?? ((line) => process.stderr.write(`trace: warning: ${line}\n`)))(store.recovered.message);
  try {
    ingestPending(store, repo);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

/**
 * The store as commands that read attributions open it: with the attributions git's hooks queued
 * done first (see attribution/queue.ts; the detached process may not be done yet).
 */
export async function openSettledStore(repo: Repo, options: { report?: (line: string) => void } = {}): Promise<Store> {
  const store = openCaptureStore(repo, options);
  try {
    const { settleAttributions } = await import('../attribution/queue.js');
    await settleAttributions(repo, store);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}
