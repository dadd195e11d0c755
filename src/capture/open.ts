// How commands open the capture store: with the calls spooled by agents' shell steps and the records
// pre hooks left pending taken in first, in that order.
import { createRequire } from 'node:module';
import type * as Config from '../config.js';
import { fileLogger, type Logger } from '../log.js';
import type { Repo } from '../repo.js';
import { Store } from '../store.js';
import { cachedCaptureSettings, type CaptureSettings, refreshCaptureSettings } from './config-cache.js';
import { ingestPending } from './pending.js';
import type * as Spool from './spool.js';
import { ensureSpoolDir, spoolWaiting } from './spool-dir.js';

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
    takeInSpooled(store, repo);
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
 * Takes in the calls agents spooled (capture/spool.ts); also for a process that keeps the store open
 * (`trace ui`), before each request. Nothing spooled (the usual case) costs one directory read: the
 * spool's module (every agent's payload parser) is loaded only when there is something to take in,
 * synchronously, as this function's callers need (require of an ES module: Node 20.19 and later).
 */
export function takeInSpooled(store: Store, repo: Repo): number {
  if (!spoolWaiting(repo)) {
    ensureSpoolDir(repo);
    return 0;
  }
  const logger = fileLogger(repo.stateDir);
  let spool: typeof Spool;
  try {
    spool = createRequire(import.meta.url)('./spool.js') as typeof Spool;
  } catch (error) {
    logger.log('error', `spooled calls left for the next trace process: cannot load the spool's take-in here (${(error as Error).message})`);
    return 0;
  }
  return spool.ingestSpool(store, repo, { logger, settings: () => captureSettingsNow(repo, logger) });
}
