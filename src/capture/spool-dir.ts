// Where Claude Code's spooling step leaves its payloads (capture/spool.ts takes them in): what every
// store opener and agent hook checks, without loading the take-in (every agent's payload parser).
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../repo.js';

export const SPOOL_DIR = 'spool';
/** Where a spooled payload that cannot be taken in is moved (with the reason in log.txt). */
export const SPOOL_ASIDE_DIR = 'spool-aside';
/** The shell snapshots' private index (capture/shell.ts, capture/shell-lane.ts). */
export const SHELL_DIR = 'shell';
/** The sh files hook commands source before they start Node (capture/shell-lane.ts, guard/lane.ts). */
export const LANES_DIR = 'lanes';

export function spoolDir(repo: Repo): string {
  return join(repo.stateDir, SPOOL_DIR);
}

/**
 * Creates the spool folder: the spooling step writes there only when it exists (made by a trace that
 * takes the spool in), and runs `trace hook` otherwise, so an older trace on the PATH still captures.
 */
export function ensureSpoolDir(repo: Repo): void {
  mkdirSync(spoolDir(repo), { recursive: true });
}

/**
 * Whether calls wait in the spool (one directory read). A temporary file (a step writing now, or one
 * a killed step left, cleared with the next take-in) is no call: it takes no write lock.
 */
export function spoolWaiting(repo: Repo): boolean {
  try {
    return readdirSync(spoolDir(repo)).some((name) => !name.startsWith('.'));
  } catch {
    return false;
  }
}

/** The payloads moved aside, by name. */
export function spoolAside(repo: Repo): string[] {
  try {
    return readdirSync(join(repo.stateDir, SPOOL_ASIDE_DIR)).sort();
  } catch {
    return [];
  }
}
