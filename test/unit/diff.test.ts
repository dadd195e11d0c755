import { describe, expect, it } from 'vitest';
import { alignLines, diffHunks, lineKey, sameLine, splitLines, splitLinesLike, type AlignOptions } from '../../src/core/diff.js';
import { prng } from '../support/random.js';

const EXACT: AlignOptions = { mode: 'exact' };
const LOOSE: AlignOptions = { mode: 'whitespace' };

/** The alignment as [old, new] pairs in new order. */
function pairs(oldLines: string[], newLines: string[], options: AlignOptions = EXACT): [number, number][] {
  const { newToOld, oldToNew } = alignLines(oldLines, newLines, options);
  const out: [number, number][] = [];
  newToOld.forEach((i, j) => {
    if (i >= 0) {
      expect(oldToNew[i]).toBe(j);
      out.push([i, j]);
    }
  });
  expect([...oldToNew].filter((j) => j >= 0)).toHaveLength(out.length);
  return out;
}

/** Length of a longest common subsequence, by dynamic programming (the reference). */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

describe('splitLines counts lines like git diff --numstat', () => {
  it.each([
    ['', []],
    ['\n', ['']],
    ['a', ['a']],
    ['a\n', ['a']],
    ['a\nb', ['a', 'b']],
    ['a\nb\n', ['a', 'b']],
    ['a\n\n', ['a', '']],
    ['\n\n\n', ['', '', '']],
    ['a\r\nb\r\n', ['a\r', 'b\r']],
    ['a\r\nb', ['a\r', 'b']],
    ['lone\rcr\n', ['lone\rcr']],
    ['caf\u00c3\u00a9\n\u00ff\u00fe\n', ['caf\u00c3\u00a9', '\u00ff\u00fe']],
  ])('%j', (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });
});

describe('splitLinesLike', () => {
  it.each([
    ['a\nb', 'a\nb\n'],
    ['a\nb\n', 'a\nb'],
    ['a\nb\n', 'a\n'],
    ['a\nb\n', 'b\n'],
    ['a\nb\n', ''],
    ['', 'a\n'],
    ['x\n', 'x\n'],
    ['a\nb\nc\n', 'a\nbb\nc\n'],
    ['ab\nc\n', 'a\nb\nc\n'],
    ['a\r\nb\r\n', 'a\nb\n'],
  ])('%j → %j', (base, text) => {
    expect(splitLinesLike(text, base, splitLines(base))).toEqual(splitLines(text));
  });

  it('equals splitLines on random edits of long texts', () => {
    const rand = prng(11);
    const pieces = ['a', 'bb', '\n', '\n', '\r\n', 'x'.repeat(300), '}'];
    const gen = (len: number): string => Array.from({ length: len }, () => pieces[Math.floor(rand() * pieces.length)]!).join('');
    for (let round = 0; round < 300; round++) {
      const base = gen(Math.floor(rand() * 200));
      const at = Math.floor(rand() * (base.length + 1));
      const cut = Math.floor(rand() * 20);
      const text = base.slice(0, at) + gen(Math.floor(rand() * 4)) + base.slice(Math.min(base.length, at + cut));
      expect(splitLinesLike(text, base, splitLines(base))).toEqual(splitLines(text));
    }
  });
});

describe('lineKey and sameLine', () => {
  it.each([
    ['a\r', 'a', 'exact', true],
    ['a\r\r', 'a', 'exact', false], // only one trailing \r is a line ending
    [' a', 'a', 'exact', false],
    ['\tif (x)  {\r', 'if(x){', 'whitespace', true],
    ['a\fb\vc', 'abc', 'whitespace', true],
    // 0xA0 is a byte of latin1-decoded UTF-8 (e.g. "à" = C3 A0), not whitespace.
    ['\u00c3\u00a0', '\u00c3', 'whitespace', false],
    ['a\u00a0b', 'ab', 'whitespace', false],
  ] as const)('%j vs %j in %s mode: %s', (a, b, mode, same) => {
    expect(sameLine(a, b, mode)).toBe(same);
    expect(lineKey(a, mode) === lineKey(b, mode)).toBe(same);
  });
});

describe('alignLines', () => {
  it.each<[string, string[], string[], AlignOptions, [number, number][]]>([
    ['identical', ['a', 'b'], ['a', 'b'], EXACT, [[0, 0], [1, 1]]],
    ['both empty', [], [], EXACT, []],
    ['insertion in the middle', ['a', 'b'], ['a', 'x', 'y', 'b'], EXACT, [[0, 0], [1, 3]]],
    ['removal in the middle', ['a', 'x', 'b'], ['a', 'b'], EXACT, [[0, 0], [2, 1]]],
    ['changed line', ['a', 'b', 'c'], ['a', 'B', 'c'], EXACT, [[0, 0], [2, 2]]],
    ['nothing in common', ['a', 'b'], ['c', 'd'], EXACT, []],
    ['CRLF and LF are the same line', ['a\r', 'b\r'], ['a', 'b', 'c'], EXACT, [[0, 0], [1, 1]]],
    ['exact mode sees re-indentation', ['  a', 'b'], ['    a', 'b'], EXACT, [[1, 1]]],
    ['whitespace mode ignores re-indentation', ['  a', 'b'], ['    a', 'b'], LOOSE, [[0, 0], [1, 1]]],
    ['middle of a long match', ['p', 'x', 'q', 'y', 'r'], ['x', 'y', 'z'], EXACT, [[1, 0], [3, 1]]],
  ])('%s', (_name, oldLines, newLines, options, expected) => {
    expect(pairs(oldLines, newLines, options)).toEqual(expected);
  });

  describe('tie rule: the earliest identical line is kept, on both sides', () => {
    it.each<[string, string[], string[], [number, number][]]>([
      ['old has the line twice (prefix)', ['A', 'X', 'A'], ['A'], [[0, 0]]],
      ['old has the line twice (suffix only)', ['X', 'A', 'Y', 'A'], ['A'], [[1, 0]]],
      ['old has the line twice (middle)', ['P', 'A', 'Q', 'A', 'R'], ['S', 'A', 'T'], [[1, 1]]],
      ['new has the line twice (prefix)', ['A'], ['A', 'X', 'A'], [[0, 0]]],
      ['new has the line twice (suffix only)', ['A'], ['X', 'A', 'Y', 'A'], [[0, 1]]],
      ['a run slides as a whole', ['X', 'A', 'B', 'Y', 'A', 'B'], ['A', 'B'], [[1, 0], [2, 1]]],
      ['repeated braces', ['f {', '}', 'g {', '}'], ['}', 'h'], [[1, 0]]],
    ])('%s', (_name, oldLines, newLines, expected) => {
      expect(pairs(oldLines, newLines)).toEqual(expected);
    });
  });

  it('finds a longest common subsequence on random inputs, with valid increasing pairs', () => {
    const rand = prng(42);
    for (let round = 0; round < 400; round++) {
      const alphabet = 1 + Math.floor(rand() * 6);
      const gen = (len: number): string[] => Array.from({ length: len }, () => String.fromCharCode(97 + Math.floor(rand() * alphabet)));
      const a = gen(Math.floor(rand() * 30));
      const b = gen(Math.floor(rand() * 30));
      const found = pairs(a, b);
      let lastOld = -1;
      let lastNew = -1;
      for (const [i, j] of found) {
        expect(i).toBeGreaterThan(lastOld);
        expect(a[i]).toBe(b[j]);
        // The tie rule: no equal line was skipped since the previous pair, on either side.
        expect(a.slice(lastOld + 1, i)).not.toContain(a[i]);
        expect(b.slice(lastNew + 1, j)).not.toContain(b[j]);
        lastOld = i;
        lastNew = j;
      }
      expect(found.length, JSON.stringify([a, b])).toBe(lcsLength(a, b));
    }
  });

  it('is optimal when a whole 2,000-line file is rewritten with shared lines', () => {
    const rand = prng(7);
    const a = Array.from({ length: 2000 }, (_, i) => (i % 5 === 0 ? '}' : `line ${Math.floor(rand() * 3000)}`));
    const b = Array.from({ length: 2000 }, (_, i) => (i % 7 === 0 ? '}' : `line ${Math.floor(rand() * 3000)}`));
    expect(pairs(a, b)).toHaveLength(lcsLength(a, b));
  });

  describe('pairMoves', () => {
    const options: AlignOptions = { mode: 'whitespace', pairMoves: true };
    it('pairs a moved line that occurs once among the leftovers', () => {
      const oldLines = ['function one() {', 'return 1;', '}', 'function two() {', 'return 2;', '}'];
      const newLines = ['function two() {', '  return 2;', '}', 'function one() {', 'return 1;', '}'];
      const { newToOld } = alignLines(oldLines, newLines, options);
      // One function pairs in order; the other pairs as moved lines, except its short `}`.
      expect([...newToOld]).toEqual([3, 4, 5, 0, 1, -1]);
    });
    it('never guesses short or repeated lines', () => {
      const { newToOld } = alignLines(['a', 'dup line', 'dup line', 'b'], ['dup line', 'dup line', 'b', 'a'], options);
      expect([...newToOld]).toEqual([1, 2, 3, -1]);
    });
    it('is off by default', () => {
      const { newToOld } = alignLines(['alpha', 'beta'], ['beta', 'alpha'], LOOSE);
      expect([...newToOld]).toEqual([1, -1]);
    });
  });
});

describe('diffHunks', () => {
  it.each<[string, string[], string[], { oldStart: number; oldCount: number; newStart: number; newCount: number }[]]>([
    ['no change', ['a'], ['a'], []],
    ['insert at start', ['a'], ['x', 'a'], [{ oldStart: 0, oldCount: 0, newStart: 0, newCount: 1 }]],
    ['replace and append', ['a', 'b'], ['A', 'b', 'c'], [
      { oldStart: 0, oldCount: 1, newStart: 0, newCount: 1 },
      { oldStart: 2, oldCount: 0, newStart: 2, newCount: 1 },
    ]],
    ['delete all', ['a', 'b'], [], [{ oldStart: 0, oldCount: 2, newStart: 0, newCount: 0 }]],
  ])('%s', (_name, oldLines, newLines, expected) => {
    expect(diffHunks(oldLines, newLines, EXACT)).toEqual(expected);
  });
});
