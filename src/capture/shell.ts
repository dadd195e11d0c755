// Shell tool calls declare no files. Before the call and after it the whole work tree is written to
// git's object store as a tree (`git add --all` into a private index, then `git write-tree`): the
// files the command created, changed or deleted are exactly what `git diff-tree` finds between the
// two trees, with their contents before and after. The private index is the last snapshot's
// (`shell/base.index`), so git hashes only files whose stat data changed since, and its cache-tree
// lets write-tree rewrite only the directories that changed.
//
// The same two steps run in POSIX sh for Claude Code's Bash (capture/shell-lane.ts): no Node starts
// around the call; the spooled payloads carry the trees, and whatever opens the store next diffs them.
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gitRaw, gitSync } from '../git.js';
import type { Repo } from '../repo.js';
import { SHELL_DIR } from './spool-dir.js';

export interface ShellFileChange {
  path: string;
  /** The blob the file had before the call, in the repository's object store; null when it did not exist. */
  before: string | null;
  /** The file's content after the call; null when it no longer exists. */
  after: Buffer | null;
  /** Symlinks and submodules are not text we can attribute. */
  skipped: string | null;
}

export interface ShellAfter {
  changes: ShellFileChange[];
  /** The contents of the changes' `before` blobs. */
  blobs: Map<string, Buffer>;
}

/** How a pending record names a snapshot: `tree:<id>`. */
export const TREE_SNAPSHOT = 'tree:';

const SYMLINK = '120000';
const GITLINK = '160000';
const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function shellDir(repo: Repo): string {
  return join(repo.stateDir, SHELL_DIR);
}

function indexEnv(indexFile: string): NodeJS.ProcessEnv {
  return { ...process.env, GIT_INDEX_FILE: indexFile, GIT_LITERAL_PATHSPECS: '1' };
}

/**
 * The work tree as a tree in the object store. The private index starts from the last snapshot's
 * (a hard link: git never writes an index in place, it renames a new file over it) or git's own, and
 * becomes the next one's.
 */
export async function snapshotTree(repo: Repo): Promise<string> {
  const dir = shellDir(repo);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, 'base.index');
  const indexFile = join(dir, `.${process.pid}.${Date.now()}.index`);
  try {
    linkSync(base, indexFile);
  } catch {
    const own = join(repo.gitDir, 'index');
    if (existsSync(own)) copyFileSync(own, indexFile);
  }
  try {
    // --ignore-errors: a file that cannot be read keeps its last snapshot rather than failing the call's.
    await gitRaw(['add', '--all', '--ignore-errors'], { cwd: repo.root, env: indexEnv(indexFile), okCodes: [1] });
    const tree = (await gitRaw(['write-tree'], { cwd: repo.root, env: indexEnv(indexFile) })).stdout.toString('utf8').trim();
    if (!OID.test(tree)) throw new Error(`git write-tree printed ${JSON.stringify(tree)}`);
    renameSync(indexFile, base);
    return tree;
  } finally {
    rmSync(indexFile, { force: true });
  }
}

/** The tree a snapshot names, or undefined for another kind (an older trace's private index). */
export function snapshotTreeOf(snapshot: string | null | undefined): string | undefined {
  const tree = snapshot?.startsWith(TREE_SNAPSHOT) ? snapshot.slice(TREE_SNAPSHOT.length) : undefined;
  return tree !== undefined && OID.test(tree) ? tree : undefined;
}

/** What the call changed: the paths that differ between the trees, with their contents. */
export function shellChanges(repo: Repo, before: string, after: string): ShellAfter {
  const out = gitSync(['diff-tree', '-r', '-z', '--no-renames', '--no-ext-diff', before, after], { cwd: repo.root }).stdout.toString('utf8');
  // `:<mode> <mode> <oid> <oid> <status>` NUL `<path>` NUL, for each path.
  const fields = out.split('\0');
  const changes: (ShellFileChange & { afterOid: string | null })[] = [];
  for (let k = 0; k + 1 < fields.length; k += 2) {
    const [oldMode, newMode, oldOid, newOid] = fields[k]!.slice(1).split(' ');
    const path = fields[k + 1]!;
    const absent = (mode: string | undefined) => mode === undefined || /^0+$/.test(mode);
    const special = [oldMode, newMode].find((mode) => mode === SYMLINK || mode === GITLINK);
    changes.push({
      path,
      before: absent(oldMode) ? null : oldOid!,
      afterOid: absent(newMode) ? null : newOid!,
      after: null,
      skipped: special === SYMLINK ? 'symbolic link' : special === GITLINK ? 'submodule' : null,
    });
  }
  const wanted = changes.flatMap((change) => (change.skipped ? [] : [change.before, change.afterOid].filter((oid): oid is string => oid !== null)));
  const blobs = readBlobs(repo, wanted);
  return {
    changes: changes
      .map(({ afterOid, ...change }) => {
        if (afterOid === null || change.skipped) return change;
        const content = blobs.get(afterOid);
        return content ? { ...change, after: content } : { ...change, skipped: 'blob missing from the object store' };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    blobs,
  };
}

/** Reads blobs from the repository's object store in one git process. */
export function readGitBlobs(repo: Repo, oids: readonly string[]): Map<string, Buffer> {
  if (oids.length === 0) return new Map();
  return parseCatFileBatch(gitSync(['cat-file', '--batch'], { cwd: repo.root, input: `${oids.join('\n')}\n` }).stdout);
}

/**
 * Reads a call's blobs. Most are ones a snapshot just wrote, so loose objects: those are read here (a
 * zlib stream with a `blob <size>` header), which spares a git process; the others (packed, in an
 * alternate) come from one `git cat-file`.
 */
function readBlobs(repo: Repo, oids: readonly string[]): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  const rest: string[] = [];
  for (const oid of new Set(oids)) {
    const blob = readLooseBlob(repo, oid);
    if (blob) blobs.set(oid, blob);
    else rest.push(oid);
  }
  for (const [oid, blob] of readGitBlobs(repo, rest)) blobs.set(oid, blob);
  return blobs;
}

/** A loose blob's content, or undefined when the object is not loose (or not a well-formed blob). */
export function readLooseBlob(repo: Repo, oid: string): Buffer | undefined {
  if (!OID.test(oid)) return undefined;
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
