// Line splitting and a line diff for the attribution engine. Pure: strings in, indices out.
//
// Texts are JS strings decoded as latin1 by the caller, so any byte sequence round-trips.
//
// Tie rule (used by every alignment in trace): when a line could be paired with several identical
// lines, the EARLIEST candidate is kept, on both sides. Concretely, after an optimal (longest)
// pairing is found, every pair is slid to the earliest equal old line and the earliest equal new
// line that lie after the previous pair. So old [A, X, A] vs new [A] pairs the first A, and
// old [A] vs new [A, X, A] pairs the new first A (the last A is the inserted one).

/** How two lines are compared. */
export type CompareMode =
  /** Same text, ignoring one trailing `\r` (CRLF and LF are the same line). */
  | 'exact'
  /** Same text once every ` \t\r\f\v` is removed (not `\s`: latin1-decoded UTF-8 holds 0xA0 bytes). */
  | 'whitespace';

export interface AlignOptions {
  mode: CompareMode;
  /**
   * Also pair lines the longest-common-subsequence pairing cannot pair because they moved (pairing
   * them would cross other pairs). A leftover new line is paired with a leftover old line when
   * their keys are equal, at least {@link MIN_MOVED_KEY_LENGTH} characters long, and occur exactly
   * once among the leftover lines on each side; short or repeated lines (`}`, blank lines) are
   * never guessed.
   */
  pairMoves?: boolean;
}

/** Moved-line pairing ignores keys shorter than this: `}`, `end`, `});` say nothing about origin. */
export const MIN_MOVED_KEY_LENGTH = 4;

/** A pairing of old lines with new lines; -1 means unpaired (removed, or inserted). */
export interface Alignment {
  /** For each new line, the index of its old line, or -1 when it was inserted or changed. */
  newToOld: Int32Array;
  /** For each old line, the index of its new line, or -1 when it was removed or changed. */
  oldToNew: Int32Array;
}

/** A run of changed lines: 0-based starts, counts may be 0 (pure insertion or removal). */
export interface LineHunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

/**
 * Splits a text into lines the way `git diff --numstat` counts them: on `\n`; a final `\n` does not
 * start another line; a last line without `\n` is still a line; the empty text has no lines.
 * A trailing `\r` stays part of the line.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/**
 * {@link splitLines} of `text`, given the lines of a similar `base` text: lines in the common prefix
 * and suffix are taken from `baseLines` (the same string objects), and only the middle is split.
 * Same result as `splitLines(text)`, but an edit to a large file then costs a native compare of the
 * texts instead of allocating every line again, and comparing shared lines is a pointer compare.
 */
export function splitLinesLike(text: string, base: string, baseLines: readonly string[]): string[] {
  if (text === base) return baseLines.slice();
  const n = baseLines.length;
  const prefix = commonPrefixLength(text, base);
  // Whole base lines (with their `\n`) inside the common prefix.
  let headLines = 0;
  let head = 0;
  while (headLines < n) {
    const end = head + baseLines[headLines]!.length + 1;
    if (end > prefix) break;
    head = end;
    headLines++;
  }
  const suffix = commonSuffixLength(text, base, Math.min(text.length, base.length) - head);
  // Whole base lines inside the common suffix that also start a line in `text`.
  const delta = text.length - base.length;
  let tailLines = 0;
  let tail = base.length; // where the tail lines start in `base`
  while (headLines + tailLines < n) {
    const k = n - 1 - tailLines;
    const terminated = k < n - 1 || base.endsWith('\n');
    const start = tail - baseLines[k]!.length - (terminated ? 1 : 0);
    if (start < base.length - suffix) break;
    const textStart = start + delta;
    if (textStart > 0 && text.charCodeAt(textStart - 1) !== 10) break;
    tail = start;
    tailLines++;
  }
  const middle = splitLines(text.slice(head, tail + delta));
  if (headLines === 0 && tailLines === 0) return middle;
  return [...baseLines.slice(0, headLines), ...middle, ...baseLines.slice(n - tailLines)];
}

/** Length of the common prefix of two strings, by native compares of growing chunks. */
function commonPrefixLength(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  let step = 256;
  while (i < max) {
    const size = Math.min(step, max - i);
    if (a.slice(i, i + size) === b.slice(i, i + size)) {
      i += size;
      step *= 2;
    } else if (size <= 32) break;
    else step = size >> 1;
  }
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Length of the common suffix of two strings, at most `max`. */
function commonSuffixLength(a: string, b: string, max: number): number {
  let i = 0;
  let step = 256;
  while (i < max) {
    const size = Math.min(step, max - i);
    if (a.slice(a.length - i - size, a.length - i) === b.slice(b.length - i - size, b.length - i)) {
      i += size;
      step *= 2;
    } else if (size <= 32) break;
    else step = size >> 1;
  }
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

const WHITESPACE = /[ \t\r\f\v]+/g;

/** The text two lines are compared by in the given mode. */
export function lineKey(line: string, mode: CompareMode): string {
  if (mode === 'whitespace') return line.replace(WHITESPACE, '');
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Whether two lines are the same line in the given mode. */
export function sameLine(a: string, b: string, mode: CompareMode): boolean {
  return a === b || lineKey(a, mode) === lineKey(b, mode);
}

/**
 * Pairs the lines of `oldLines` with those of `newLines`: a longest common subsequence under the
 * mode's comparison (Myers' O(ND) algorithm, linear space, over interned integer ids, after
 * trimming the common prefix and suffix), normalised by the tie rule at the top of this file.
 */
export function alignLines(oldLines: readonly string[], newLines: readonly string[], options: AlignOptions): Alignment {
  const { mode } = options;
  const n = oldLines.length;
  const m = newLines.length;
  const newToOld = new Int32Array(m).fill(-1);
  const oldToNew = new Int32Array(n).fill(-1);

  let pre = 0;
  while (pre < n && pre < m && sameLine(oldLines[pre]!, newLines[pre]!, mode)) {
    newToOld[pre] = pre;
    oldToNew[pre] = pre;
    pre++;
  }
  let oldEnd = n;
  let newEnd = m;
  while (oldEnd > pre && newEnd > pre && sameLine(oldLines[oldEnd - 1]!, newLines[newEnd - 1]!, mode)) {
    oldEnd--;
    newEnd--;
    newToOld[newEnd] = oldEnd;
    oldToNew[oldEnd] = newEnd;
  }
  if (oldEnd === pre || newEnd === pre) {
    // A pure insertion or removal: the suffix pairs may still have to slide to earlier equal lines.
    if (oldEnd < n) slideToEarliest(oldLines, newLines, mode, newToOld, oldToNew, pre);
    return { newToOld, oldToNew };
  }

  // Intern the middle: equal keys get equal ids.
  const ids = new Map<string, number>();
  const intern = (line: string): number => {
    const key = lineKey(line, mode);
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    return id;
  };
  const oldIds = new Int32Array(oldEnd - pre);
  for (let i = pre; i < oldEnd; i++) oldIds[i - pre] = intern(oldLines[i]!);
  const oldIdCount = ids.size;
  const newIds = new Int32Array(newEnd - pre);
  for (let j = pre; j < newEnd; j++) newIds[j - pre] = intern(newLines[j]!);

  // A line whose key occurs on one side only can never be paired: leave it out of the search.
  // This keeps the result optimal and makes rewrites of whole files cheap.
  const inOld = new Uint8Array(ids.size);
  for (const id of oldIds) inOld[id] = 1;
  const inNew = new Uint8Array(ids.size);
  for (const id of newIds) if (id < oldIdCount) inNew[id] = 1;
  const oldKept: number[] = [];
  for (let i = 0; i < oldIds.length; i++) if (inNew[oldIds[i]!] === 1) oldKept.push(i);
  const newKept: number[] = [];
  for (let j = 0; j < newIds.length; j++) if (inOld[newIds[j]!] === 1) newKept.push(j);

  if (oldKept.length > 0 && newKept.length > 0) {
    const a = Int32Array.from(oldKept, (i) => oldIds[i]!);
    const b = Int32Array.from(newKept, (j) => newIds[j]!);
    const pairs = new Int32Array(b.length).fill(-1);
    myers(a, b, pairs);
    for (let k = 0; k < pairs.length; k++) {
      const ai = pairs[k]!;
      if (ai < 0) continue;
      const i = pre + oldKept[ai]!;
      const j = pre + newKept[k]!;
      newToOld[j] = i;
      oldToNew[i] = j;
    }
  }

  slideToEarliest(oldLines, newLines, mode, newToOld, oldToNew, pre);
  if (options.pairMoves === true) pairMovedLines(oldLines, newLines, mode, newToOld, oldToNew);
  return { newToOld, oldToNew };
}

/** The changed runs between two texts' lines, in order, from {@link alignLines}. */
export function diffHunks(oldLines: readonly string[], newLines: readonly string[], options: AlignOptions): LineHunk[] {
  return hunksOf(alignLines(oldLines, newLines, { mode: options.mode }));
}

/** The changed runs of an alignment without moved-line pairs (pairs must be increasing). */
export function hunksOf(alignment: Alignment): LineHunk[] {
  const { newToOld, oldToNew } = alignment;
  const hunks: LineHunk[] = [];
  let i = 0;
  let j = 0;
  const n = oldToNew.length;
  const m = newToOld.length;
  while (i < n || j < m) {
    if (i < n && j < m && oldToNew[i] === j) {
      i++;
      j++;
      continue;
    }
    const oldStart = i;
    const newStart = j;
    while (i < n && oldToNew[i] === -1) i++;
    while (j < m && newToOld[j] === -1) j++;
    hunks.push({ oldStart, oldCount: i - oldStart, newStart, newCount: j - newStart });
  }
  return hunks;
}

/**
 * The tie rule: slides each pair to the earliest equal new line, then the earliest equal old line,
 * after the previous pair. Only lines in gaps between pairs move, so the pairing stays a longest
 * common subsequence. Pairs before `from` (the common prefix) have no gaps and are skipped.
 */
function slideToEarliest(
  oldLines: readonly string[],
  newLines: readonly string[],
  mode: CompareMode,
  newToOld: Int32Array,
  oldToNew: Int32Array,
  from: number,
): void {
  let prevOld = from - 1;
  let prevNew = from - 1;
  for (let j = from; j < newToOld.length; j++) {
    const i = newToOld[j]!;
    if (i < 0) continue;
    let bestNew = j;
    if (j - prevNew > 1) {
      const key = lineKey(newLines[j]!, mode);
      for (let jj = prevNew + 1; jj < j; jj++) {
        if (lineKey(newLines[jj]!, mode) === key) {
          bestNew = jj;
          break;
        }
      }
    }
    let bestOld = i;
    if (i - prevOld > 1) {
      const key = lineKey(oldLines[i]!, mode);
      for (let ii = prevOld + 1; ii < i; ii++) {
        if (lineKey(oldLines[ii]!, mode) === key) {
          bestOld = ii;
          break;
        }
      }
    }
    if (bestNew !== j || bestOld !== i) {
      newToOld[j] = -1;
      oldToNew[i] = -1;
      newToOld[bestNew] = bestOld;
      oldToNew[bestOld] = bestNew;
    }
    prevOld = bestOld;
    prevNew = bestNew;
  }
}

/** See {@link AlignOptions.pairMoves}. */
function pairMovedLines(
  oldLines: readonly string[],
  newLines: readonly string[],
  mode: CompareMode,
  newToOld: Int32Array,
  oldToNew: Int32Array,
): void {
  const leftoverOld = new Map<string, number>(); // key -> index, or -1 when repeated
  for (let i = 0; i < oldToNew.length; i++) {
    if (oldToNew[i] !== -1) continue;
    const key = lineKey(oldLines[i]!, mode);
    if (key.length < MIN_MOVED_KEY_LENGTH) continue;
    leftoverOld.set(key, leftoverOld.has(key) ? -1 : i);
  }
  if (leftoverOld.size === 0) return;
  const leftoverNew = new Map<string, number>();
  for (let j = 0; j < newToOld.length; j++) {
    if (newToOld[j] !== -1) continue;
    const key = lineKey(newLines[j]!, mode);
    if (!leftoverOld.has(key)) continue;
    leftoverNew.set(key, leftoverNew.has(key) ? -1 : j);
  }
  for (const [key, j] of leftoverNew) {
    const i = leftoverOld.get(key);
    if (j < 0 || i === undefined || i < 0) continue;
    newToOld[j] = i;
    oldToNew[i] = j;
  }
}

/**
 * Myers' O(ND) diff in linear space (divide and conquer on the middle snake), over integer ids.
 * Writes into `pairs[j]` the index in `a` paired with `b[j]`.
 */
function myers(a: Int32Array, b: Int32Array, pairs: Int32Array): void {
  const maxD = Math.ceil((a.length + b.length) / 2);
  const size = 2 * maxD + 2;
  const scratch = { v1: new Int32Array(size), v2: new Int32Array(size) };
  // An explicit stack instead of recursion: deep splits on long inputs must not overflow.
  const stack: number[] = [0, a.length, 0, b.length];
  while (stack.length > 0) {
    let bHi = stack.pop()!;
    let bLo = stack.pop()!;
    let aHi = stack.pop()!;
    let aLo = stack.pop()!;
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) pairs[bLo++] = aLo++;
    while (aLo < aHi && bLo < bHi && a[aHi - 1] === b[bHi - 1]) pairs[--bHi] = --aHi;
    if (aLo === aHi || bLo === bHi) continue;
    const split = middleSnake(a, aLo, aHi, b, bLo, bHi, scratch);
    if (split === null) continue; // nothing in common
    const [x, y] = split;
    // Push the right half first so the left half is handled first (order does not matter for the result).
    stack.push(x, aHi, y, bHi, aLo, x, bLo, y);
  }
}

/**
 * A point (absolute indices) on an optimal edit path through a[aLo..aHi) × b[bLo..bHi), found by
 * running the forward and reverse searches until they overlap. Both ranges are non-empty and have
 * no common prefix or suffix, so the point is strictly inside and the halves are smaller.
 */
function middleSnake(
  a: Int32Array,
  aLo: number,
  aHi: number,
  b: Int32Array,
  bLo: number,
  bHi: number,
  scratch: { v1: Int32Array; v2: Int32Array },
): [number, number] | null {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const maxD = Math.ceil((n + m) / 2);
  const offset = maxD;
  const length = 2 * maxD + 2;
  const { v1, v2 } = scratch;
  v1.fill(-1, 0, length);
  v2.fill(-1, 0, length);
  v1[offset + 1] = 0;
  v2[offset + 1] = 0;
  const delta = n - m;
  const front = (delta & 1) !== 0; // odd delta: the forward search detects the overlap
  let k1start = 0;
  let k1end = 0;
  let k2start = 0;
  let k2end = 0;
  for (let d = 0; d < maxD; d++) {
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const k1Offset = offset + k1;
      let x1: number;
      if (k1 === -d || (k1 !== d && v1[k1Offset - 1]! < v1[k1Offset + 1]!)) x1 = v1[k1Offset + 1]!;
      else x1 = v1[k1Offset - 1]! + 1;
      let y1 = x1 - k1;
      while (x1 < n && y1 < m && a[aLo + x1] === b[bLo + y1]) {
        x1++;
        y1++;
      }
      v1[k1Offset] = x1;
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else if (front) {
        const k2Offset = offset + delta - k1;
        if (k2Offset >= 0 && k2Offset < length && v2[k2Offset] !== -1) {
          const x2 = n - v2[k2Offset]!;
          if (x1 >= x2) return [aLo + x1, bLo + y1];
        }
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const k2Offset = offset + k2;
      let x2: number;
      if (k2 === -d || (k2 !== d && v2[k2Offset - 1]! < v2[k2Offset + 1]!)) x2 = v2[k2Offset + 1]!;
      else x2 = v2[k2Offset - 1]! + 1;
      let y2 = x2 - k2;
      while (x2 < n && y2 < m && a[aHi - x2 - 1] === b[bHi - y2 - 1]) {
        x2++;
        y2++;
      }
      v2[k2Offset] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const k1Offset = offset + delta - k2;
        if (k1Offset >= 0 && k1Offset < length && v1[k1Offset] !== -1) {
          const x1 = v1[k1Offset]!;
          const y1 = offset + x1 - k1Offset;
          if (x1 >= n - x2) return [aLo + x1, bLo + y1];
        }
      }
    }
  }
  return null;
}
