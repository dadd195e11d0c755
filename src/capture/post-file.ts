// A file tool call's post hook, from the capture event on: the file as it was before the call (the
// pre hook's copy, or what the agent reports) and after it, stored in one transaction. Shared by
// `trace hook` and the take-in of spooled calls (capture/spool.ts), which gives the after content.
import { isUtf8 } from 'node:buffer';
import type { AgentHooks, CaptureEvent, ToolCall } from '../agents/types.js';
import type { ImportModule } from '../guard/settings.js';
import type { Logger } from '../log.js';
import type { Repo } from '../repo.js';
import type { ContentState, SessionUpdate, Store } from '../store.js';
import type { CaptureSettings } from './config-cache.js';
import { closeBeforeNextCall } from './interrupted.js';
import { applyPending, type PendingCall, storeSnapshot, takeEarlierPending, type TakenCall } from './pending.js';
import { checkContent, escapesRepository, readInside } from './snapshot.js';

/**
 * A file tool call seen only by its post hook (the agent reports the content before it, so no pre
 * hook runs) started before the hook's process by the call's duration and by the time the agent took
 * to start the hook: that delay is not reported, so a generous bound is taken (a window too wide only
 * makes calls concurrent that were not, which the concurrency rules handle; one too narrow would hide
 * a real overlap). Without a duration, the call's own run time is bounded too.
 */
export const HOOK_START_SLACK_MS = 1000;
export const UNKNOWN_DURATION_MS = 10_000;

/** `store.write` that also upserts the hook's session in the same transaction. */
export type Write = <T>(fn: () => T) => T;

/**
 * One write transaction per file: the session's upsert rides along with the call's capture. `finish`
 * records the session on its own when no capture wrote (or all failed).
 */
export function sessionWrites(store: Store, session: SessionUpdate, at: string): { write: Write; finish: () => void } {
  let written = false;
  const upsert = () => store.upsertSession({ ...session, started_at: at });
  return {
    write: (fn) => {
      const result = store.write(() => {
        upsert();
        return fn();
      });
      written = true;
      return result;
    },
    finish: () => {
      if (!written) store.write(upsert);
    },
  };
}

export interface CaptureContext {
  agent: AgentHooks;
  logger: Logger;
  now: () => Date;
  where: string;
  cwd: string;
  startedAt: Date | undefined;
  /** How to load a module the hook bundle leaves out, when it runs where `import()` cannot (bin/trace's code cache). */
  importModule?: ImportModule | undefined;
}

/** The earliest time a call seen only by its post hook (at `at`) can have started: see HOOK_START_SLACK_MS. */
export function startWithoutPre(tool: ToolCall, at: string, context: CaptureContext): string {
  const hookStart = Math.min(context.startedAt?.getTime() ?? Infinity, Date.parse(at));
  return new Date(hookStart - (tool.durationMs ?? UNKNOWN_DURATION_MS) - HOOK_START_SLACK_MS).toISOString();
}

export function sessionUpdate(event: CaptureEvent, agent: AgentHooks, at: string): SessionUpdate {
  return { id: event.sessionId, agent: agent.name, at, cwd: event.cwd, transcript_path: event.transcriptPath, model: event.model, agent_version: event.agentVersion };
}

/**
 * The id a call is stored under: the agent's own, or for an agent that sends none (its `useId` is
 * made of what the pre and post events share, the same for two identical calls) that id and the time
 * the call was first seen, which the pre hook's record carries to the post hook.
 */
export function storedCallId(agent: AgentHooks, tool: ToolCall, at: string): string {
  return agent.callIdsRepeat ? `${tool.useId}#${at}` : tool.useId;
}

/** The record a pre hook leaves for the call (pending.ts), before its file or snapshot is added. */
export function pendingCallOf(event: CaptureEvent, tool: ToolCall, agent: AgentHooks, at: string): PendingCall {
  return { session: sessionUpdate(event, agent, at), toolUseId: storedCallId(agent, tool, at), agentId: event.agentId ?? null, toolName: tool.name, inputJson: toolInputJson(tool), at };
}

/** How a tool call ended, from the event that reports it. */
export function callStatus(event: CaptureEvent): 'done' | 'failed' {
  return event.name === 'post-tool-use' ? 'done' : 'failed';
}

export function toolInputJson(tool: ToolCall): string {
  return JSON.stringify(tool.input);
}

/** What a post hook works with besides the event: the pre hook's record, the settings, the log. */
export interface PostContext {
  pending: TakenCall | undefined;
  settings: CaptureSettings;
  context: CaptureContext;
}

/**
 * The file's bytes before and after a call, as its payload gives them (a spooled call taken in after
 * the fact: see capture/spool.ts); the disk may hold a later change by then. `before` null: a new file.
 */
export interface ReportedContents {
  before: Buffer | null;
  after: Buffer;
}

export function captureFile(store: Store, write: Write, repo: Repo, event: CaptureEvent, tool: ToolCall, path: string, at: string, { pending, settings, context }: PostContext, fromPayload?: ReportedContents): void {
  const target = { path };
  // A path outside the repository is read (and so skipped) as a hook reads it, whatever the payload says.
  const snapshot = fromPayload && !escapesRepository(repo.root, path) ? checkContent(fromPayload.after, settings.maxFileBytes) : readInside(repo.root, target.path, settings.maxFileBytes);
  if (snapshot.state === 'skipped') context.logger.log('warn', `${context.where}: ${target.path} skipped: ${snapshot.reason}`);
  // Calls of this session on this file whose post hook never came: their record goes in first, and
  // what this call found before it is what they left.
  // Without a pre hook the call's start is worked back from the post's (the window must hold the write).
  const start = pending?.call.at ?? startWithoutPre(tool, at, context);
  const earlier = takeEarlierPending(repo, event.sessionId, target.path, start, tool.useId);
  write(() => {
    for (const one of earlier) applyPending(store, one);
    const applied = pending && applyPending(store, pending);
    const callId = store.startToolCall({ sessionId: event.sessionId, toolUseId: tool.useId, agentId: event.agentId ?? null, toolName: tool.name, inputJson: toolInputJson(tool), at: start });
    const existing = store.fileChange(callId, target.path);
    let before: { state: ContentState; oid: string | null } = { state: 'unknown', oid: null };
    // The before content in hand (from the payload), so storing the after as a delta of it decodes nothing.
    let reportedContent: Buffer | undefined;
    if (!existing) {
      // No pre hook ran for this call: the agent reports the content before it in the post payload
      // (the normal path for such tools), or the pre hook was missed (installed mid-call, or it
      // failed) and the before is worked back. Edits can only be undone in text that is valid UTF-8,
      // the encoding of the payload's strings.
      let beforeBytes: Buffer | null | undefined;
      if (fromPayload) beforeBytes = fromPayload.before;
      else {
        const afterText = snapshot.state === 'content' ? (isUtf8(snapshot.content) ? snapshot.content.toString('utf8') : undefined) : null;
        const beforeText = snapshot.state === 'skipped' ? undefined : context.agent.contentBeforeCall(tool, target.path, afterText);
        beforeBytes = typeof beforeText === 'string' ? Buffer.from(beforeText, 'utf8') : beforeText;
      }
      const escape = escapesRepository(repo.root, target.path);
      // A path outside the repository is skipped before the call as after it, as a pre hook finds it.
      if (escape) before = { state: 'skipped', oid: null };
      else if (beforeBytes === null) before = { state: 'absent', oid: null };
      else if (beforeBytes !== undefined) {
        const checked = checkContent(beforeBytes, settings.maxFileBytes);
        const result = storeSnapshot(store, checked, store.lastAfter(target.path)?.oid ?? null);
        before = { state: result.state, oid: result.oid };
        if (checked.state === 'content') reportedContent = checked.content;
      }
      // Recorded as a pre hook records it, so a change between the last capture and this call is a gap.
      if (before.state !== 'unknown') store.recordBefore(callId, target.path, before.state, before.oid, escape ?? null);
      const reported = context.agent.reportsContentBefore?.(tool) === true;
      if (!reported) context.logger.log('warn', `${context.where}: no pre-tool-use capture for ${tool.useId} (${target.path}); before content ${before.state}`);
      else if (before.state === 'unknown' && snapshot.state !== 'skipped') {
        context.logger.log('warn', `${context.where}: ${tool.useId} (${target.path}): the content before the call the agent reports is not what the file held (not UTF-8, or line endings changed since); before content unknown`);
      }
    } else {
      before = { state: existing.before_state, oid: existing.before_oid };
    }
    // The pre hook's copy is the before content at hand: storing the after as a delta of it needs no decoding.
    if (closeBeforeNextCall(store, { sessionId: event.sessionId, path: target.path, callId, before, at }) > 0) {
      context.logger.log('warn', `${context.where}: an earlier call on ${target.path} never got its post-tool-use hook; its change is credited to it`);
    }
    const baseContent = applied?.beforeOid != null && applied.beforeOid === before.oid ? pending!.content : reportedContent;
    const after = storeSnapshot(store, snapshot, before.oid, baseContent);
    store.recordAfter(callId, target.path, after, before, after.skipped);
    store.finishToolCall(callId, callStatus(event), at, event.error ?? null);
  });
  for (const one of earlier) one.remove();
}

/**
 * A failed call of a tool that runs no pre hook (Claude Code's Write, Edit): it wrote nothing its
 * payload shows, so it is recorded as a failed call with no file change.
 */
export function recordFailedWithoutPre(store: Store, write: Write, event: CaptureEvent, tool: ToolCall, at: string, context: CaptureContext): void {
  const id = storedCallId(context.agent, tool, at);
  write(() => {
    const callId = store.startToolCall({ sessionId: event.sessionId, toolUseId: id, agentId: event.agentId ?? null, toolName: tool.name, inputJson: toolInputJson(tool), at: startWithoutPre(tool, at, context) });
    store.finishToolCall(callId, 'failed', at, event.error ?? null);
  });
}
