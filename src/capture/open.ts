// How commands open the capture store: with the calls spooled by agents' shell steps and the records
// pre hooks left pending taken in first, in that order.
import { createRequire } from 'node:module';
import type * as Config from '../config.js';
import { fileLogger, type Logger } from '../log.js';
import type { Repo } from '../repo.js';
import { Store } from '../store.js';
import { cachedCaptureSettings, type CaptureSettings, refreshCaptureSettings } from './config-cache.js';
import { ingestPending } from './pending.js';
import { ingestSpool, spoolWaiting } from './spool.js';

/**
 * The capture settings, synchronously: the hooks' cache, else `.chainloop.yml` parsed (its module is
 * required only then: commands that never take in a spooled call do not load yaml and zod for it).
 */
export function captureSettingsNow(repo: Repo, logger: Logger): CaptureSettings {
  return (
    cachedCaptureSettings(repo.root, repo.stateDir) ??
    refreshCaptureSettings(repo.root, repo.stateDir, logger, (root) => (createRequire(import.meta.url)('../config.js') as typeof Config).loadConfig(root).trace.capture)
  );
}

/**
 * A damaged store is moved aside and a fresh one started (see `Store.open`); `report` says so in one
 * line (stderr by default: commands and git hooks show it; agent hooks open the store themselves and
 * only log it).
 */
export function openCaptureStore(repo: Repo, options: { report?: (line: string) => void } = {}): Store {
  const store = Store.open(repo.stateDir);
  if (store.recovered) (options.report ?? ((line) => process.stderr.write(`trace: warning: ${line}\n`)))(store.recovered.message);
  try {
    const logger = fileLogger(repo.stateDir);
    ingestSpool(store, repo, { logger, settings: () => captureSettingsNow(repo, logger) });
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

/**
 * For a process that keeps the store open (`trace ui`): takes in the calls spooled since it opened
 * it, when there are any (one directory read otherwise).
 */
export function takeInSpooled(store: Store, repo: Repo): number {
  if (!spoolWaiting(repo)) return 0;
  const logger = fileLogger(repo.stateDir);
  return ingestSpool(store, repo, { logger, settings: () => captureSettingsNow(repo, logger) });
}
