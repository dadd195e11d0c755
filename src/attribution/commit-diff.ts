// A commit's diff against its first parent, as git itself computes it. Post-commit and verify both
// read it through here with the same fixed options, so ranges and checks agree whatever the user's
// diff configuration is.
import type { FileStatus } from '../core/types.js';
import { gitRaw } from '../git.js';

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Fixed diff options: user config (algorithm, renames, external diff, textconv) must not change the answer. */
const DIFF_OPTIONS = ['-r', '-M', '--diff-algorithm=myers', '--indent-heuristic', '--no-ext-diff', '--no-textconv', '--no-color'];

export interface DiffFile {
  path: string;
  oldPath?: string;
  status: FileStatus;
  binary: boolean;
  /** Blob id in the commit (null for a deleted file). */
  blob: string | null;
  oldBlob: string | null;
  linesAdded: number;
  linesRemoved: number;
  /** 1-based line numbers in the committed file that the commit adds. */
  addedLines: number[];
  /** The text of the removed lines (latin1-decoded). */
  removedLines: string[];
  /** A symlink or submodule: listed, never attributed. */
  special: boolean;
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  author: { name: string; email: string; date: string };
}

export async function commitInfo(cwd: string, sha: string): Promise<CommitInfo> {
  const out = (await gitRaw(['show', '-s', '--format=%H%x00%P%x00%an%x00%ae%x00%aI', sha], { cwd })).stdout.toString('utf8').trim();
  const [full, parents, name, email, date] = out.split('\0') as [string, string, string, string, string];
  return { sha: full, parents: parents ? parents.split(' ') : [], author: { name, email, date } };
}

interface RawEntry {
  status: string;
  oldMode: string;
  newMode: string;
  oldBlob: string;
  newBlob: string;
  path: string;
  oldPath?: string;
}

const ZERO = /^0+$/;

/** The files a commit changes relative to `parent` (its first parent, or the empty tree for a root commit). */
export async function commitDiff(cwd: string, parent: string | null, sha: string): Promise<DiffFile[]> {
  const base = parent ?? EMPTY_TREE;
  const [raw, numstat, patch] = await Promise.all([
    gitRaw(['diff-tree', ...DIFF_OPTIONS, '-z', '--raw', base, sha], { cwd }),
    gitRaw(['diff-tree', ...DIFF_OPTIONS, '-z', '--numstat', base, sha], { cwd }),
    gitRaw(['diff-tree', ...DIFF_OPTIONS, '-U0', '--patch', '--src-prefix=a/', '--dst-prefix=b/', base, sha], { cwd }),
  ]);
  const entries = parseRaw(raw.stdout.toString('utf8'));
  const counts = parseNumstat(numstat.stdout.toString('utf8'));
  const sections = parsePatch(patch.stdout.toString('latin1'));
  if (counts.length !== entries.length || sections.length !== entries.length) {
    throw new Error(`git diff-tree disagreed with itself on ${sha} (${entries.length}/${counts.length}/${sections.length} files)`);
  }
  return entries.map((entry, i): DiffFile => {
    const count = counts[i]!;
    const section = sections[i]!;
    const status: FileStatus = entry.status.startsWith('R') ? 'renamed' : entry.status === 'A' ? 'created' : entry.status === 'D' ? 'deleted' : 'modified';
    const special = [entry.oldMode, entry.newMode].some((mode) => mode === '120000' || mode === '160000');
    return {
      path: entry.path,
      ...(entry.oldPath !== undefined ? { oldPath: entry.oldPath } : {}),
      status,
      binary: count.binary,
      blob: ZERO.test(entry.newBlob) ? null : entry.newBlob,
      oldBlob: ZERO.test(entry.oldBlob) ? null : entry.oldBlob,
      linesAdded: count.added,
      linesRemoved: count.removed,
      addedLines: count.binary ? [] : section.addedLines,
      removedLines: count.binary ? [] : section.removedLines,
      special,
    };
  });
}

function parseRaw(out: string): RawEntry[] {
  const fields = out.split('\0');
  const entries: RawEntry[] = [];
  let i = 0;
  while (i < fields.length && fields[i] !== '') {
    const [oldMode, newMode, oldBlob, newBlob, status] = fields[i]!.replace(/^:/, '').split(' ') as [string, string, string, string, string];
    if (status.startsWith('R') || status.startsWith('C')) {
      entries.push({ status, oldMode, newMode, oldBlob, newBlob, oldPath: fields[i + 1]!, path: fields[i + 2]! });
      i += 3;
    } else {
      entries.push({ status, oldMode, newMode, oldBlob, newBlob, path: fields[i + 1]! });
      i += 2;
    }
  }
  return entries;
}

function parseNumstat(out: string): { added: number; removed: number; binary: boolean }[] {
  const fields = out.split('\0');
  const result: { added: number; removed: number; binary: boolean }[] = [];
  let i = 0;
  while (i < fields.length && fields[i] !== '') {
    const [added, removed, path] = fields[i]!.split('\t') as [string, string, string];
    const binary = added === '-';
    result.push({ added: binary ? 0 : Number(added), removed: binary ? 0 : Number(removed), binary });
    // A rename has an empty path here, followed by the old and new paths.
    i += path === '' ? 3 : 1;
  }
  return result;
}

function parsePatch(out: string): { addedLines: number[]; removedLines: string[] }[] {
  const sections: { addedLines: number[]; removedLines: string[] }[] = [];
  let current: { addedLines: number[]; removedLines: string[] } | undefined;
  let inHunk = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = { addedLines: [], removedLines: [] };
      sections.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      for (let n = 0; n < count; n++) current.addedLines.push(start + n);
      inHunk = true;
      continue;
    }
    if (inHunk && line.startsWith('-')) current.removedLines.push(line.slice(1));
  }
  return sections;
}
