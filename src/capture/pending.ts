// A pre-tool-use hook does not open the store: it leaves the call's record in `pending/` (and, for a
// file tool, a copy of the file as it was), which the post hook takes into the store in the same
// transaction as the call's end. Any command that opens the store first takes in what is left, the
// records of calls still running or whose post hook never came. So a pre hook costs a copy and a
// small write instead of loading SQLite and hashing, while nothing it saw can be lost.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableHash } from '../agents/payload.js';
import type { Repo } from '../repo.js';
import type { ContentState, SessionUpdate, Store } from '../store.js';
import { checkContent, type Snapshot } from './snapshot.js';

/** What a pre hook saw: the call, its session, and for a file tool the file's state. */
export interface PendingCall {
  session: SessionUpdate;
  toolUseId: string;
  agentId: string | null;
  toolName: string;
  inputJson: string;
  at: string;
  /** A file tool's file; with state 'content', its copy sits next to the record. */
  file?: { path: string; state: 'content' | 'absent' | 'skipped'; reason: string | null; maxBytes: number };
  /** A shell call's snapshot (the name of its private index). */
  treeBefore?: string;
}

/** A pending call read back, with the file's content as the pre hook copied it. */
export interface TakenCall {
  call: PendingCall;
  content: Buffer | undefined;
  /** Deletes the record; call it once the store has it. */
  remove: () => void;
}

const RECORD = '.json';
const COPY = '.before';

function pendingDir(repo: Repo): string {
  return join(repo.stateDir, 'pending');
}

/** A short name for one tool call, the same in its pre and post hooks. */
export function callKey(sessionId: string, toolUseId: string): string {
  return stableHash(`${sessionId}\0${toolUseId}`);
}

/** The record of one call, or of one of its files for a file tool (a patch can write several). */
function recordName(sessionId: string, toolUseId: string, path: string | undefined): string {
  return callKey(sessionId, path === undefined ? toolUseId : `${toolUseId}\0${path}`);
}

/**
 * Leaves a pre hook's record; `copyFrom` is the file whose content it saw. The post hook finds it by
 * `recordId`, the id the agent gives both hooks (the stored id unless that differs). A repeated pre
 * hook for the same call keeps the first record. The record is renamed into place last, so a reader
 * never sees one without its copy.
 */
export function writePending(repo: Repo, call: PendingCall, copyFrom?: string, recordId = call.toolUseId): void {
  const dir = pendingDir(repo);
  const base = join(dir, recordName(call.session.id, recordId, call.file?.path));
  if (existsSync(base + RECORD)) return;
  mkdirSync(dir, { recursive: true });
  if (copyFrom !== undefined) copyFileSync(copyFrom, base + COPY);
  const temporary = `${base}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(call));
  renameSync(temporary, base + RECORD);
}

/** The call a record holds, or undefined when it is gone (taken by another process) or not a record. */
function readCall(dir: string, name: string): PendingCall | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, name + RECORD), 'utf8')) as PendingCall;
  } catch {
    return undefined;
  }
}

function take(dir: string, name: string, call = readCall(dir, name)): TakenCall | undefined {
  if (call === undefined) return undefined;
  const base = join(dir, name);
  let content: Buffer | undefined;
  if (call.file?.state === 'content') {
    try {
      content = readFileSync(base + COPY);
    } catch {
      content = undefined;
    }
  }
  const remove = () => {
    rmSync(base + RECORD, { force: true });
    rmSync(base + COPY, { force: true });
  };
  return { call, content, remove };
}

/**
 * The records left in pending/ (their copies not read), in the order the pre hooks ran, and the
 * directory's whole listing; `skip` leaves out one record by name.
 */
function listPending(dir: string, skip?: string): { files: string[]; records: { name: string; call: PendingCall }[] } {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return { files: [], records: [] };
  }
  const records = files
    .filter((file) => file.endsWith(RECORD) && file !== skip)
    .flatMap((file) => {
      const name = file.slice(0, -RECORD.length);
      const call = readCall(dir, name);
      return call ? [{ name, call }] : [];
    });
  records.sort((a, b) => (a.call.at < b.call.at ? -1 : a.call.at > b.call.at ? 1 : 0));
  return { files, records };
}

/** The pending record of one call (of one of its files, for a file tool), if its pre hook left one. */
export function takePending(repo: Repo, sessionId: string, toolUseId: string, path?: string): TakenCall | undefined {
  return take(pendingDir(repo), recordName(sessionId, toolUseId, path));
}

/**
 * The records other calls of `sessionId` on `path` left before `at` and never took in: their post
 * hook never came (see capture/interrupted.ts). Read by a post hook, which takes them in first.
 */
export function takeEarlierPending(repo: Repo, sessionId: string, path: string, at: string, toolUseId: string): TakenCall[] {
  const dir = pendingDir(repo);
  return listPending(dir, recordName(sessionId, toolUseId, path) + RECORD)
    .records.filter(({ call }) => call.session.id === sessionId && call.file?.path === path && call.at <= at && call.toolUseId !== toolUseId)
    .flatMap(({ name, call }) => take(dir, name, call) ?? []);
}

/** The files of the calls still pending (their pre hook ran, their post hook not yet). */
export function pendingPaths(repo: Repo): Set<string> {
  return new Set(listPending(pendingDir(repo)).records.flatMap(({ call }) => (call.file ? [call.file.path] : [])));
}

/** Stores a snapshot's content (a delta of `baseOid` when given) and says what was stored. */
export function storeSnapshot(store: Store, snapshot: Snapshot, baseOid: string | null, baseContent?: Buffer): { state: ContentState; oid: string | null; skipped: string | null } {
  if (snapshot.state === 'content') return { state: 'content', oid: store.putBlob(snapshot.content, baseOid, baseContent), skipped: null };
  if (snapshot.state === 'absent') return { state: 'absent', oid: null, skipped: null };
  return { state: 'skipped', oid: null, skipped: snapshot.reason };
}

/**
 * Records a pending call in the store as its pre hook used to: the session, the call's start and the
 * file's content before it. Run inside a write transaction; returns the call's id and the blob stored
 * as the file's content before it.
 */
export function applyPending(store: Store, taken: TakenCall): { callId: number; beforeOid: string | null } {
  const { call } = taken;
  store.upsertSession({ ...call.session, started_at: call.at });
  const callId = store.startToolCall({
    sessionId: call.session.id,
    toolUseId: call.toolUseId,
    agentId: call.agentId,
    toolName: call.toolName,
    inputJson: call.inputJson,
    at: call.at,
    treeBefore: call.treeBefore ?? null,
  });
  const file = call.file;
  if (file) {
    const snapshot: Snapshot =
      file.state === 'content'
        ? taken.content
          ? checkContent(taken.content, file.maxBytes)
          : { state: 'skipped', reason: 'the pre hook copy is missing' }
        : file.state === 'absent'
          ? { state: 'absent' }
          : { state: 'skipped', reason: file.reason ?? 'skipped' };
    const before = storeSnapshot(store, snapshot, store.lastAfter(file.path)?.oid ?? null);
    store.recordBefore(callId, file.path, before.state, before.oid, before.skipped);
    return { callId, beforeOid: before.oid };
  }
  return { callId, beforeOid: null };
}

/** How old a copy or temporary file without its record must be before it counts as left behind by a killed hook. */
const STALE_MS = 60 * 60 * 1000;

/** Takes every pending record into the store: for commands, before they read it. Returns how many. */
export function ingestPending(store: Store, repo: Repo, now = Date.now()): number {
  const dir = pendingDir(repo);
  const { files, records } = listPending(dir);
  const names = new Set(files.filter((name) => name.endsWith(RECORD)));
  for (const name of files) {
    if (names.has(name) || names.has(name.replace(/\.[^.]+(\.tmp)?$/, '') + RECORD)) continue;
    const path = join(dir, name);
    if (now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) > STALE_MS) rmSync(path, { force: true });
  }
  // In the order the pre hooks ran, so gaps between calls are judged as they happened.
  const taken = records.flatMap(({ name, call }) => take(dir, name, call) ?? []);
  // Nothing pending (the usual case): no write transaction, so reading commands never wait for a hook's lock.
  if (taken.length === 0) return 0;
  store.write(() => {
    for (const one of taken) applyPending(store, one);
  });
  for (const one of taken) one.remove();
  return taken.length;
}
