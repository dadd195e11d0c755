// `trace verify` checks that a predicate's ambiguous ranges name only lines the commit adds.
import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../src/core/consistency.js';
import { predicateCommit } from '../../src/core/predicate.js';
import type { CommitAttribution } from '../../src/core/types.js';

const commit = (ambiguous: { start: number; end: number }[]): CommitAttribution => ({
  sha: 'b'.repeat(40),
  parents: [],
  author: { name: 'A', email: 'a@example.com', date: '2026-01-01T00:00:00Z' },
  captured: true,
  session_ids: ['s1'],
  files: [
    {
      path: 'notes.md',
      status: 'modified',
      lines_added: 2,
      lines_removed: 0,
      ai_lines_added: 1,
      ai_lines_removed: 0,
      human_lines_added: 1,
      human_lines_removed: 0,
      lines: [
        { start: 2, end: 2, attribution: 'ai', session_id: 's1' },
        { start: 4, end: 4, attribution: 'human' },
      ],
      ambiguous: ambiguous.map((range) => ({ ...range, session_ids: ['s1', 's2'], human: false })),
    },
  ],
});

const diff = [{ path: 'notes.md', status: 'modified' as const, binary: false, linesAdded: 2, linesRemoved: 0, addedLines: [2, 4] }];

describe('ambiguous ranges', () => {
  it('agree with git when they cover added lines only', () => {
    expect(checkConsistency(predicateCommit(commit([{ start: 2, end: 2 }, { start: 4, end: 4 }])), [], diff)).toEqual([]);
  });

  it('disagree when they reach lines the commit does not add, however large', () => {
    expect(checkConsistency(predicateCommit(commit([{ start: 2, end: 4 }, { start: 5, end: 2e9 }])), [], diff)).toEqual([
      'notes.md: ambiguous range 2-4 covers lines the commit does not add',
      'notes.md: ambiguous range 5-2000000000 covers lines the commit does not add',
    ]);
  });
});
