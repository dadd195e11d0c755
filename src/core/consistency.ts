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
  }
  for (const path of attested.keys()) problems.push(`${path}: listed in the attestation but not changed by the commit`);
  return problems;
}

function checkRanges(where: string, ranges: PredicateCommit['files'][number]['lines'], added: readonly number[], aiLines: number, unknownLines: number): string[] {
  const problems: string[] = [];
  const covered = new Set<number>();
  let ai = 0;
  let unknown = 0;
  let previousEnd = 0;
  for (const range of ranges) {
    if (range.start <= previousEnd) problems.push(`${where}: ranges overlap or are out of order at line ${range.start}`);
    previousEnd = range.end;
    for (let line = range.start; line <= range.end; line++) covered.add(line);
    if (range.attribution === 'ai') ai += range.end - range.start + 1;
    if (range.attribution === 'unknown') unknown += range.end - range.start + 1;
  }
  const expected = new Set(added);
  const extra = [...covered].filter((line) => !expected.has(line));
  const missing = [...expected].filter((line) => !covered.has(line));
  if (extra.length > 0) problems.push(`${where}: ranges cover line(s) ${summarize(extra)} that the commit does not add`);
  if (missing.length > 0) problems.push(`${where}: added line(s) ${summarize(missing)} are not in any range`);
  if (ai !== aiLines) problems.push(`${where}: ai ranges hold ${ai} lines but ai_lines_added says ${aiLines}`);
  if (unknown !== unknownLines) problems.push(`${where}: unknown ranges hold ${unknown} lines but unknown_lines_added says ${unknownLines}`);
  return problems;
}

function summarize(lines: number[]): string {
  const sorted = [...lines].sort((a, b) => a - b);
  return sorted.length > 5 ? `${sorted.slice(0, 5).join(', ')} and ${sorted.length - 5} more` : sorted.join(', ');
}
