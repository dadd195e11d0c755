// Lines of `unknown` author (an agent wrote the file while it could not be captured): the predicate,
// the consistency check and the share policy agree on them.
import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../src/core/consistency.js';
import { commitLineCounts } from '../../src/core/policy.js';
import { predicateCommit, unknownLineWarnings, type Predicate } from '../../src/core/predicate.js';
import { mergeRanges } from '../../src/core/attribution.js';
import type { CommitAttribution } from '../../src/core/types.js';

const SHA = 'a'.repeat(40);

const attribution: CommitAttribution = {
  sha: SHA,
  parents: [],
  author: { name: 'A', email: 'a@example.com', date: '2026-01-01T00:00:00Z' },
  captured: true,
  session_ids: [],
  files: [
    {
      path: 'big.txt',
      status: 'created',
      lines_added: 4,
      lines_removed: 0,
      ai_lines_added: 0,
      ai_lines_removed: 0,
      human_lines_added: 1,
      human_lines_removed: 0,
      unknown_lines_added: 3,
      unknown_reason: 'larger than 10 bytes (40)',
      lines: [
        { start: 1, end: 3, attribution: 'unknown' },
        { start: 4, end: 4, attribution: 'human' },
      ],
    },
  ],
};

const diff = [{ path: 'big.txt', status: 'created' as const, binary: false, linesAdded: 4, linesRemoved: 0, addedLines: [1, 2, 3, 4] }];

describe('unknown lines', () => {
  it('reach the predicate without the local reason, and are consistent with git', () => {
    const commit = predicateCommit(attribution);
    expect(commit.files[0]).not.toHaveProperty('unknown_reason');
    expect(commit.files[0]!.unknown_lines_added).toBe(3);
    expect(checkConsistency(commit, [], diff)).toEqual([]);
  });

  it('must sum with ai and human lines, and match the unknown ranges', () => {
    const commit = predicateCommit(attribution);
    const file = commit.files[0]!;
    const wrong: Predicate['commits'][number] = { ...commit, files: [{ ...file, unknown_lines_added: 2 }] };
    expect(checkConsistency(wrong, [], diff)).toEqual([
      'big.txt: ai, human and unknown added lines do not sum to the lines added',
      'big.txt: unknown ranges hold 3 lines but unknown_lines_added says 2',
    ]);
  });

  it('count as not human in the AI share, and are named in a warning', () => {
    expect(commitLineCounts(predicateCommit(attribution))).toEqual({ added: 4, ai: 3, unknown: 3 });
    expect(unknownLineWarnings([attribution])).toEqual([expect.stringMatching(/^big\.txt \(commit aaaaaaaaaaaa\): 3 added line\(s\) attributed unknown: .*larger than 10 bytes \(40\)/)]);
  });

  it('keep their attribution when ranges are merged', () => {
    expect(mergeRanges([{ start: 2, end: 2, attribution: 'unknown' }, { start: 1, end: 1, attribution: 'unknown' }, { start: 3, end: 3, attribution: 'human' }])).toEqual([
      { start: 1, end: 2, attribution: 'unknown' },
      { start: 3, end: 3, attribution: 'human' },
    ]);
  });
});
