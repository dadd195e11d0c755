// Does a predicate commit agree with git? Its files, counts and ranges must match the commit's
// real diff against its first parent, and its ranges must cover exactly the added lines. Pure:
// the diff comes in as data (see attribution/commit-diff.ts for how it is read).
import type { Predicate } from './predicate.js';
import type { FileStatus } from './types.js';

/** What git says a commit changed in one file. */
export interface GitFileDiff {
  path: string;
  oldPath?: string;
  status: FileStatus;
  binary: boolean;
  linesAdded: number;
  linesRemoved: number;
  addedLines: number[];
}

type PredicateCommit = Predicate['commits'][number];

export function checkConsistency(commit: PredicateCommit, parents: readonly string[], diff: readonly GitFileDiff[]): string[] {
  const problems: string[] = [];
  if (commit.parents.join(' ') !== parents.join(' ')) problems.push(`parents are ${commit.parents.join(', ') || 'none'} in the attestation but ${parents.join(', ') || 'none'} in git`);
  if (parents.length > 1) {
    if (commit.files.length > 0) problems.push('a merge commit must list no files');
    return problems;
  }
  const attested = new Map(commit.files.map((file) => [file.path, file]));
  for (const real of diff) {
    const file = attested.get(real.path);
    if (!file) {
      problems.push(`${real.path}: changed by the commit but missing from the attestation`);
      continue;
    }
    attested.delete(real.path);
    const where = real.path;
    if (file.status !== real.status) problems.push(`${where}: status ${file.status} in the attestation, ${real.status} in git`);
    if ((file.old_path ?? null) !== (real.oldPath ?? null)) problems.push(`${where}: renamed from ${file.old_path ?? 'nothing'} in the attestation, from ${real.oldPath ?? 'nothing'} in git`);
    if ((file.binary ?? false) !== real.binary) problems.push(`${where}: binary is ${String(file.binary ?? false)} in the attestation, ${String(real.binary)} in git`);
    if (file.lines_added !== real.linesAdded) problems.push(`${where}: ${file.lines_added} lines added in the attestation, ${real.linesAdded} in git`);
    if (file.lines_removed !== real.linesRemoved) problems.push(`${where}: ${file.lines_removed} lines removed in the attestation, ${real.linesRemoved} in git`);
    if (file.ai_lines_added + file.human_lines_added + (file.unknown_lines_added ?? 0) !== file.lines_added) problems.push(`${where}: ai, human and unknown added lines do not sum to the lines added`);
    if (file.ai_lines_removed + file.human_lines_removed !== file.lines_removed) problems.push(`${where}: ai and human removed lines do not sum to the lines removed`);
    problems.push(...checkRanges(where, file.lines, real.addedLines, file.ai_lines_added, file.unknown_lines_added ?? 0));
    problems.push(...checkAmbiguous(where, file.ambiguous ?? [], real.addedLines));
  }
  for (const path of attested.keys()) problems.push(`${path}: listed in the attestation but not changed by the commit`);
  return problems;
}

/** An ambiguity can only be recorded for lines the commit adds, each range within one run of them. */
function checkAmbiguous(where: string, ranges: readonly { start: number; end: number }[], added: readonly number[]): string[] {
  const expected = [...new Set(added)].sort((a, b) => a - b);
  const problems: string[] = [];
  for (const range of ranges) {
    const valid = Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 1 && range.end >= range.start;
    const inside = valid && lowerBound(expected, range.end + 1) - lowerBound(expected, range.start) === range.end - range.start + 1;
    if (!inside) problems.push(`${where}: ambiguous range ${range.start}-${range.end} covers lines the commit does not add`);
  }
  return problems;
}

/**
 * Ranges are counted, never expanded line by line: a predicate may claim any numbers (2e9 lines),
 * and only the lines the commit really adds are walked.
 */
function checkRanges(where: string, ranges: PredicateCommit['files'][number]['lines'], added: readonly number[], aiLines: number, unknownLines: number): string[] {
  const problems: string[] = [];
  const expected = [...new Set(added)].sort((a, b) => a - b);
  const extra: number[] = [];
  let extraCount = 0;
  let ai = 0;
  let unknown = 0;
  let previousEnd = 0;
  const inRange = new Set<number>();
  for (const range of ranges) {
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 1 || range.end < range.start) {
      problems.push(`${where}: range ${range.start}-${range.end} is not a range of line numbers`);
      continue;
    }
    if (range.start <= previousEnd) problems.push(`${where}: ranges overlap or are out of order at line ${range.start}`);
    previousEnd = Math.max(previousEnd, range.end);
    const length = range.end - range.start + 1;
    if (range.attribution === 'ai') ai += length;
    if (range.attribution === 'unknown') unknown += length;
    // The added lines inside the range, found by binary search; every other line of it is extra.
    const from = lowerBound(expected, range.start);
    const to = lowerBound(expected, range.end + 1);
    for (let i = from; i < to; i++) inRange.add(expected[i]!);
    extraCount += length - (to - from);
    for (let line = range.start, i = from; extra.length < 5 && line <= range.end; line++) {
      if (i < to && expected[i] === line) i++;
      else extra.push(line);
    }
  }
  const missing = expected.filter((line) => !inRange.has(line));
  if (extraCount > 0) problems.push(`${where}: ranges cover line(s) ${extra.join(', ')}${extraCount > extra.length ? ` and ${extraCount - extra.length} more` : ''} that the commit does not add`);
  if (missing.length > 0) problems.push(`${where}: added line(s) ${summarize(missing)} are not in any range`);
  if (ai !== aiLines) problems.push(`${where}: ai ranges hold ${ai} lines but ai_lines_added says ${aiLines}`);
  if (unknown !== unknownLines) problems.push(`${where}: unknown ranges hold ${unknown} lines but unknown_lines_added says ${unknownLines}`);
  return problems;
}

/** The index of the first element of `sorted` that is at least `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function summarize(lines: number[]): string {
  const sorted = [...lines].sort((a, b) => a - b);
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(', ')} and ${sorted.length - 5} more` : sorted.join(', ');
}
