// Shell tool calls declare no files. Before and after the call the whole work tree is written as a
// tree object through a private index, so git's stat cache keeps the cost independent of the number
// of unchanged files; the two trees' difference names the files the command changed.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gitSync } from '../git.js';
import type { Repo } from '../repo.js';

export interface ShellFileChange {
  path: string;
  /** Blob ids in the repository's object store; null when the file did not exist on that side. */
  before: string | null;
  after: string | null;
  /** Symlinks and submodules are not text we can attribute. */
  skipped: string | null;
}

function indexFor(repo: Repo, sessionId: string, toolUseId: string): string {
  const name = createHash('sha1').update(`${sessionId}\0${toolUseId}`).digest('hex').slice(0, 20);
  return join(repo.stateDir, 'shell', `${name}.index`);
}

function baseIndex(repo: Repo): string {
  return join(repo.stateDir, 'shell', 'base.index');
}

function writeTree(repo: Repo, indexFile: string): string {
  const env = { ...process.env, GIT_INDEX_FILE: indexFile, GIT_OPTIONAL_LOCKS: '0' };
  gitSync(['add', '--all', '--ignore-errors', '--', '.'], { cwd: repo.root, env, okCodes: [1] });
  return gitSync(['write-tree'], { cwd: repo.root, env }).stdout.toString('utf8').trim();
}

/** Snapshot before the call: returns the tree id of the work tree as it is now. */
export function snapshotBeforeShell(repo: Repo, sessionId: string, toolUseId: string): string {
  const indexFile = indexFor(repo, sessionId, toolUseId);
  mkdirSync(join(repo.stateDir, 'shell'), { recursive: true });
  // Start from the last snapshot's index (or git's own) so only files changed since are hashed again.
  const seed = existsSync(baseIndex(repo)) ? baseIndex(repo) : join(repo.gitDir, 'index');
  if (existsSync(seed)) copyFileSync(seed, indexFile);
  return writeTree(repo, indexFile);
}

/** Snapshot after the call and the files that differ from the tree taken before it. */
export function snapshotAfterShell(repo: Repo, sessionId: string, toolUseId: string, treeBefore: string): ShellFileChange[] {
  const indexFile = indexFor(repo, sessionId, toolUseId);
  if (!existsSync(indexFile)) copyFileSync(join(repo.gitDir, 'index'), indexFile);
  const treeAfter = writeTree(repo, indexFile);
  const seedTmp = `${indexFile}.base`;
  copyFileSync(indexFile, seedTmp);
  renameSync(seedTmp, baseIndex(repo));
  rmSync(indexFile, { force: true });
  if (treeAfter === treeBefore) return [];
  const out = gitSync(['diff-tree', '-r', '-z', '--no-renames', treeBefore, treeAfter], { cwd: repo.root }).stdout.toString('utf8');
  const fields = out.split('\0');
  const changes: ShellFileChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!.replace(/^:/, '').split(' ');
    const path = fields[i + 1]!;
    const [oldMode, newMode, oldOid, newOid] = meta as [string, string, string, string];
    const isZero = (oid: string) => /^0+$/.test(oid);
    const special = [oldMode, newMode].find((mode) => mode === '120000' || mode === '160000');
    changes.push({
      path,
      before: isZero(oldOid) ? null : oldOid,
      after: isZero(newOid) ? null : newOid,
      skipped: special === '120000' ? 'symbolic link' : special === '160000' ? 'submodule' : null,
    });
  }
  return changes;
}

/** Reads blobs from the repository's object store in one git process. */
export function readGitBlobs(repo: Repo, oids: readonly string[]): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  if (oids.length === 0) return result;
  const out = gitSync(['cat-file', '--batch'], { cwd: repo.root, input: `${oids.join('\n')}\n` }).stdout;
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
