// `trace hook <agent> <event>`: the hot path, run on every agent tool call. It prints nothing,
// exits 0 whatever happens, and logs problems to `.git/chainloop-trace/log.txt`.
import { existsSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { captureSettings } from '../capture/config-cache.js';
import { hooksByHookName } from '../agents/hooks.js';
import type { AgentHooks, CaptureEvent, ToolCall } from '../agents/types.js';
import { MAX_PAYLOAD_BYTES } from '../capture/limits.js';
import { type PendingCall, pendingPaths, takePending, writePending } from '../capture/pending.js';
import { type CaptureContext, captureFile, pendingCallOf, recordFailedWithoutPre, sessionUpdate, sessionWrites, storedCallId } from '../capture/post-file.js';
import { ingestSpool } from '../capture/spool.js';
import { ensureSpoolDir, spoolWaiting } from '../capture/spool-dir.js';
import { escapesRepository, inspectFile, realPathOr, repoRelativePath, unreadable } from '../capture/snapshot.js';
import type { ImportModule } from '../guard/settings.js';
import { fileLogger } from '../log.js';
import { findRepo, isInitialised, type Repo } from '../repo.js';
import type { Store } from '../store.js';

export interface HookOptions {
  agent: string;
  event: string;
  payload: Buffer;
  cwd: string;
  now: () => Date;
  /** better-sqlite3's compiled addon, when the caller knows where it is (see `Store.open`). */
  sqliteAddon?: string | undefined;
  /** When the hook's process started (the agent ended the call before it); `now()` when unknown. */
  startedAt?: Date | undefined;
  /** How to load a module the hook bundle leaves out, when the bundle runs where `import()` cannot (bin/trace's code cache). */
  importModule?: ImportModule | undefined;
}

export { HOOK_START_SLACK_MS, UNKNOWN_DURATION_MS } from '../capture/post-file.js';

export async function readStdin(stream: NodeJS.ReadableStream, limit = MAX_PAYLOAD_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limit) throw new Error(`payload larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads stdin with blocking reads, which spares the hot path Node's stream machinery (~4 ms). On a
 * non-blocking pipe it returns what it has read with `complete: false`; the caller reads the rest with `readStdin`.
 */
export function readStdinSync(fd = 0, limit = MAX_PAYLOAD_BYTES): { data: Buffer; complete: boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = true;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.max(65536, Math.min(size, 16 * 1024 * 1024)));
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      complete = false;
      break;
    }
    if (read === 0) break;
    size += read;
    if (size > limit) throw new Error(`payload larger than ${limit} bytes`);
    chunks.push(chunk.subarray(0, read));
  }
  return { data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), complete };
}

/**
 * Runs one hook; never throws. Returns what the hook must print on stdout: nothing, or the JSON answer
 * of an agent that reads one.
 */
export async function runHook(options: HookOptions): Promise<string | undefined> {
  const agent = hooksByHookName(options.agent);
  try {
    await capturePayload(options, agent);
  } catch {
    // Never: capturePayload logs its errors. A hook must not fail the agent's call whatever happens.
  }
  return agent?.reply?.(options.event);
}

async function capturePayload(options: HookOptions, agent: AgentHooks | undefined): Promise<void> {
  let payload: unknown;
  let parseError: string | undefined;
  try {
    payload = JSON.parse(options.payload.toString('utf8'));
  } catch (error) {
    parseError = `malformed JSON payload (${(error as Error).message})`;
  }
  const payloadCwd = typeof (payload as { cwd?: unknown })?.cwd === 'string' ? (payload as { cwd: string }).cwd : undefined;
  const repo = findRepo(payloadCwd ?? options.cwd) ?? (payloadCwd ? findRepo(options.cwd) : null);
  if (!repo) return;
  // The agent runs its hooks in its project: a payload whose cwd names another repository than that
  // one must not write into that repository's state.
  if (payloadCwd !== undefined && resolve(options.cwd, payloadCwd) !== resolve(options.cwd)) {
    const own = findRepo(options.cwd);
    if (own && own.root !== repo.root && realPathOr(own.root) !== realPathOr(repo.root)) {
      if (isInitialised(own)) {
        fileLogger(own.stateDir, options.now).log('warn', `hook ${options.agent} ${options.event}: not captured: the payload's cwd ${payloadCwd} is in the repository ${repo.root}, not in ${own.root} where the hook runs`);
      }
      return;
    }
  }
  // A clone without local state: set it up when the committed .chainloop.yml says the repository is
  // traced (one stat until then); otherwise do nothing, say nothing.
  if (!isInitialised(repo) && !autoInitFromHook(repo, options.now)) return;
  const logger = fileLogger(repo.stateDir, options.now);
  const where = `hook ${options.agent} ${options.event}`;
  if (parseError) return logger.log('error', `${where}: ${parseError}`);
  if (!agent) return logger.log('error', `${where}: unknown agent "${options.agent}"`);
  const parsed = agent.parse(options.event, payload);
  if (!parsed.ok) {
    if (!parsed.ignored) logger.log('error', `${where}: bad payload: ${parsed.problems.join('; ')}`);
    return;
  }
  let store: Store | undefined;
  try {
    for (const event of parsed.events) {
      const context: CaptureContext = { agent, logger, now: options.now, where, cwd: event.cwd ?? payloadCwd ?? options.cwd, startedAt: options.startedAt, importModule: options.importModule };
      try {
        // A pre hook leaves a pending record instead of opening the store (see capture/pending.ts).
        if (event.name === 'pre-tool-use') {
          if (event.tool) await capturePre(repo, event, event.tool, context);
          continue;
        }
        // A shell call's snapshot (git walking the whole work tree) starts first, to run while the store opens.
        const shellAfter = event.tool?.kind === 'shell' ? settle(import('../capture/shell.js').then((shell) => shell.snapshotTree(repo))) : undefined;
        if (!store) {
          const { Store } = await import('../store.js');
          // Not closed: closing checkpoints the WAL into the database file (two fsyncs) on every call. bin/trace
          // exits right after the hook instead (see there): every transaction is committed by then, the next
          // connection to open the store recovers the WAL's committed frames from disk, and `trimWal` keeps
          // the WAL small.
          store = Store.open(repo.stateDir, { nativeBinding: options.sqliteAddon });
          // The calls the agent's shell steps spooled (Claude Code's Write, Edit) ended before this one.
          if (!spoolWaiting(repo)) ensureSpoolDir(repo);
          else {
            const settings = await captureSettings(repo.root, repo.stateDir, logger, options.importModule);
            ingestSpool(store, repo, { logger, settings: () => settings });
          }
        }
        await capture(store, repo, event, context, shellAfter);
      } catch (error) {
        logger.log('error', `${where} (session ${event.sessionId}): ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    store?.trimWal();
  }
}

/**
 * Runs trace's hidden `auto-init` command synchronously in its own process (so the hook bundle
 * carries none of the setup code) and says whether the local state exists now.
 */
function autoInitFromHook(repo: Repo, now: () => Date): boolean {
  const bin = process.argv[1];
  // Only from bin/trace: an in-process caller (the bench) has some other script as argv[1].
  if (!bin || !/(^|[\\/])trace$/.test(bin) || !existsSync(join(repo.root, '.chainloop.yml'))) return false;
  // The person opted out (git config trace.autoInit false): look again at most once an hour.
  const optedOut = statSync(join(repo.commonDir, 'chainloop-trace-auto-init-off'), { throwIfNoEntry: false });
  if (optedOut && now().getTime() - optedOut.mtimeMs < 60 * 60 * 1000) return false;
  // A built-in, not import(): the bundle may run where import() cannot (see HookOptions.importModule).
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  spawnSync(process.execPath, [bin, 'auto-init'], { cwd: repo.root, stdio: 'ignore', timeout: 15_000 });
  return isInitialised(repo);
}

/** A promise's outcome, so work started early can never end as an unhandled rejection. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** A pre hook: the file's content (or the work tree's, for a shell call) as it is before the call, left pending. */
async function capturePre(repo: Repo, event: CaptureEvent, tool: ToolCall, context: CaptureContext): Promise<void> {
  const at = context.now().toISOString();
  const call = pendingCallOf(event, tool, context.agent, at);
  if (tool.kind === 'shell') {
    // Loaded on demand: it pulls in node:child_process, which file tools never need.
    const { snapshotTree, TREE_SNAPSHOT } = await import('../capture/shell.js');
    return writePending(repo, { ...call, treeBefore: `${TREE_SNAPSHOT}${await snapshotTree(repo)}` }, undefined, tool.useId);
  }
  const { maxFileBytes } = await captureSettings(repo.root, repo.stateDir, context.logger, context.importModule);
  for (const filePath of tool.filePaths) {
    const target = repoRelativePath(repo.root, context.cwd, filePath);
    if ('error' in target) {
      context.logger.log('warn', `${context.where}: ${tool.name} not captured: ${target.error}`);
      continue;
    }
    preFile(repo, call, tool.useId, target.path, maxFileBytes, context);
  }
}

/** A file tool's pre hook for one of its files: the file as it is, copied next to the pending record. */
function preFile(repo: Repo, call: PendingCall, recordId: string, path: string, maxFileBytes: number, context: CaptureContext): void {
  const absolute = join(repo.root, path);
  const escape = escapesRepository(repo.root, path);
  const file: ReturnType<typeof inspectFile> = escape ? { state: 'skipped', reason: escape } : inspectFile(absolute, maxFileBytes);
  try {
    writePending(repo, { ...call, file: { path, ...file, maxBytes: maxFileBytes } }, file.state === 'content' ? absolute : undefined, recordId);
  } catch (error) {
    if (file.state !== 'content') throw error;
    // The copy failed (the file went unreadable): record the call with its file skipped.
    const reason = unreadable(error);
    context.logger.log('warn', `${context.where}: ${path} skipped: ${reason}`);
    writePending(repo, { ...call, file: { path, state: 'skipped', reason, maxBytes: maxFileBytes } }, undefined, recordId);
    return;
  }
  if (file.state === 'skipped') context.logger.log('warn', `${context.where}: ${path} skipped: ${file.reason}`);
}

async function capture(store: Store, repo: Repo, event: CaptureEvent, context: CaptureContext, shellAfter: Promise<Settled<string>> | undefined): Promise<void> {
  const at = context.now().toISOString();
  const session = sessionUpdate(event, context.agent, at);
  switch (event.name) {
    case 'session-start':
      // The spooled calls of the session are taken in by processes that may not load the config: the cache is made fresh here.
      await captureSettings(repo.root, repo.stateDir, context.logger, context.importModule);
      // This trace's shell lanes, for the session's Bash calls (an upgrade of trace brings new ones).
      if (context.agent.shellLanes) (await import('../capture/shell-lane.js')).ensureShellLanes(repo, context.agent.hookName, true);
      return store.write(() => store.upsertSession({ ...session, source: event.source, started_at: at }));
    case 'session-end':
      return store.write(() => store.upsertSession({ ...session, ended_at: at, end_reason: event.reason }));
    case 'user-prompt-submit': {
      store.write(() => {
        store.upsertSession({ ...session, started_at: at });
        store.addPrompt(event.sessionId, at, event.promptId ?? null, event.prompt ?? '');
      });
      // The person has had the work tree between two turns: see what they discarded (git restore).
      const { observeDiscards } = await import('../capture/observe.js');
      observeDiscards(repo, store, at, context.logger, pendingPaths(repo));
      return;
    }
    case 'pre-tool-use':
      return; // left pending by capturePre
    case 'post-tool-use':
    case 'post-tool-use-failure': {
      const tool = event.tool;
      if (!tool) return; // a tool we do not capture (the matcher lets only ours through, but users edit matchers)
      const { write, finish } = sessionWrites(store, session, at);
      try {
        if (tool.kind === 'shell') {
          // The pre hook's record goes into the store in the same transaction as the call's end.
          const pending = takePending(repo, event.sessionId, tool.useId);
          const settings = await captureSettings(repo.root, repo.stateDir, context.logger, context.importModule);
          const call = { ...tool, useId: pending?.call.toolUseId ?? storedCallId(context.agent, tool, at) };
          const after = shellAfter ? await shellAfter : undefined;
          if (after?.ok === false) context.logger.log('error', `${context.where}: the snapshot after shell call ${tool.useId} failed: ${String(after.error)}`);
          const { captureShell } = await import('../capture/post-shell.js');
          captureShell(store, write, repo, event, call, at, { pending, settings, context }, after?.ok ? after.value : null);
          pending?.remove();
        } else {
          for (const filePath of tool.filePaths) {
            const target = repoRelativePath(repo.root, context.cwd, filePath);
            if ('error' in target) {
              context.logger.log('warn', `${context.where}: ${tool.name} not captured: ${target.error}`);
              continue;
            }
            const pending = takePending(repo, event.sessionId, tool.useId, target.path);
            if (!pending && event.name === 'post-tool-use-failure' && context.agent.reportsContentBefore) {
              recordFailedWithoutPre(store, write, event, tool, at, context);
              continue;
            }
            // The size cap the pre hook applied holds for the whole call (and spares reading the config).
            const settings = pending?.call.file ? { maxFileBytes: pending.call.file.maxBytes } : await captureSettings(repo.root, repo.stateDir, context.logger, context.importModule);
            const call = { ...tool, useId: pending?.call.toolUseId ?? storedCallId(context.agent, tool, at) };
            captureFile(store, write, repo, event, call, target.path, at, { pending, settings, context });
            pending?.remove();
          }
        }
      } finally {
        finish();
      }
      return;
    }
    case 'turn-usage': {
      // Also the end of a turn without figures: the session learns what the event says (its records' path, its model).
      const usage = event.usage;
      return store.write(() => {
        store.upsertSession({ ...session, started_at: at });
        if (usage) store.addTurnUsage(event.sessionId, at, usage);
      });
    }
  }
}
