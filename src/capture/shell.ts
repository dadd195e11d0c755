// Shell tool calls declare no files. Before the call the work tree is compared with a private copy of
// the index, and whatever differs is staged into it (blobs of new and changed files go to the object
// store); after the call the same comparison names exactly the files the command created, changed or
// deleted, with their blobs from before. `git status` does the comparison: its stat cache and, on the
// private index only, its untracked cache keep the cost independent of the number of unchanged files
// and directories.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gitRaw, gitSync } from '../git.js';
import type { Repo } from '../repo.js';
import { callKey } from './pending.js';
import { unreadable } from './snapshot.js';

export interface ShellFileChange {
  path: string;
  /** The blob the file had before the call, in the repository's object store; null when it did not exist. */
  before: string | null;
  /** The file's content after the call, read from the work tree; null when it no longer exists. */
  after: Buffer | null;
  /** Symlinks and submodules are not text we can attribute; unreadable files cannot be captured. */
  skipped: string | null;
}

export interface ShellAfter {
  changes: ShellFileChange[];
  /** The contents of the changes' `before` blobs. */
  blobs: Map<string, Buffer>;
}

const ABSENT = '000000';
const SYMLINK = '120000';
const GITLINK = '160000';

/** The call's private index, named so that the pre and post hooks find the same one. */
function indexFor(repo: Repo, sessionId: string, toolUseId: string): string {
  return join(repo.stateDir, 'shell', `${callKey(sessionId, toolUseId)}.index`);
}

function baseIndex(repo: Repo): string {
  return join(repo.stateDir, 'shell', 'base.index');
}

function indexEnv(indexFile: string): NodeJS.ProcessEnv {
  return { ...process.env, GIT_INDEX_FILE: indexFile, GIT_LITERAL_PATHSPECS: '1' };
}

// The untracked cache (turned on for the private index only; the user's own index keeps their setting)
// lets status re-read only the directories whose mtime changed instead of every directory.
const STATUS = ['-c', 'core.untrackedCache=true', 'status', '--porcelain=v2', '-z', '--untracked-files=normal', '--no-renames', '--ignore-submodules=dirty'];

interface StatusEntry {
  path: string;
  /** The mode and blob in the index (ABSENT when the path is not in it) and the mode in the work tree. */
  indexMode: string;
  indexOid: string;
  workTreeMode: string;
}

/**
 * Where the work tree differs from the index, from `git status --porcelain=v2 -z`: tracked paths whose
 * content, mode or existence changed, and untracked paths (a directory, ending in `/`, when nothing in
 * it is tracked).
 */
function parseStatus(out: Buffer): StatusEntry[] {
  const entries: StatusEntry[] = [];
  for (const record of out.toString('utf8').split('\0')) {
    if (record.startsWith('? ')) {
      entries.push({ path: record.slice(2), indexMode: ABSENT, indexOid: '', workTreeMode: '' });
      continue;
    }
    const fields = record.split(' ');
    // An unmerged path (only in git's own index, the first seed): staging it resolves it, as `git add` does.
    if (record.startsWith('u ') && fields.length >= 11) {
      entries.push({ path: fields.slice(10).join(' '), indexMode: ABSENT, indexOid: '', workTreeMode: fields[6]! });
      continue;
    }
    // `1 XY sub mH mI mW hH hI path`, where Y, the work tree against the index, is `.` when they agree.
    if (!record.startsWith('1 ')) continue;
    if (fields.length < 9 || fields[1]?.[1] === '.') continue;
    entries.push({ path: fields.slice(8).join(' '), indexMode: fields[4]!, indexOid: fields[7]!, workTreeMode: fields[5]! });
  }
  return entries;
}

/**
 * `git status` against a private index. The pre hook's status may write the call's index (`write`):
 * git writes it only when the scan changed it, that is when it refreshed the stat data of files whose
 * content had not changed (touched, or rewritten as they were: a build, a checkout) or updated the
 * untracked cache of directories whose files came or went. Saved there, both pass to the next
 * snapshots through the seeding; left unsaved, every later scan would hash those files again. The
 * post hook's status never writes: the seeding writes that index anyway, off the hook's time.
 */
async function status(repo: Repo, indexFile: string, write = false): Promise<StatusEntry[]> {
  return parseStatus((await gitRaw(write ? STATUS : ['--no-optional-locks', ...STATUS], { cwd: repo.root, env: indexEnv(indexFile) })).stdout);
}

/** Snapshot before the call; returns the name of the snapshot, which the after snapshot needs to exist. */
export async function snapshotBeforeShell(repo: Repo, sessionId: string, toolUseId: string): Promise<string> {
  const indexFile = indexFor(repo, sessionId, toolUseId);
  mkdirSync(join(repo.stateDir, 'shell'), { recursive: true });
  // Start from the last snapshot's index (or git's own) so only files changed since are hashed again.
  // A hard link is as good as a copy and costs nothing: git never writes an index in place, it
  // writes a new file and renames it over the old one.
  const fromBase = existsSync(baseIndex(repo));
  const seed = fromBase ? baseIndex(repo) : join(repo.gitDir, 'index');
  // Left by an earlier pre hook of the same call (checked first: a missing file would cost rmSync an exception).
  if (existsSync(indexFile)) rmSync(indexFile, { force: true });
  try {
    linkSync(seed, indexFile);
  } catch {
    if (existsSync(seed)) copyFileSync(seed, indexFile);
  }
  await stage(repo, indexFile, (await status(repo, indexFile, true)).map((entry) => entry.path));
  return `index:${basename(indexFile)}`;
}

/** Stages `paths` (created, changed or deleted) into the private index, writing their blobs. */
async function stage(repo: Repo, indexFile: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await gitRaw(['-c', 'core.untrackedCache=true', 'add', '--all', '--ignore-errors', '--pathspec-from-file=-', '--pathspec-file-nul'], {
    cwd: repo.root,
    env: indexEnv(indexFile),
    input: paths.map((path) => `${path}\0`).join(''),
    okCodes: [1],
  });
}

type WorkTreeFile = { kind: 'file'; content: Buffer } | { kind: 'symlink' } | { kind: 'absent' } | { kind: 'other' } | { kind: 'unreadable'; reason: string };

function readWorkTreeFile(path: string): WorkTreeFile {
  try {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) return { kind: 'absent' };
    if (stat.isSymbolicLink()) return { kind: 'symlink' };
    if (!stat.isFile()) return { kind: 'other' };
    return { kind: 'file', content: readFileSync(path) };
  } catch (error) {
    return { kind: 'unreadable', reason: unreadable(error) };
  }
}

function change(repo: Repo, entry: StatusEntry): ShellFileChange {
  const file = readWorkTreeFile(join(repo.root, entry.path));
  const special = [entry.indexMode, entry.workTreeMode].find((mode) => mode === SYMLINK || mode === GITLINK);
  return {
    path: entry.path,
    before: entry.indexMode === ABSENT ? null : entry.indexOid,
    after: file.kind === 'file' ? file.content : null,
    skipped: special === SYMLINK || file.kind === 'symlink' ? 'symbolic link' : special === GITLINK ? 'submodule' : file.kind === 'unreadable' ? file.reason : null,
  };
}

/**
 * The files that differ from the snapshot taken before the call, with their contents from before, or
 * null when there is no such snapshot. The snapshot becomes the seed of the next one.
 */
export async function snapshotAfterShell(repo: Repo, sessionId: string, toolUseId: string): Promise<ShellAfter | null> {
  const indexFile = indexFor(repo, sessionId, toolUseId);
  if (!existsSync(indexFile)) return null;
  const changes: ShellFileChange[] = [];
  const newDirectories: string[] = [];
  for (const entry of await status(repo, indexFile)) {
    if (entry.path.endsWith('/')) newDirectories.push(entry.path);
    else changes.push(change(repo, entry));
  }
  if (newDirectories.length > 0) {
    // A new directory is listed whole: its files, as `git add` would find them.
    const out = (await gitRaw(['ls-files', '-z', '--others', '--exclude-standard', '--', ...newDirectories], { cwd: repo.root, env: indexEnv(indexFile) })).stdout;
    for (const path of out.toString('utf8').split('\0')) {
      if (path === '') continue;
      // A directory in there is a repository of its own, which `git add` records as a submodule.
      if (path.endsWith('/')) changes.push({ path: path.slice(0, -1), before: null, after: null, skipped: 'submodule' });
      else changes.push(change(repo, { path, indexMode: ABSENT, indexOid: '', workTreeMode: '' }));
    }
  }
  const blobs = readGitBlobsAsync(repo, changes.flatMap((change) => (change.before !== null && !change.skipped ? [change.before] : [])));
  blobs.catch(() => undefined); // awaited below; this only keeps a failure of the seeding from leaving it unhandled
  // The changes are staged into the snapshot so that it seeds the next call's snapshot with nothing
  // left to hash. That only speeds up the next call, so it runs detached, after this hook has exited:
  // if it is late or fails, the next pre hook stages those files itself. It is started while git
  // reads the before-blobs, which stay in the object store whatever the seeding does to the index.
  seedNextSnapshot(repo, indexFile, [...changes.map((change) => change.path), ...newDirectories]);
  return { changes: changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), blobs: await blobs };
}

// The call's index becomes the base by a rename (git never writes an index in place, so a pre hook
// reading the old base keeps reading it whole); nothing else uses the call's index by then.
const SEED_SCRIPT = [
  'git -c core.untrackedCache=true add --all --ignore-errors --pathspec-from-file="$1" --pathspec-file-nul',
  'mv -f "$GIT_INDEX_FILE" "$2"',
  'rm -f "$GIT_INDEX_FILE" "$1"',
].join('; ');

function seedNextSnapshot(repo: Repo, indexFile: string, paths: readonly string[]): void {
  const list = `${indexFile}.paths`;
  writeFileSync(list, paths.map((path) => `${path}\0`).join(''));
  const child = spawn('sh', ['-c', SEED_SCRIPT, 'trace-seed', list, baseIndex(repo)], {
    cwd: repo.root,
    env: indexEnv(indexFile),
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
}

/** Reads blobs from the repository's object store in one git process. */
export function readGitBlobs(repo: Repo, oids: readonly string[]): Map<string, Buffer> {
  if (oids.length === 0) return new Map();
  return parseCatFileBatch(gitSync(['cat-file', '--batch'], { cwd: repo.root, input: `${oids.join('\n')}\n` }).stdout);
}

/**
 * Reads blobs for the post hook. A before-blob is most often one a pre hook or a seeding just staged,
 * so a loose object: those are read here (a zlib stream with a `blob <size>` header), which spares
 * the hook a git process; the others (packed, in an alternate) come from one `git cat-file`.
 */
async function readGitBlobsAsync(repo: Repo, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  const rest: string[] = [];
  for (const oid of new Set(oids)) {
    const blob = readLooseBlob(repo, oid);
    if (blob) blobs.set(oid, blob);
    else rest.push(oid);
  }
  if (rest.length === 0) return blobs;
  const packed = parseCatFileBatch((await gitRaw(['cat-file', '--batch'], { cwd: repo.root, input: `${rest.join('\n')}\n` })).stdout);
  for (const [oid, blob] of packed) blobs.set(oid, blob);
  return blobs;
}

/** A loose blob's content, or undefined when the object is not loose (or not a well-formed blob). */
export function readLooseBlob(repo: Repo, oid: string): Buffer | undefined {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) return undefined;
  let raw: Buffer;
  try {
    raw = process.getBuiltinModule('node:zlib').inflateSync(readFileSync(join(repo.commonDir, 'objects', oid.slice(0, 2), oid.slice(2))));
  } catch {
    return undefined;
  }
  const nul = raw.indexOf(0);
  const header = nul > 0 ? raw.subarray(0, nul).toString('latin1') : '';
  if (!/^blob \d+$/.test(header) || Number(header.slice(5)) !== raw.length - nul - 1) return undefined;
  return raw.subarray(nul + 1);
}

function parseCatFileBatch(out: Buffer): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  let offset = 0;
  while (offset < out.length) {
    const newline = out.indexOf(10, offset);
    if (newline < 0) break;
    const header = out.subarray(offset, newline).toString('utf8').split(' ');
    offset = newline + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number(header[2]);
    result.set(header[0]!, out.subarray(offset, offset + size));
    offset += size + 1;
  }
  return result;
}
