// The `apply_patch` format (Codex's `apply_patch`, Cursor's `ApplyPatch`, OpenCode's `patch`): which
// files a patch writes, what it puts in each, and the file before it ran (the hunks undone). Pure and
// dependency-free: it runs on the hook's hot path.
//
//   *** Begin Patch
//   *** Add File: <path>        then `+` lines: the whole new file
//   *** Update File: <path>     optionally `*** Move to: <path>`, then hunks: `@@ [anchor]`, ` ` context,
//                               `-` old, `+` new lines; `*** End of File` pins the hunk to the end
//   *** Delete File: <path>
//   *** End Patch
// Paths are relative to the call's cwd, or absolute.
import type { Declaration } from '../core/types.js';

export interface PatchHunk {
  /** The `@@ <text>` anchor line the hunk comes after ('' when none). */
  anchor: string;
  /** The hunk's lines before and after the edit (context lines are in both). */
  oldLines: string[];
  newLines: string[];
  /** Runs of consecutive `+` lines: what the edit writes. */
  added: string[][];
  endOfFile: boolean;
}

export type PatchSection =
  | { kind: 'add'; path: string; lines: string[] }
  | { kind: 'delete'; path: string }
  | { kind: 'update'; path: string; moveTo: string | undefined; hunks: PatchHunk[] };

const HEADER = /^\*\*\* (Add File|Update File|Delete File): (.+)$/;
const MOVE = /^\*\*\* Move to: (.+)$/;

/** The sections of a patch text; empty when it holds no file header. */
export function parsePatch(text: string): PatchSection[] {
  const sections: PatchSection[] = [];
  let current: PatchSection | undefined;
  let hunk: PatchHunk | undefined;
  let lastWasAdd = false;
  const newHunk = (anchor: string): PatchHunk => {
    const made: PatchHunk = { anchor, oldLines: [], newLines: [], added: [], endOfFile: false };
    if (current?.kind === 'update') current.hunks.push(made);
    lastWasAdd = false;
    return made;
  };
  for (const raw of text.replace(/\r?\n$/, '').split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const header = HEADER.exec(line);
    if (header) {
      const path = header[2]!.trim();
      current = header[1] === 'Add File' ? { kind: 'add', path, lines: [] } : header[1] === 'Delete File' ? { kind: 'delete', path } : { kind: 'update', path, moveTo: undefined, hunks: [] };
      sections.push(current);
      hunk = undefined;
      continue;
    }
    if (line.startsWith('*** End Patch') || line.startsWith('*** Begin Patch')) {
      current = undefined;
      continue;
    }
    if (current === undefined) continue;
    if (current.kind === 'add') {
      if (line.startsWith('+')) current.lines.push(line.slice(1));
      continue;
    }
    if (current.kind !== 'update') continue;
    const move = MOVE.exec(line);
    if (move && current.hunks.length === 0) {
      current.moveTo = move[1]!.trim();
      continue;
    }
    if (line === '*** End of File') {
      if (hunk) hunk.endOfFile = true;
      continue;
    }
    if (line.startsWith('@@')) {
      hunk = newHunk(line.slice(2).trim());
      continue;
    }
    hunk ??= newHunk('');
    const mark = line[0];
    const body = line.slice(1);
    if (mark === '+') {
      hunk.newLines.push(body);
      if (lastWasAdd) hunk.added[hunk.added.length - 1]!.push(body);
      else hunk.added.push([body]);
      lastWasAdd = true;
      continue;
    }
    lastWasAdd = false;
    if (mark === '-') hunk.oldLines.push(body);
    else if (mark === ' ' || line === '') {
      hunk.oldLines.push(body);
      hunk.newLines.push(body);
    }
  }
  return sections;
}

/** Every path a patch writes: added, updated, deleted, and the target of a move. */
export function patchPaths(sections: readonly PatchSection[]): string[] {
  const paths: string[] = [];
  for (const section of sections) {
    for (const path of section.kind === 'update' && section.moveTo !== undefined ? [section.path, section.moveTo] : [section.path]) {
      if (!paths.includes(path)) paths.push(path);
    }
  }
  return paths;
}

function normalise(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '').replace(/\/+/g, '/');
}

/**
 * How `patchPath` (relative to the call's cwd, or absolute) names the repository-relative `path`:
 * the length of the shared tail when one ends with the other on a `/` boundary, else 0.
 */
function matchLength(patchPath: string, path: string): number {
  const a = normalise(patchPath);
  const b = normalise(path);
  if (a === b) return a.length + 1;
  if (a.endsWith(`/${b}`)) return b.length;
  if (b.endsWith(`/${a}`)) return a.length;
  return 0;
}

export type PathRole = { role: 'add'; section: PatchSection & { kind: 'add' } } | { role: 'delete' } | { role: 'update'; sections: (PatchSection & { kind: 'update' })[] } | { role: 'move-source' } | { role: 'move-target'; sections: (PatchSection & { kind: 'update' })[] };

/**
 * What the patch does to the repository-relative `path`: the sections that name it best (the longest
 * matching tail), undefined when no section names it or two different patch paths match it equally.
 */
export function roleOf(sections: readonly PatchSection[], path: string): PathRole | undefined {
  let best = 0;
  let bestPaths = new Set<string>();
  const consider = (patchPath: string): void => {
    const length = matchLength(patchPath, path);
    if (length === 0 || length < best) return;
    if (length > best) bestPaths = new Set();
    best = length;
    bestPaths.add(patchPath);
  };
  for (const section of sections) {
    consider(section.path);
    if (section.kind === 'update' && section.moveTo !== undefined) consider(section.moveTo);
  }
  if (bestPaths.size !== 1) return undefined;
  const [chosen] = bestPaths;
  const last = [...sections].reverse().find((section) => section.path === chosen || (section.kind === 'update' && section.moveTo === chosen))!;
  if (last.kind === 'add') return { role: 'add', section: last };
  if (last.kind === 'delete') return { role: 'delete' };
  if (last.moveTo === chosen) return { role: 'move-target', sections: sections.filter((s): s is PatchSection & { kind: 'update' } => s.kind === 'update' && s.moveTo === chosen) };
  if (last.moveTo !== undefined) return { role: 'move-source' };
  return { role: 'update', sections: sections.filter((s): s is PatchSection & { kind: 'update' } => s.kind === 'update' && s.path === chosen && s.moveTo === undefined) };
}

/**
 * `after` with the hunks of `sections` undone, when every hunk's new lines are found in it in order
 * (exactly: Codex matches loosely, so a hunk it applied by a fuzzy match is not undone): undefined otherwise.
 */
export function reverseApply(after: string, sections: readonly (PatchSection & { kind: 'update' })[]): string | undefined {
  const eol = after.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = after.endsWith('\n');
  let lines = (finalNewline ? after.slice(0, after.endsWith('\r\n') ? -2 : -1) : after).split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (after === '') lines = [];
  for (const section of [...sections].reverse()) {
    const undone = undoHunks(lines, section.hunks);
    if (undone === undefined) return undefined;
    lines = undone;
  }
  if (lines.length === 0) return '';
  return lines.join(eol) + (finalNewline ? eol : '');
}

function undoHunks(lines: string[], hunks: readonly PatchHunk[]): string[] | undefined {
  // Locate every hunk first (in the after text, forwards, as Codex applied them), then replace from the end.
  const found: { at: number; hunk: PatchHunk }[] = [];
  let cursor = 0;
  for (const hunk of hunks) {
    if (hunk.anchor !== '') {
      const anchorAt = indexOfLine(lines, hunk.anchor, cursor);
      if (anchorAt < 0) return undefined;
      cursor = anchorAt + 1;
    }
    if (hunk.newLines.length === 0) return undefined;
    const at = hunk.endOfFile ? lines.length - hunk.newLines.length : indexOfBlock(lines, hunk.newLines, cursor);
    if (at < cursor || !blockAt(lines, hunk.newLines, at)) return undefined;
    found.push({ at, hunk });
    cursor = at + hunk.newLines.length;
  }
  const result = [...lines];
  for (const { at, hunk } of found.reverse()) result.splice(at, hunk.newLines.length, ...hunk.oldLines);
  return result;
}

function indexOfLine(lines: readonly string[], wanted: string, from: number): number {
  for (let i = from; i < lines.length; i++) if (lines[i] === wanted || lines[i]!.trim() === wanted.trim()) return i;
  return -1;
}

function blockAt(lines: readonly string[], block: readonly string[], at: number): boolean {
  if (at < 0 || at + block.length > lines.length) return false;
  return block.every((line, k) => lines[at + k] === line);
}

function indexOfBlock(lines: readonly string[], block: readonly string[], from: number): number {
  for (let i = from; i + block.length <= lines.length; i++) if (blockAt(lines, block, i)) return i;
  return -1;
}

const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/**
 * The content the repository-relative `path` had before the patch `text` ran, from `after` (its text
 * now): null for a file the patch created (or moved there), the hunks undone for an update,
 * undefined when that cannot be known.
 */
export function contentBeforePatch(text: string, path: string, after: string | null | undefined): string | null | undefined {
  const role = roleOf(parsePatch(text), path);
  if (role === undefined) return undefined;
  if (role.role === 'add' || role.role === 'move-target') return null;
  // An update without hunks (a patch text cut short) says nothing of what changed.
  if (role.role !== 'update' || typeof after !== 'string' || role.sections.every((section) => section.hunks.length === 0)) return undefined;
  return reverseApply(after, role.sections);
}

/**
 * What the patch `text` writes into `path`, in the Latin-1 form stored texts use: an added file's lines
 * (its whole content); an update's `+` runs, each as whole lines; nothing for a deleted file or a
 * move's source. Undefined for a pure move's target (every line came with the move) or a path the
 * patch does not name.
 */
export function patchWrites(text: string, path: string): Declaration | undefined {
  const role = roleOf(parsePatch(text), path);
  if (role === undefined) return undefined;
  if (role.role === 'add') return { kind: 'content', text: latin1(role.section.lines.map((line) => `${line}\n`).join('')) };
  if (role.role === 'delete' || role.role === 'move-source') return { kind: 'fragments', fragments: [] };
  const runs = role.sections.flatMap((section) => section.hunks.flatMap((hunk) => hunk.added));
  if (role.role === 'move-target' && runs.length === 0) return undefined;
  // Framed by newlines, so each run is matched as whole lines (see core/concurrency.ts declaredLines).
  return { kind: 'fragments', fragments: runs.map((run) => latin1(`\n${run.join('\n')}\n`)) };
}
