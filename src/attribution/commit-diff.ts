// A commit's diff against its first parent, as git itself computes it. Post-commit and verify both
// read it through here with the same fixed options, so ranges and checks agree whatever the user's
// diff configuration is.
import type { FileStatus } from '../core/types.js';
import { gitRaw } from '../git.js';

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
  const [info] = await commitInfos(cwd, [sha]);
  return info!;
}

/** Authors and parents of many commits in one git process, in the order given. */
export async function commitInfos(cwd: string, shas: readonly string[]): Promise<CommitInfo[]> {
  if (shas.length === 0) return [];
  const out = (await gitRaw(['log', '--no-walk=unsorted', '--stdin', '--format=%H%x00%P%x00%an%x00%ae%x00%aI%x1e'], { cwd, input: `${shas.join('\n')}\n` })).stdout.toString('utf8');
  return out
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [full, parents, name, email, date] = record.split('\0') as [string, string, string, string, string];
      return { sha: full, parents: parents ? parents.split(' ') : [], author: { name, email, date } };
    });
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
  return (await commitDiffs(cwd, [{ sha, parent }])).get(sha) ?? [];
}

/**
 * The diffs of many commits in two git processes (`diff-tree --stdin`), so verifying a thousand
 * commits does not start three thousand processes.
 */
export async function commitDiffs(cwd: string, items: readonly { sha: string; parent: string | null }[], paths?: readonly string[]): Promise<Map<string, DiffFile[]>> {
  const input = `${items.map((item) => (item.parent ? `${item.sha} ${item.parent}` : item.sha)).join('\n')}\n`;
  const pathspec = paths === undefined ? [] : ['--', ...paths.map((path) => `:(literal)${path}`)];
  const common = ['diff-tree', '--stdin', '--always', '--root', ...DIFF_OPTIONS];
  const [summary, patch] = await Promise.all([
    gitRaw([...common, '-z', '--raw', '--numstat', ...pathspec], { cwd, input }),
    // A created file's added lines are all of them: its patch (most of a large vendoring commit) is not read.
    gitRaw([...common, '-U0', '--patch', '--diff-filter=a', '--src-prefix=a/', '--dst-prefix=b/', ...pathspec], { cwd, input }),
  ]);
  const shas = items.map((item) => item.sha);
  const summaries = splitSummaries(summary.stdout.toString('utf8'), shas);
  const patches = splitPatches(patch.stdout.toString('latin1'), shas);
  const result = new Map<string, DiffFile[]>();
  for (const sha of shas) {
    const { entries, counts } = summaries.get(sha) ?? { entries: [], counts: [] };
    const sections = patches.get(sha) ?? [];
    const patched = entries.filter((entry) => entry.status !== 'A').length;
    if (counts.length !== entries.length || sections.length !== patched) {
      throw new Error(`git diff-tree disagreed with itself on ${sha} (${entries.length}/${counts.length}/${sections.length} files)`);
    }
    let next = 0;
    result.set(
      sha,
      entries.map((entry, i) => {
        const count = counts[i]!;
        const section = entry.status === 'A' ? { addedLines: Array.from({ length: count.added }, (_, n) => n + 1), removedLines: [] } : sections[next++]!;
        return toDiffFile(entry, count, section);
      }),
    );
  }
  return result;
}

/**
 * The paths `paths` were renamed from in each commit (rename detection needs the whole commit; only
 * names are listed, no content is diffed).
 */
export async function renamedFrom(cwd: string, items: readonly { sha: string; parent: string | null }[], paths: ReadonlySet<string>): Promise<string[]> {
  if (items.length === 0) return [];
  const input = `${items.map((item) => (item.parent ? `${item.sha} ${item.parent}` : item.sha)).join('\n')}\n`;
  const out = (await gitRaw(['diff-tree', '--stdin', '--root', ...DIFF_OPTIONS, '-z', '--name-status', '--diff-filter=R'], { cwd, input })).stdout.toString('utf8');
  const fields = out.split('\0');
  const olds = new Set<string>();
  for (let i = 0; i < fields.length; i++) {
    // `R<score>` then the old and the new path; commit headers stand alone.
    if (/^R\d*$/.test(fields[i]!) && i + 2 < fields.length) {
      if (paths.has(fields[i + 2]!)) olds.add(fields[i + 1]!);
      i += 2;
    }
  }
  return [...olds];
}

function toDiffFile(entry: RawEntry, count: NumstatEntry, section: PatchSection): DiffFile {
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
}

interface NumstatEntry {
  added: number;
  removed: number;
  binary: boolean;
}

interface PatchSection {
  addedLines: number[];
  removedLines: string[];
}

/** `-z --raw --numstat` output of several commits: each starts with the commit id, then raw entries, then numstat entries. */
function splitSummaries(out: string, shas: readonly string[]): Map<string, { entries: RawEntry[]; counts: NumstatEntry[] }> {
  const fields = out.split('\0');
  const result = new Map<string, { entries: RawEntry[]; counts: NumstatEntry[] }>();
  let current: { entries: RawEntry[]; counts: NumstatEntry[] } | undefined;
  let next = 0;
  let i = 0;
  while (i < fields.length) {
    const field = fields[i]!;
    if (field === shas[next]) {
      current = { entries: [], counts: [] };
      result.set(field, current);
      next++;
      i++;
    } else if (field.startsWith(':') && current) {
      const [oldMode, newMode, oldBlob, newBlob, status] = field.slice(1).split(' ') as [string, string, string, string, string];
      if (status.startsWith('R') || status.startsWith('C')) {
        current.entries.push({ status, oldMode, newMode, oldBlob, newBlob, oldPath: fields[i + 1]!, path: fields[i + 2]! });
        i += 3;
      } else {
        current.entries.push({ status, oldMode, newMode, oldBlob, newBlob, path: fields[i + 1]! });
        i += 2;
      }
    } else {
      const numstat = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(field);
      if (numstat && current) {
        const binary = numstat[1] === '-';
        current.counts.push({ added: binary ? 0 : Number(numstat[1]), removed: binary ? 0 : Number(numstat[2]), binary });
        // A rename has an empty path here, followed by the old and new paths.
        i += numstat[3] === '' ? 3 : 1;
      } else {
        i++;
      }
    }
  }
  return result;
}

/**
 * `-U0 --patch` output of several commits: each starts with the commit id on a line of its own.
 * Scanned in place: only hunk headers and removed lines are cut out of it, so a commit adding a
 * million lines does not become a million strings.
 */
function splitPatches(out: string, shas: readonly string[]): Map<string, PatchSection[]> {
  const result = new Map<string, PatchSection[]>();
  let sections: PatchSection[] | undefined;
  let current: PatchSection | undefined;
  let inHunk = false;
  let next = 0;
  let at = 0;
  while (at <= out.length) {
    let end = out.indexOf('\n', at);
    if (end === -1) end = out.length;
    const first = out.charCodeAt(at);
    const lineAt = at;
    at = end + 1;
    // Added lines ('+') and context are skipped without being read.
    if (first === 0x2b /* + */) continue;
    if (next < shas.length && end - lineAt === shas[next]!.length && out.startsWith(shas[next]!, lineAt)) {
      sections = [];
      result.set(shas[next]!, sections);
      current = undefined;
      next++;
      continue;
    }
    if (!sections) continue;
    if (out.startsWith('diff --git ', lineAt)) {
      current = { addedLines: [], removedLines: [] };
      sections.push(current);
      inHunk = false;
      continue;
    }
    if (!current) continue;
    if (first === 0x40 /* @ */) {
      const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(out.slice(lineAt, Math.min(end, lineAt + 200)));
      if (hunk) {
        const start = Number(hunk[1]);
        const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
        for (let n = 0; n < count; n++) current.addedLines.push(start + n);
        inHunk = true;
        continue;
      }
    }
    if (inHunk && first === 0x2d /* - */) current.removedLines.push(out.slice(lineAt + 1, end));
  }
  return result;
}
