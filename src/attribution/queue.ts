// Attributions git's hooks left to do. post-commit and post-rewrite only write an entry into
// `<state>/queue/` (hooks/git/hook.sh) and start a detached `trace git-hook settle`, so git is not
// kept waiting; every command that reads attributions settles the queue first, in order, under one
// lock, the way commands take in the records pre hooks leave pending (capture/pending.ts).
//
// An entry, as the hook writes it:
//   post-commit <sha> <commit in CHERRY_PICK_HEAD, or ->     post-rewrite <amend|rebase> [<onto> <tip>]
//   <work tree>                                              <work tree>
//   end                                                      <old> <new>  (one line per pair)
//                                                            end
// A rebase's entry names its range: commits in it that git does not list as rewritten were made by
// hand while the rebase stopped, when trace's post-commit hook was set aside (hook.sh).
// The entry file's modification time is when the hook ran: captured changes stored after it (an
// agent already working on the next change) are not the commit's, as they were not when post-commit
// attributed synchronously.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileLogger, type Logger } from '../log.js';
import { findRepo, type Repo } from '../repo.js';
import type { Store } from '../store.js';
import { gitRaw } from '../git.js';
import { putBackSetAsideHooks, setAsideHook } from '../install/git-hooks.js';
import { Attributor } from './attribute.js';
import { hasQueued, QUEUE_DIR } from './queued.js';

const LOCK = 'queue.lock';
/** How long an entry without its `end` line is taken to be still being written. */
const WRITING_MS = 10_000;
/** File times can lag the clock by a tick: changes stored this soon after the hook still count. */
const CLOCK_TICK_MS = 10;
const SHA = /^[0-9a-f]{40,64}$/;

export interface QueueEntry {
  file: string;
  hook: 'post-commit' | 'post-rewrite';
  /** The work tree the hook ran in. */
  root: string;
  /** When the hook ran (ISO). */
  at: string;
  /** post-commit: the commit made, and the commit it was picked from, if any. */
  sha?: string;
  picked?: string | null;
  /** post-rewrite: `amend` or `rebase`, and the hook's `<old> <new>` lines. */
  kind?: string;
  rewrites?: string;
  /** post-rewrite of a rebase: its onto and the HEAD it ended at. */
  range?: { onto: string; tip: string } | null;
}

function queueDir(stateDir: string): string {
  return join(stateDir, QUEUE_DIR);
}


/** Parses one entry; undefined while it is still being written, null when it cannot be read. */
export function parseEntry(file: string, text: string, mtimeMs: number): QueueEntry | undefined | null {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[lines.length - 1] !== 'end') return undefined;
  const [hook, first, second, third] = (lines[0] ?? '').split(' ');
  const root = lines[1];
  if (!root) return null;
  const at = new Date(mtimeMs + CLOCK_TICK_MS).toISOString();
  if (hook === 'post-commit' && first && /^[0-9a-f]{40,64}$/.test(first)) {
    return { file, hook, root, at, sha: first, picked: second && /^[0-9a-f]{40,64}$/.test(second) ? second : null };
  }
  if (hook === 'post-rewrite') {
    const range = second && third && SHA.test(second) && SHA.test(third) ? { onto: second, tip: third } : null;
    return { file, hook, root, at, kind: first ?? '', rewrites: lines.slice(2, -1).join('\n'), range };
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the queue's lock, waiting for a live holder; a dead holder's lock is taken over. */
async function lock(stateDir: string): Promise<() => void> {
  const path = join(stateDir, LOCK);
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) rmSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(path, 'utf8'));
    } catch {
      continue; // Released meanwhile.
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      await sleep(20);
      continue;
    }
    // Its holder is gone (or wrote nothing yet: give it a moment before taking over).
    if (!Number.isInteger(holder) || holder <= 0) {
      await sleep(20);
      try {
        if (readFileSync(path, 'utf8') !== '') continue;
      } catch {
        continue;
      }
    }
    rmSync(path, { force: true });
  }
}

/** The entries in the order the hooks wrote them (post-commit before post-rewrite at the same time: amend). */
function listEntries(stateDir: string): { file: string; mtimeNs: bigint }[] {
  const dir = queueDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const entries: { file: string; mtimeNs: bigint }[] = [];
  for (const name of names) {
    const stat = statSync(join(dir, name), { bigint: true, throwIfNoEntry: false });
    if (stat?.isFile()) entries.push({ file: join(dir, name), mtimeNs: stat.mtimeNs });
  }
  const rank = (file: string) => (basename(file).startsWith('rewrite.') ? 1 : 0);
  return entries.sort((a, b) => (a.mtimeNs < b.mtimeNs ? -1 : a.mtimeNs > b.mtimeNs ? 1 : rank(a.file) - rank(b.file) || (a.file < b.file ? -1 : 1)));
}

export interface SettleOptions {
  logger?: Logger;
  now?: () => Date;
}

/** Ends the tool calls whose post hook never came at this observation of the work tree (see capture/interrupted.ts). */
export async function closeInterruptedCalls(repo: Repo, store: Store, observation: 'commit' | 'reset', at: string, logger: Logger): Promise<void> {
  const { closeAtObservation } = await import('../capture/interrupted.js');
  const { captureSettings } = await import('../capture/config-cache.js');
  const { maxFileBytes } = await captureSettings(repo.root, repo.stateDir, logger);
  closeAtObservation(store, repo, { at, maxBytes: maxFileBytes, observation, logger });
}

/** What post-commit and post-rewrite look at before attributing: calls a commit interrupted, files changed outside the agent. */
async function observeAtCommit(repo: Repo, store: Store, at: string, logger: Logger): Promise<void> {
  await closeInterruptedCalls(repo, store, 'commit', at, logger);
  const { observeDiscards } = await import('../capture/observe.js');
  observeDiscards(repo, store, at, logger, new Set());
}

/**
 * Does every queued attribution, oldest first. Waits for another process settling the queue, then
 * does what is left: when it returns, every commit a hook saw before the call is attributed.
 */
export async function settleAttributions(repo: Repo, store: Store, options: SettleOptions = {}): Promise<number> {
  const logger = options.logger ?? fileLogger(repo.stateDir);
  resumeSetAsideHooks(repo, store, logger);
  if (!hasQueued(repo.stateDir)) return 0;
  const unlock = await lock(repo.stateDir);
  let done = 0;
  try {
    for (;;) {
      const entries = listEntries(repo.stateDir);
      if (entries.length === 0) break;
      let progressed = false;
      for (const { file, mtimeNs } of entries) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        const mtimeMs = Number(mtimeNs / 1_000_000n);
        const entry = parseEntry(file, text, mtimeMs);
        if (entry === undefined && Date.now() - mtimeMs < WRITING_MS) break; // Still being written: later ones wait for it.
        if (entry) {
          try {
            await settleEntry(repo, store, entry, logger, options.now);
            done++;
          } catch (error) {
            logger.log('error', `attribution of ${entry.sha ?? `a ${entry.kind ?? ''} rewrite`}: ${(error as Error).stack ?? String(error)}`);
          }
        } else {
          logger.log('warn', `attribution queue: dropped an unreadable entry (${file}): ${JSON.stringify(text.slice(0, 200))}`);
        }
        rmSync(file, { force: true });
        progressed = true;
      }
      if (!progressed) await sleep(20);
    }
  } finally {
    unlock();
  }
  return done;
}

async function settleEntry(repo: Repo, store: Store, entry: QueueEntry, logger: Logger, now = () => new Date()): Promise<void> {
  // Linked work trees share the queue: each entry is the work tree its hook ran in.
  const here = entry.root === repo.root ? repo : (existsSync(entry.root) ? findRepo(entry.root) : null) ?? repo;
  await observeAtCommit(here, store, entry.at, logger);
  const attributor = new Attributor(here, store, { asOf: entry.at });
  if (entry.hook === 'post-commit') {
    await attributor.attribute(entry.sha!, { captured: true, picked: entry.picked ? [entry.picked] : [], now });
    return;
  }
  const rewrites = parseRewrites(entry.rewrites ?? '');
  await attributor.prefetch(rewrites.map((r) => r.newSha));
  for (const { newSha, olds } of rewrites) await attributor.attribute(newSha, { captured: true, rewrittenFrom: olds, picked: [], now });
  if (!entry.range) return;
  const listed = new Set(rewrites.map((r) => r.newSha));
  const range = await gitRaw(['rev-list', '--reverse', `${entry.range.onto}..${entry.range.tip}`], { cwd: here.root, okCodes: [128] });
  for (const sha of range.stdout.toString('utf8').split('\n')) {
    if (SHA.test(sha) && !listed.has(sha) && !store.commit(sha)) await attributor.attribute(sha, { captured: true, picked: [], now });
  }
}

/** The hooks hook.sh sets aside while a rebase runs, in the repository's own hooks directory. */
const SET_ASIDE = ['reference-transaction', 'post-commit'] as const;

/** Whether a rebase is under way in any work tree of the repository. */
function rebasing(repo: Repo): boolean {
  if (existsSync(join(repo.commonDir, 'rebase-merge'))) return true;
  try {
    return readdirSync(join(repo.commonDir, 'worktrees')).some((name) => existsSync(join(repo.commonDir, 'worktrees', name, 'rebase-merge')));
  } catch {
    return false;
  }
}

/**
 * Puts back the hooks a rebase set aside when no rebase runs any more (it was aborted, so its
 * post-rewrite never came), and queues the commits HEAD's reflog shows were made meanwhile, which
 * no post-commit saw. Cheap when nothing is set aside: two missing files.
 */
export function resumeSetAsideHooks(repo: Repo, store: Store, logger: Logger): void {
  const dir = join(repo.commonDir, 'hooks');
  const paused = SET_ASIDE.flatMap((name) => {
    const path = setAsideHook(dir, name);
    const stat = path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
    return stat ? [{ name, since: stat.ctimeMs }] : [];
  });
  if (paused.length === 0 || rebasing(repo)) return;
  try {
    putBackSetAsideHooks(dir, SET_ASIDE);
  } catch (error) {
    logger.log('warn', `could not put back the hooks a rebase set aside: ${(error as Error).message}`);
  }
  const postCommit = paused.find((p) => p.name === 'post-commit');
  if (!postCommit) return;
  const since = Math.floor(postCommit.since / 1000);
  const queue = join(repo.stateDir, QUEUE_DIR);
  mkdirSync(queue, { recursive: true });
  let queued = 0;
  const trees = [{ root: repo.root, gitDir: repo.gitDir }];
  if (repo.gitDir !== repo.commonDir && basename(repo.commonDir) === '.git') trees.push({ root: dirname(repo.commonDir), gitDir: repo.commonDir });
  for (const { root, gitDir } of trees) {
    let reflog: string[];
    try {
      reflog = readFileSync(join(gitDir, 'logs', 'HEAD'), 'utf8').split('\n');
    } catch {
      continue;
    }
    for (const line of reflog) {
      const match = /^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) .*> (\d+) [+-]\d{4}\t(commit|cherry-pick|revert)( \(amend\))?/.exec(line);
      if (!match || Number(match[3]) < since || store.commit(match[2]!)) continue;
      const [, oldSha, newSha, seconds, , amend] = match;
      const text = amend ? `post-rewrite amend\n${root}\n${oldSha} ${newSha}\nend\n` : `post-commit ${newSha} -\n${root}\nend\n`;
      const file = join(queue, `${amend ? 'rewrite' : newSha}.reflog-${queued}`);
      writeFileSync(file, text);
      const time = Number(seconds) + 0.999;
      utimesSync(file, time, time);
      queued++;
    }
  }
  if (queued > 0) logger.log('info', `a rebase ended without its post-rewrite (aborted): ${queued} commit(s) made meanwhile queued from HEAD's reflog`);
}

/** The `<old> <new>` pairs of post-rewrite's stdin, grouped by new commit (a squash has several olds), newest old first. */
export function parseRewrites(input: string): { newSha: string; olds: string[] }[] {
  const byNew = new Map<string, string[]>();
  for (const line of input.split('\n')) {
    const [oldSha, newSha] = line.trim().split(/\s+/);
    if (!oldSha || !newSha || !/^[0-9a-f]{40,64}$/.test(oldSha) || !/^[0-9a-f]{40,64}$/.test(newSha)) continue;
    byNew.set(newSha, [oldSha, ...(byNew.get(newSha) ?? [])]);
  }
  return [...byNew].map(([newSha, olds]) => ({ newSha, olds }));
}
