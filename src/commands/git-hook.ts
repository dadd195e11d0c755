// `trace git-hook <name>`: trace's part of a git hook. Only pre-push may fail, and only with requireTrace.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attributor } from '../attribution/attribute.js';
import { closeInterruptedCalls, parseRewrites, settleAttributions } from '../attribution/queue.js';
import { openRepo } from '../context.js';
import { git } from '../git.js';
import { fileLogger } from '../log.js';
import type { Outcome } from '../program.js';
import { isInitialised } from '../repo.js';
import { openCaptureStore } from '../capture/open.js';

export interface GitHookOptions {
  name: string;
  args: string[];
  cwd: string;
  /** The hook's standard input (the installed hook script passes it on from a file). */
  readInput: () => string;
  now?: () => Date;
}

const NOTHING: Outcome = { json: null, text: '' };

export { parseRewrites } from '../attribution/queue.js';

/**
 * `git stash` resets the work tree too, but keeps what it removed: its lines come back with
 * `stash pop` and keep their authors, so that reset is not a discard.
 */
function stashJustWritten(gitDir: string, now: Date): boolean {
  const log = join(gitDir, 'logs', 'refs', 'stash');
  if (!existsSync(log)) return false;
  const last = readFileSync(log, 'utf8').trimEnd().split('\n').pop() ?? '';
  const seconds = /> (\d+) [+-]\d{4}\t/.exec(last)?.[1];
  return seconds !== undefined && now.getTime() / 1000 - Number(seconds) < 10;
}

/**
 * Whether this `committed` transaction is a `git reset` of the work tree the hook runs in: it moves
 * this work tree's HEAD (a line for `HEAD` in the transaction), the last line of this work tree's own
 * HEAD reflog is a reset to the same commit, and it is not the first checkout of a new linked work
 * tree (`git worktree add` resets the new tree: nothing in it was discarded). `input` is the hook's stdin.
 */
export function isResetOfThisWorkTree(gitDir: string, input: string): boolean {
  const head = input
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields.length === 3 && fields[2] === 'HEAD');
  if (!head) return false;
  let reflog: string[];
  try {
    reflog = readFileSync(join(gitDir, 'logs', 'HEAD'), 'utf8').trimEnd().split('\n');
  } catch {
    return false;
  }
  const last = reflog[reflog.length - 1] ?? '';
  if (!/\treset: moving to /.test(last) || last.split(' ')[1] !== head[1]) return false;
  // A new linked work tree's reflog: its creation, then this reset.
  const linked = existsSync(join(gitDir, 'commondir'));
  return !(linked && reflog.length <= 2);
}

/** Standard input, read whole; empty when there is none to read. */
export function readStandardInput(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

export async function gitHook(options: GitHookOptions): Promise<Outcome> {
  const now = options.now ?? (() => new Date());
  const repo = await openRepo(options.cwd);
  if (!isInitialised(repo)) {
    // Hooks committed in a versioned folder (husky) run in clones that have no local state yet.
    const { autoInit } = await import('../install/auto-init.js');
    if (!(await autoInit(repo, now)).done) return NOTHING;
  }
  const logger = fileLogger(repo.stateDir, now);
  const input = ['post-rewrite', 'pre-push', 'reference-transaction'].includes(options.name) ? options.readInput() : '';
  const store = openCaptureStore(repo);
  try {
    // What the hooks queued comes first (they run in order); `settle` is the detached process they start.
    if (options.name !== 'reference-transaction') await settleAttributions(repo, store, { logger, now });
    const attributor = new Attributor(repo, store);
    switch (options.name) {
      case 'settle':
        return NOTHING;
      case 'post-commit': {
        await closeInterruptedCalls(repo, store, 'commit', now().toISOString(), logger);
        const { observeDiscards } = await import('../capture/observe.js');
        observeDiscards(repo, store, now().toISOString(), logger, new Set());
        const head = (await git(['rev-parse', 'HEAD'], { cwd: repo.root })).trim();
        await attributor.attribute(head, { captured: true, now });
        return NOTHING;
      }
      case 'post-rewrite': {
        await closeInterruptedCalls(repo, store, 'commit', now().toISOString(), logger);
        const rewrites = parseRewrites(input);
        await attributor.prefetch(rewrites.map((r) => r.newSha));
        for (const { newSha, olds } of rewrites) {
          await attributor.attribute(newSha, { captured: true, rewrittenFrom: olds, now });
        }
        return NOTHING;
      }
      case 'pre-push': {
        const { firstPushNotice } = await import('../install/auto-init.js');
        const notice = await firstPushNotice(repo, process.env, now);
        if (notice) process.stderr.write(`${notice}\n`);
        const { prePush } = await import('./attest.js');
        return await prePush({ repo, store, remote: options.args[0] ?? 'origin', stdin: input, env: process.env, logger, now });
      }
      case 'reference-transaction': {
        if (options.args[0] !== 'committed' || stashJustWritten(repo.gitDir, now())) return NOTHING;
        if (!isResetOfThisWorkTree(repo.gitDir, input)) return NOTHING;
        await closeInterruptedCalls(repo, store, 'reset', now().toISOString(), logger);
        const { observeWorkTree } = await import('../capture/observe.js');
        observeWorkTree(repo, store, now().toISOString(), logger);
        return NOTHING;
      }
      default:
        logger.log('warn', `git-hook: unknown hook ${options.name}`);
        return NOTHING;
    }
  } catch (error) {
    logger.log('error', `git-hook ${options.name}: ${(error as Error).stack ?? String(error)}`);
    process.stderr.write(`trace: ${options.name} failed: ${(error as Error).message} (details: trace status)\n`);
    return NOTHING;
  } finally {
    store.close();
  }
}
