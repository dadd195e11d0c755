// Claude Code's Write and Edit start no Node after the call: their PostToolUse command is a shell step
// (hooks/claude/settings.json) that renames the payload into `<state dir>/spool/` as
// `<ns>.<pid>.<agent>.<event>.json`. Every process that opens the store takes the spool in first, in
// the order the calls ended (the file's mtime, then the name's nanoseconds), before pending records
// and before its own work: the git hooks, push, status, sessions, ui, blame, and trace's own agent
// hooks. A spooled call is self-contained: its payload gives the file before the call and after it
// (see `AgentHooks.contentsFromPayload`), its time is the spool file's mtime, so a change made on disk
// between the call and its take-in stays a human change. One the payload cannot rebuild is captured
// from the disk, as a post hook was before; one that cannot be read at all is moved aside to
// `spool-aside/` (never deleted) and reported by `trace doctor`. Claude Code's Bash lanes
// (capture/shell-lane.ts) spool their pre and post events with a tree of the work tree: the pre
// becomes the call's pending record, the post is diffed against it (capture/post-shell.ts).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hooksByHookName } from '../agents/hooks.js';
import type { AgentHooks, CaptureEvent, ToolCall } from '../agents/types.js';
import type { Logger } from '../log.js';
import { findRepo, type Repo } from '../repo.js';
import type { Store } from '../store.js';
import type { CaptureSettings } from './config-cache.js';
import { takePending, writePending } from './pending.js';
import { captureShell } from './post-shell.js';
import { type CaptureContext, captureFile, pendingCallOf, recordFailedWithoutPre, type ReportedContents, sessionUpdate, sessionWrites, storedCallId } from './post-file.js';
import { TREE_SNAPSHOT } from './shell.js';
import { escapesRepository, realPathOr, repoRelativePath } from './snapshot.js';
import { ensureSpoolDir, SPOOL_ASIDE_DIR, spoolDir, spoolWaiting } from './spool-dir.js';

// BSD date has no %N: macOS names the file with its seconds and a literal N (the mtime orders it).
// A shell lane's call (capture/shell-lane.ts) adds the tree it snapshotted.
const NAME = /^(\d+)N?\.(\d+)\.([a-z][a-z-]*)\.([a-z][a-z-]*)(?:\.([0-9a-f]{40}|[0-9a-f]{64}))?\.json$/;
/** A temporary file of the shell step (`.<pid>.tmp`) this old was left by a killed hook. */
const STALE_MS = 60 * 60 * 1000;

interface Spooled {
  name: string;
  mtimeNs: bigint;
  /** The nanoseconds in the name (`date +%s%N` when the payload was read): the tiebreak of equal mtimes. */
  stamp: bigint;
  agent: string;
  event: string;
  /** A shell call's snapshot of the work tree (before the call for pre-tool-use, after it for a post event). */
  tree: string | undefined;
}

export interface SpoolOptions {
  logger: Logger;
  /** The capture settings, asked for only when a call needs them. */
  settings: () => CaptureSettings;
  now?: number;
}

function moveAside(repo: Repo, name: string, reason: string, logger: Logger): void {
  const aside = join(repo.stateDir, SPOOL_ASIDE_DIR);
  try {
    mkdirSync(aside, { recursive: true });
    renameSync(join(spoolDir(repo), name), join(aside, name));
    logger.log('error', `spool: ${name} moved aside to ${SPOOL_ASIDE_DIR}/: ${reason}`);
  } catch (error) {
    logger.log('error', `spool: ${name} cannot be taken in (${reason}) nor moved aside: ${(error as Error).message}`);
  }
}

/** The spooled calls in the order they ended; stale temporary files are removed, strange names moved aside. */
function listSpool(repo: Repo, logger: Logger, now: number): Spooled[] {
  const dir = spoolDir(repo);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const calls: Spooled[] = [];
  for (const name of names) {
    const stat = statSync(join(dir, name), { bigint: true, throwIfNoEntry: false });
    if (!stat) continue; // taken in by another process meanwhile
    const match = NAME.exec(name);
    if (name.startsWith('.')) {
      if (now - Number(stat.mtimeMs) > STALE_MS) rmSync(join(dir, name), { force: true, recursive: true });
      continue;
    }
    if (!match || !stat.isFile()) {
      moveAside(repo, name, 'not a spooled payload (<ns>.<pid>.<agent>.<event>[.<tree>].json)', logger);
      continue;
    }
    calls.push({ name, mtimeNs: stat.mtimeNs, stamp: BigInt(match[1]!), agent: match[3]!, event: match[4]!, tree: match[5] });
  }
  const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  return calls.sort((a, b) => compare(a.mtimeNs, b.mtimeNs) || compare(a.stamp, b.stamp) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Takes every spooled call into the store, in order, in one write transaction (listed under its lock,
 * so two processes do not both take the same calls in; a repeat is recognised and skipped anyway).
 * Returns how many were taken in. Nothing spooled (the usual case): no transaction.
 */
export function ingestSpool(store: Store, repo: Repo, options: SpoolOptions): number {
  if (!spoolWaiting(repo)) {
    ensureSpoolDir(repo);
    return 0;
  }
  const now = options.now ?? Date.now();
  let settings: CaptureSettings | undefined;
  const lazySettings = () => (settings ??= options.settings());
  const done: string[] = [];
  store.write(() => {
    for (const call of listSpool(repo, options.logger, now)) {
      const outcome = takeIn(store, repo, call, lazySettings, options.logger);
      if (outcome === 'done') done.push(call.name);
      else if (outcome !== 'gone') moveAside(repo, call.name, outcome.problem, options.logger);
    }
  });
  for (const name of done) rmSync(join(spoolDir(repo), name), { force: true });
  return done.length;
}

/** One spooled call into the store: 'done' (or nothing to record), 'gone' (another process took it), or why it cannot be. */
function takeIn(store: Store, repo: Repo, call: Spooled, settings: () => CaptureSettings, logger: Logger): 'done' | 'gone' | { problem: string } {
  let text: string;
  try {
    text = readFileSync(join(spoolDir(repo), call.name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return { problem: `unreadable: ${(error as Error).message}` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return { problem: `malformed JSON payload (${(error as Error).message})` };
  }
  const agent = hooksByHookName(call.agent);
  if (!agent) return { problem: `unknown agent "${call.agent}"` };
  const parsed = agent.parse(call.event, payload);
  if (!parsed.ok) return parsed.ignored ? 'done' : { problem: `bad payload: ${parsed.problems.join('; ')}` };
  const at = new Date(Number(call.mtimeNs / 1_000_000n)).toISOString();
  for (const event of parsed.events) {
    try {
      captureSpooled(store, repo, agent, event, at, call.tree, settings, logger);
    } catch (error) {
      return { problem: `${(error as Error).stack ?? String(error)}` };
    }
  }
  return 'done';
}

function captureSpooled(store: Store, repo: Repo, agent: AgentHooks, event: CaptureEvent, at: string, tree: string | undefined, settings: () => CaptureSettings, logger: Logger): void {
  const where = `hook ${agent.hookName} ${event.name} (spooled)`;
  const session = sessionUpdate(event, agent, at);
  const tool = event.tool;
  const shell = tool?.kind === 'shell' && tree !== undefined;
  // The spool takes post events of file tools, and a shell lane's pre and post events; anything else only tells of its session.
  if (!tool || !(shell || (tool.kind === 'file' && event.name !== 'pre-tool-use'))) {
    if (tool?.kind === 'shell') logger.log('warn', `${where}: shell call ${tool.useId} spooled without its snapshot; its file changes are not captured`);
    store.write(() => store.upsertSession({ ...session, started_at: at }));
    return;
  }
  // Taken in already (by a process that had not removed the file yet): nothing more to do.
  const known = store.toolCall(event.sessionId, storedCallId(agent, tool, at));
  if (known && known.status !== 'pending') return;
  // The payload's cwd names the work tree (a linked one shares this state dir); another repository's
  // call is refused, as `trace hook` refuses it.
  const cwd = event.cwd ?? repo.root;
  const own = findRepo(cwd);
  if (!own || realPathOr(own.commonDir) !== realPathOr(repo.commonDir)) {
    logger.log('warn', `${where}: not captured: the payload's cwd ${cwd} is ${own ? `in the repository ${own.root}` : 'in no repository'}, not in ${repo.root} where the hook runs`);
    return;
  }
  if (event.name === 'pre-tool-use') {
    // What the Node pre hook would have left: the call's record, pending until its end.
    writePending(own, { ...pendingCallOf(event, tool, agent, at), treeBefore: `${TREE_SNAPSHOT}${tree!}` }, undefined, tool.useId);
    return;
  }
  const context: CaptureContext = { agent, logger, now: () => new Date(at), where, cwd, startedAt: undefined };
  const { write, finish } = sessionWrites(store, session, at);
  if (shell) {
    const pending = takePending(own, event.sessionId, tool.useId);
    captureShell(store, write, own, event, { ...tool, useId: pending?.call.toolUseId ?? storedCallId(agent, tool, at) }, at, { pending, settings: settings(), context }, tree);
    pending?.remove();
    return finish();
  }
  for (const filePath of tool.filePaths) {
    const target = repoRelativePath(own.root, cwd, filePath);
    if ('error' in target) {
      logger.log('warn', `${where}: ${tool.name} not captured: ${target.error}`);
      continue;
    }
    const pending = takePending(own, event.sessionId, tool.useId, target.path);
    if (!pending && event.name === 'post-tool-use-failure') {
      recordFailedWithoutPre(store, write, event, tool, at, context);
      continue;
    }
    const capture = pending?.call.file ? { maxFileBytes: pending.call.file.maxBytes } : settings();
    const call = { ...tool, useId: pending?.call.toolUseId ?? storedCallId(agent, tool, at) };
    const fromPayload = pending ? undefined : contentsFromPayload(agent, tool, own.root, target.path, capture.maxFileBytes);
    if (!pending && !fromPayload) logger.log('warn', `${where}: ${tool.useId} (${target.path}): the payload does not give the file's content after the call; taken from the file as it is now`);
    captureFile(store, write, own, event, call, target.path, at, { pending, settings: capture, context }, fromPayload);
    pending?.remove();
  }
  finish();
}

/** The call's before and after from its payload, checked against the file on disk (see `AgentHooks.contentsFromPayload`). */
function contentsFromPayload(agent: AgentHooks, tool: ToolCall, root: string, path: string, maxBytes: number): ReportedContents | undefined {
  if (!agent.contentsFromPayload || escapesRepository(root, path)) return undefined;
  let onDisk: Buffer | null | undefined;
  try {
    const absolute = join(root, path);
    const stat = statSync(absolute, { throwIfNoEntry: false });
    // A file far over the cap is not read: it is skipped whatever the payload says.
    onDisk = !stat ? null : !stat.isFile() || stat.size > maxBytes * 4 ? undefined : readFileSync(absolute);
  } catch {
    onDisk = undefined;
  }
  return agent.contentsFromPayload(tool, onDisk);
}
