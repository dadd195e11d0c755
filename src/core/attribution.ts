// The attribution engine: who last wrote each line of a file, from the observed changes.
// Pure: texts and changes in, authors and ranges out. Semantics: DESIGN.md "Attribution semantics".
//
// Comparisons (see diff.ts, which also holds the tie rule for duplicate lines):
// - an agent's change is compared exactly (modulo a trailing `\r`): a line it touched, even only
//   in whitespace, is the agent's;
// - a human change, a gap between observed changes (which is a human change), and the final
//   alignment of a committed file against its sources ignore whitespace and line endings, and pair
//   uniquely moved lines: re-indenting, reformatting or moving a line keeps its author.

import { ambiguous, declaredLines } from './concurrency.js';
import { alignLines, lineKey, MIN_MOVED_KEY_LENGTH, splitLines, splitLinesLike, type AlignOptions, type CompareMode } from './diff.js';
import type { AmbiguousRange, Author, Declaration, FileChange, LineRange } from './types.js';

/** A file's lines with the author of each; `null` = origin unknown (older than any capture). */
export interface AttributedText {
  lines: string[];
  authors: (Author | null)[];
}

const HUMAN: Author = Object.freeze({ kind: 'human' });

/** How a human's edits (and the gaps between captures) are aligned. */
const HUMAN_ALIGN: AlignOptions = { mode: 'whitespace', pairMoves: true };
/** How an agent's edits are aligned. */
const AGENT_ALIGN: AlignOptions = { mode: 'exact' };
/** How removed lines are matched by text in {@link aiRemovedCount}. */
const KEY_MODE: CompareMode = 'whitespace';

/** A text whose lines all have the same author (`null` by default: origin unknown). */
export function fromText(text: string | null, author: Author | null = null): AttributedText {
  const lines = splitLines(text ?? '');
  return { lines, authors: new Array<Author | null>(lines.length).fill(author) };
}

/**
 * Applies one observed change. When `state` is not the change's before-content, the difference
 * is a human edit made between captures and is applied first (the "human gap").
 */
export function applyChange(state: AttributedText | null, change: FileChange): AttributedText {
  return step(state, undefined, change);
}

/**
 * The lines agents removed (or changed) in a file's changes, by whitespace-insensitive text
 * (`lineKey`), each with how many times: what {@link aiRemovedCount} matches a commit's removals to.
 */
export type RemovedLines = Map<string, number>;

/** Folds {@link applyChange} over the changes of one file, in order. */
export function replay(changes: readonly FileChange[], start: AttributedText | null = null): AttributedText {
  return replayFile(changes, start).text;
}

/** {@link replay}, also collecting the lines agents removed on the way (the alignments are the same). */
export function replayFile(changes: readonly FileChange[], start: AttributedText | null = null): { text: AttributedText; removedByAgent: RemovedLines } {
  let state = start;
  // The text `state` was built from, when known: a before equal to it skips the gap diff.
  let stateText: string | undefined;
  const removedByAgent: RemovedLines = new Map();
  for (const change of changes) {
    state = step(state, stateText, change, removedByAgent);
    stateText = change.after ?? '';
  }
  return { text: state ?? { lines: [], authors: [] }, removedByAgent };
}

/** The committed text with the authors given by attestation ranges; lines outside every range are `null`. */
export function fromRanges(text: string, ranges: readonly LineRange[], ambiguousRanges: readonly AmbiguousRange[] = []): AttributedText {
  const lines = splitLines(text);
  const authors = new Array<Author | null>(lines.length).fill(null);
  const fill = (start: number, end: number, author: Author) => {
    for (let line = Math.max(start, 1); line <= Math.min(end, lines.length); line++) authors[line - 1] = author;
  };
  for (const range of ranges) {
    if (range.attribution === 'unknown') continue; // who wrote them is not known: left null
    // An ai range always carries its session in a valid predicate; '' stands for a missing one.
    fill(range.start, range.end, range.attribution === 'ai' ? { kind: 'ai', sessionId: range.session_id ?? '' } : HUMAN);
  }
  // Ambiguity is carried as it was recorded (amend, rebase), not resolved to the range's pick.
  for (const range of ambiguousRanges) fill(range.start, range.end, { kind: 'ambiguous', sessionIds: [...range.session_ids], human: range.human });
  return { lines, authors };
}

/**
 * Attributes the lines a commit adds. Each added line (1-based, as `git diff -U0` reports them) is
 * aligned, ignoring whitespace, against each source in turn; the first source where it pairs with
 * a line of known author gives its author, otherwise it is human.
 *
 * A line that changed only in whitespace pairs in place. A line the in-order alignment cannot pair
 * because it moved (for example a block that was moved and re-indented) still pairs when its text
 * occurs exactly once among the unpaired lines on both sides and is not trivially short (see
 * `pairMoves` in diff.ts); repeated or short lines such as `}` are never guessed.
 */
export function attributeLines(input: {
  committed: string;
  addedLines: readonly number[];
  /** Consulted in order, and only while some added line still has no author: a generator may produce them lazily. */
  sources: Iterable<AttributedText>;
}): { ranges: LineRange[]; ai: number; human: number; ambiguous?: AmbiguousRange[] } {
  const committedLines = splitLines(input.committed);
  const added = [...new Set(input.addedLines)].filter((n) => n >= 1 && n <= committedLines.length).sort((x, y) => x - y);
  const authors = new Array<Author | null>(added.length).fill(null);
  let unresolved = added.length;
  for (const source of input.sources) {
    if (unresolved === 0) break;
    const { newToOld } = alignLines(source.lines, committedLines, HUMAN_ALIGN);
    for (let k = 0; k < added.length; k++) {
      if (authors[k] !== null) continue;
      const from = newToOld[added[k]! - 1]!;
      const author = from >= 0 ? source.authors[from] : null;
      if (author !== null && author !== undefined) {
        authors[k] = author;
        unresolved--;
      }
    }
  }
  const ranges: LineRange[] = [];
  const ambiguousRanges: AmbiguousRange[] = [];
  let ai = 0;
  for (let k = 0; k < added.length; k++) {
    const line = added[k]!;
    const author = authors[k] ?? HUMAN;
    const range = rangeOf(line, line, author);
    if (range.attribution === 'ai') ai++;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === line - 1 && last.attribution === range.attribution && last.session_id === range.session_id) last.end = line;
    else ranges.push(range);
    if (author.kind === 'ambiguous') {
      const previous = ambiguousRanges[ambiguousRanges.length - 1];
      if (previous !== undefined && previous.end === line - 1 && previous.human === author.human && previous.session_ids.join('\0') === author.sessionIds.join('\0')) previous.end = line;
      else ambiguousRanges.push({ start: line, end: line, session_ids: [...author.sessionIds], human: author.human });
    }
  }
  return { ranges, ai, human: added.length - ai, ...(ambiguousRanges.length > 0 ? { ambiguous: ambiguousRanges } : {}) };
}

/**
 * Sorts ranges and merges those that touch or overlap with the same attribution and session.
 * `session_id` is kept on ai ranges only.
 */
export function mergeRanges(ranges: readonly LineRange[]): LineRange[] {
  const sorted = ranges
    .map((r): LineRange => (r.attribution === 'ai' ? { ...r } : { start: r.start, end: r.end, attribution: r.attribution }))
    .sort((x, y) => x.start - y.start || x.end - y.end);
  const merged: LineRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (
      last !== undefined &&
      range.start <= last.end + 1 &&
      last.attribution === range.attribution &&
      last.session_id === range.session_id
    ) {
      last.end = Math.max(last.end, range.end);
    } else merged.push(range);
  }
  return merged;
}

/**
 * How many of the lines a commit removes were removed by an agent. A line counts when an agent
 * change removed (or changed) a line with the same whitespace-insensitive text; each line an agent
 * removed is counted at most once (a multiset match by text, not by position). `removedByAgent`
 * comes from {@link replayFile}, one per path the file had.
 */
export function aiRemovedCount(input: { removedLines: readonly string[]; removedByAgent: readonly RemovedLines[] }): number {
  const removedByAgent: RemovedLines = new Map();
  for (const removed of input.removedByAgent) for (const [key, times] of removed) removedByAgent.set(key, (removedByAgent.get(key) ?? 0) + times);
  let count = 0;
  for (const line of input.removedLines) {
    const key = lineKey(line, KEY_MODE);
    const left = removedByAgent.get(key) ?? 0;
    if (left > 0) {
      removedByAgent.set(key, left - 1);
      count++;
    }
  }
  return count;
}

/** {@link applyChange}, given the text `state` was built from when it is known; counts an agent's removed lines into `removed`. */
function step(state: AttributedText | null, stateText: string | undefined, change: FileChange, removed?: RemovedLines): AttributedText {
  if (change.concurrent && change.author.kind !== 'human') return concurrentStep(state, change, removed);
  const before = change.before ?? '';
  let current: AttributedText;
  if (state === null) {
    const lines = splitLines(before);
    current = { lines, authors: new Array<Author | null>(lines.length).fill(null) };
  } else if (stateText !== undefined && stateText === before) {
    current = state;
  } else {
    const beforeLines = stateText === undefined ? splitLines(before) : splitLinesLike(before, stateText, state.lines);
    current = sameLines(state.lines, beforeLines) ? state : realign(state, beforeLines, HUMAN_ALIGN, HUMAN);
  }
  const byAgent = change.author.kind !== 'human' ? removed : undefined;
  if (change.after === null) {
    for (const line of current.lines) countRemoved(byAgent, line);
    return { lines: [], authors: [] };
  }
  // current.lines are the lines of `before`: split the after-content reusing them.
  const afterLines = splitLinesLike(change.after, before, current.lines);
  return realign(current, afterLines, change.author.kind === 'human' ? HUMAN_ALIGN : AGENT_ALIGN, change.author, byAgent);
}

/**
 * A change of a call that ran while another call changed the same file. Its before-content may hold
 * lines a concurrent call wrote that the replay has not reached yet: they are not a person's edit but
 * of unknown origin (null), for later changes to settle. Of the lines it added, only those it declared
 * are its; the others keep the author the replay knew for them, or stay unknown.
 */
function concurrentStep(state: AttributedText | null, change: FileChange, removed?: RemovedLines): AttributedText {
  const beforeLines = splitLines(change.before ?? '');
  const current = state === null ? { lines: beforeLines, authors: new Array<Author | null>(beforeLines.length).fill(null) } : realign(state, beforeLines, HUMAN_ALIGN, null);
  if (change.after === null) {
    for (const line of current.lines) countRemoved(removed, line);
    return { lines: [], authors: [] };
  }
  const afterLines = splitLines(change.after);
  const { newToOld, oldToNew } = alignLines(current.lines, afterLines, AGENT_ALIGN);
  const declared = ownMask(afterLines, change);
  // Authors the replay knew before this change, for lines this call did not write.
  let known: (Author | null)[] | undefined;
  const knownAuthor = (j: number): Author | null => {
    if (state === null) return null;
    if (known === undefined) {
      const fromState = alignLines(state.lines, afterLines, HUMAN_ALIGN).newToOld;
      known = Array.from(fromState, (i) => (i >= 0 ? (state.authors[i] ?? null) : null));
    }
    return known[j] ?? null;
  };
  const authors = new Array<Author | null>(afterLines.length);
  for (let j = 0; j < afterLines.length; j++) {
    const i = newToOld[j]!;
    if (i >= 0) authors[j] = current.authors[i] ?? knownAuthor(j);
    else authors[j] = declared === undefined || declared[j] ? change.author : knownAuthor(j);
  }
  if (removed !== undefined) for (let i = 0; i < current.lines.length; i++) if (oldToNew[i] === -1) countRemoved(removed, current.lines[i]!);
  return { lines: afterLines, authors };
}

/**
 * The lines a concurrent call can be shown to have written, credited to it, the rest unknown: a
 * source for lines the replay could not settle (its last state can be older than the committed file
 * when the calls' post hooks were stored in another order than they read the file).
 */
export function ownLines(change: FileChange): AttributedText | null {
  if (change.after === null || change.author.kind === 'human') return null;
  const afterLines = splitLines(change.after);
  const declared = ownMask(afterLines, change);
  if (declared !== undefined && !declared.includes(true)) return null;
  const { newToOld } = alignLines(splitLines(change.before ?? ''), afterLines, AGENT_ALIGN);
  return { lines: afterLines, authors: afterLines.map((_, j) => (newToOld[j]! < 0 && (declared === undefined || declared[j]) ? change.author : null)) };
}

/**
 * Which added lines a concurrent change may claim: those it declared; with no declaration of its
 * own, those no concurrent file tool declared; undefined: all of them.
 */
function ownMask(afterLines: readonly string[], change: FileChange): boolean[] | undefined {
  if (change.declared !== undefined) return declaredLines(afterLines, change.declared);
  const others = change.declaredByOthers ?? [];
  if (others.length === 0) return undefined;
  const theirs = others.map((declaration) => declaredLines(afterLines, declaration));
  return afterLines.map((_, j) => !theirs.some((mask) => mask[j]));
}

/**
 * The last resort for lines a concurrent call declared but none of the snapshots shows it writing
 * (another call's write tore or overwrote its after-content): each committed line equal (ignoring
 * whitespace) to a line the calls declared goes to the call that declared it, or is ambiguous
 * between the calls when several did. Short lines (`}`, blank) say nothing and are left unknown.
 */
export function declaredSource(committed: string, claims: readonly { sessionId: string; declared: Declaration }[]): AttributedText | null {
  const claimers = new Map<string, Set<string>>();
  for (const claim of claims) {
    const pieces = claim.declared.kind === 'content' ? claim.declared.text.split('\n') : claim.declared.fragments.flatMap((fragment) => fragment.split('\n'));
    for (const piece of pieces) {
      const key = lineKey(piece, KEY_MODE);
      if (key.length < MIN_MOVED_KEY_LENGTH) continue;
      (claimers.get(key) ?? claimers.set(key, new Set()).get(key)!).add(claim.sessionId);
    }
  }
  if (claimers.size === 0) return null;
  const lines = splitLines(committed);
  return {
    lines,
    authors: lines.map((line) => {
      const sessions = claimers.get(lineKey(line, KEY_MODE));
      return sessions === undefined ? null : ambiguous([...sessions], false);
    }),
  };
}

function countRemoved(removed: RemovedLines | undefined, line: string): void {
  if (removed === undefined) return;
  const key = lineKey(line, KEY_MODE);
  removed.set(key, (removed.get(key) ?? 0) + 1);
}

/** Moves authors onto new lines: paired lines keep theirs, the others get `author`; old lines left unpaired are counted into `removed`. */
function realign(state: AttributedText, lines: string[], options: AlignOptions, author: Author | null, removed?: RemovedLines): AttributedText {
  const { newToOld, oldToNew } = alignLines(state.lines, lines, options);
  const authors = new Array<Author | null>(lines.length);
  for (let j = 0; j < lines.length; j++) {
    const i = newToOld[j]!;
    authors[j] = i >= 0 ? (state.authors[i] ?? null) : author;
  }
  if (removed !== undefined) for (let i = 0; i < state.lines.length; i++) if (oldToNew[i] === -1) countRemoved(removed, state.lines[i]!);
  return { lines, authors };
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * An author as a range. Ambiguous lines keep the attribution all candidates share: ai (credited to the
 * first candidate session, the ambiguity recorded beside) when only sessions could have written them,
 * human when a person could have.
 */
function rangeOf(start: number, end: number, author: Author): LineRange {
  if (author.kind === 'ambiguous') return !author.human && author.sessionIds.length > 0 ? { start, end, attribution: 'ai', session_id: author.sessionIds[0]! } : { start, end, attribution: 'human' };
  return author.kind === 'ai' ? { start, end, attribution: 'ai', session_id: author.sessionId } : { start, end, attribution: 'human' };
}
