// Reads one file of the work tree for a capture, deciding whether it can be kept.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export type Snapshot =
  | { state: 'content'; content: Buffer }
  | { state: 'absent' }
  | { state: 'skipped'; reason: string };

/** Git's own test: a NUL byte in the first 8,000 bytes makes a file binary. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

export function checkContent(content: Buffer, maxBytes: number): Snapshot {
  if (content.length > maxBytes) return { state: 'skipped', reason: `larger than ${maxBytes} bytes (${content.length})` };
  if (isBinary(content)) return { state: 'skipped', reason: 'binary file' };
  return { state: 'content', content };
}

/**
 * What a file is, without reading it: content that can be kept, absent, or skipped with the reason
 * (a symbolic link, not a regular file, larger than `maxBytes`, unreadable).
 */
export function inspectFile(absolutePath: string, maxBytes: number): { state: 'content' | 'absent'; reason: null } | { state: 'skipped'; reason: string } {
  try {
    const stat = lstatSync(absolutePath, { throwIfNoEntry: false });
    if (!stat) return { state: 'absent', reason: null };
    if (stat.isSymbolicLink()) return { state: 'skipped', reason: 'symbolic link' };
    if (!stat.isFile()) return { state: 'skipped', reason: 'not a regular file' };
    if (stat.size > maxBytes) return { state: 'skipped', reason: `larger than ${maxBytes} bytes (${stat.size})` };
    return { state: 'content', reason: null };
  } catch (error) {
    return { state: 'skipped', reason: unreadable(error) };
  }
}

/** The skip reason for a file that could not be read. */
export function unreadable(error: unknown): string {
  return `unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
}

export function readSnapshot(absolutePath: string, maxBytes: number): Snapshot {
  const file = inspectFile(absolutePath, maxBytes);
  if (file.state === 'absent') return { state: 'absent' };
  if (file.state === 'skipped') return { state: 'skipped', reason: file.reason };
  try {
    return checkContent(readFileSync(absolutePath), maxBytes);
  } catch (error) {
    return { state: 'skipped', reason: unreadable(error) };
  }
}

/** The path relative to the work tree with `/` separators, or an error when it is outside it or inside `.git`. */
export function repoRelativePath(root: string, cwd: string, path: string): { path: string } | { error: string } {
  const absolute = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { error: `${path} is outside the repository ${root}` };
  const posix = rel.split(sep).join('/');
  if (posix === '.git' || posix.startsWith('.git/')) return { error: `${path} is inside .git` };
  return { path: posix };
}

/** The path with its symbolic links resolved, or the path itself when it cannot be resolved. */
export function realPathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `real` is `root` or inside it, and not inside its `.git`. */
function within(root: string, real: string): boolean {
  const rel = relative(root, real);
  if (rel.startsWith('..') || isAbsolute(rel)) return false;
  return rel !== '.git' && !rel.startsWith(`.git${sep}`);
}

/**
 * Why the file at `path` (relative to the work tree) must not be read: its directory resolves, through
 * a symbolic link, outside the repository or into `.git`. Null when it may be read. One realpath of
 * its directory (two when the work tree's own path runs through a link).
 */
export function escapesRepository(root: string, path: string): string | null {
  let real: string;
  try {
    real = realpathSync(dirname(join(root, path)));
  } catch {
    return null; // no such directory yet: there is nothing to read through it
  }
  if (within(root, real)) return null;
  const realRoot = realPathOr(root);
  return realRoot !== root && within(realRoot, real) ? null : `resolves through a symbolic link to ${real}, outside the repository`;
}

/** {@link readSnapshot} of a work tree file, refused when its directory resolves outside the repository. */
export function readInside(root: string, path: string, maxBytes: number): Snapshot {
  const escape = escapesRepository(root, path);
  return escape ? { state: 'skipped', reason: escape } : readSnapshot(join(root, path), maxBytes);
}
