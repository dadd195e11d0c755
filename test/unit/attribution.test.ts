import { describe, expect, it } from 'vitest';
import {
  aiRemovedCount,
  applyChange,
  attributeLines,
  fromRanges,
  fromText,
  mergeRanges,
  replay,
  replayFile,
  type AttributedText,
} from '../../src/core/attribution.js';
import type { Author, FileChange, LineRange } from '../../src/core/types.js';

const human: Author = { kind: 'human' };
const ai = (sessionId: string): Author => ({ kind: 'ai', sessionId });
const S1 = ai('s1');
const S2 = ai('s2');
const change = (before: string | null, after: string | null, author: Author): FileChange => ({ before, after, author });

/** Authors as short labels: `s1`, `s2` (ai sessions), `h` (human), `?` (unknown). */
function who(state: AttributedText): string[] {
  return state.authors.map((a) => (a === null ? '?' : a.kind === 'human' ? 'h' : a.kind === 'ai' ? a.sessionId : `${a.sessionIds.join('|')}${a.human ? '|h' : ''}`));
}

const aiRange = (start: number, end: number, session_id: string): LineRange => ({ start, end, attribution: 'ai', session_id });
const humanRange = (start: number, end: number): LineRange => ({ start, end, attribution: 'human' });

describe('replay', () => {
  it.each<[string, FileChange[], string, string[]]>([
    ['new file all ai', [change(null, 'a\nb\n', S1)], 'a\nb\n', ['s1', 's1']],
    ['human-only edit: a human change takes over the lines it changes', [change('a\nb\n', 'a\nB\nc\n', human)], 'a\nB\nc\n', ['?', 'h', 'h']],
    ['agent inserts 2 lines in the middle of a human file', [change('h1\nh2\nh3\n', 'h1\nh2\nx\ny\nh3\n', S1)], 'h1\nh2\nx\ny\nh3\n', ['?', '?', 's1', 's1', '?']],
    [
      'human edit between two agent calls',
      [change(null, 'a\nb\n', S1), change('a\nh\nb\n', 'a\nh\nb\nc\n', S2)],
      'a\nh\nb\nc\n',
      ['s1', 'h', 's1', 's2'],
    ],
    ['human rewrites one agent line (gap)', [change(null, 'a\nb\nc\n', S1), change('a\nB\nc\n', 'a\nB\nc\n', S2)], 'a\nB\nc\n', ['s1', 'h', 's1']],
    ['human re-indents agent lines (gap): still ai', [change(null, 'a\nb\n', S1), change('  a\n\tb\n', '  a\n\tb\nc\n', S2)], '  a\n\tb\nc\n', ['s1', 's1', 's2']],
    ['human re-indents agent lines (observed human change): still ai', [change(null, 'a\nb\n', S1), change('a\nb\n', '    a\n    b\n', human)], '    a\n    b\n', ['s1', 's1']],
    ['an agent change that only alters whitespace makes the line ai', [change('a\nb\n', 'a\n  b\n', S1)], 'a\n  b\n', ['?', 's1']],
    ['CRLF file with one ai line appended', [change('h1\r\nh2\r\n', 'h1\r\nh2\r\nx\r\n', S1)], 'h1\r\nh2\r\nx\r\n', ['?', '?', 's1']],
    [
      'CRLF to LF conversion of the whole file by a human keeps authors',
      [change(null, 'a\r\nb\r\n', S1), change('a\nb\n', 'a\nb\nc\n', S2)],
      'a\nb\nc\n',
      ['s1', 's1', 's2'],
    ],
    ['an agent converting CRLF to LF does not take the lines', [change('a\r\nb\r\n', 'a\nb\n', S1)], 'a\nb\n', ['?', '?']],
    ['duplicate lines: an inserted block ending in a repeated line', [change('f {\n}\n', 'f {\n}\ng {\n}\n', S1)], 'f {\n}\ng {\n}\n', ['?', '?', 's1', 's1']],
    ['deletion keeps the authors of the remaining lines', [change(null, 'a\nb\nc\n', S1), change('a\nb\nc\n', 'a\nc\n', S2)], 'a\nc\n', ['s1', 's1']],
    ['file deleted', [change(null, 'a\n', S1), change('a\n', null, S1)], '', []],
    ['file deleted then recreated', [change(null, 'a\nb\n', S1), change('a\nb\n', null, human), change(null, 'a\nb\n', S2)], 'a\nb\n', ['s2', 's2']],
    ['file deleted, recreated by a human, then edited', [change(null, 'a\n', S1), change('a\n', null, S1), change('x\n', 'x\ny\n', S2)], 'x\ny\n', ['h', 's2']],
    ['empty file', [change(null, '', S1)], '', []],
    ['a file of one empty line', [change(null, '\n', S1)], '\n', ['s1']],
    ['no trailing newline: appending keeps the last line', [change('a\nb', 'a\nb\nc', S1)], 'a\nb\nc', ['?', '?', 's1']],
    ['non-UTF-8 bytes survive as latin1', [change('\u00ff\u00fe\n', '\u00ff\u00fe\ncaf\u00c3\u00a9 \u00a0\n', S1)], '\u00ff\u00fe\ncaf\u00c3\u00a9 \u00a0\n', ['?', 's1']],
    ['0xA0 is not whitespace: a human removing it takes the line', [change(null, 'a\u00a0b\n', S1), change('ab\n', 'ab\nc\n', S2)], 'ab\nc\n', ['h', 's2']],
    ['a human moving an agent line keeps its author', [change(null, 'first line\nsecond line\n', S1), change('second line\nfirst line\n', 'second line\nfirst line\n', S2)], 'second line\nfirst line\n', ['s1', 's1']],
    ['an agent moving a line takes it', [change('first line\nsecond line\n', 'second line\nfirst line\n', S1)], 'second line\nfirst line\n', ['?', 's1']],
    ['no changes', [], '', []],
  ])('%s', (_name, changes, text, authors) => {
    const state = replay(changes);
    expect(state.lines).toEqual(fromText(text).lines);
    expect(who(state)).toEqual(authors);
  });

  it('starts from a given state and treats a mismatch as a human gap', () => {
    const start = fromRanges('a\nb\n', [aiRange(1, 2, 's0')]);
    const state = replay([change('a\nx\nb\n', 'a\nx\nb\ny\n', S1)], start);
    expect(who(state)).toEqual(['s0', 'h', 's0', 's1']);
  });

  it('agrees with applyChange folded by hand', () => {
    const changes = [change(null, 'a\nb\n', S1), change('a\nh\nb\n', 'a\nh\nB\n', S2), change('a\nh\nB\n', 'z\na\nh\nB\n', human)];
    const folded = changes.reduce<AttributedText | null>((state, c) => applyChange(state, c), null);
    expect(replay(changes)).toEqual(folded);
  });
});

describe('applyChange', () => {
  it('starts from the before-content with unknown authors when there is no state', () => {
    expect(who(applyChange(null, change('a\nb\n', 'a\nb\nc\n', S1)))).toEqual(['?', '?', 's1']);
  });
  it('does not mutate the state it is given', () => {
    const state = fromText('a\n', S1);
    applyChange(state, change('a\n', 'b\n', S2));
    expect(who(state)).toEqual(['s1']);
    expect(state.lines).toEqual(['a']);
  });
  it('tie rule: when a duplicate line is removed, the earliest one is kept with its author', () => {
    const state = fromRanges('A\nX\nA\n', [aiRange(1, 1, 's1'), aiRange(3, 3, 's2')]);
    expect(who(applyChange(state, change('A\nX\nA\n', 'A\n', human)))).toEqual(['s1']);
    // Pairs keep their order: after X only the second A is left to pair with.
    expect(who(applyChange(state, change('A\nX\nA\n', 'X\nA\n', human)))).toEqual(['?', 's2']);
    const twice = fromRanges('A\nA\nB\n', [aiRange(1, 1, 's1'), aiRange(2, 2, 's2')]);
    expect(who(applyChange(twice, change('A\nA\nB\n', 'A\nB\n', S1)))).toEqual(['s1', '?']);
  });
  it('tie rule: when a duplicate line is inserted, the later copy is the new one', () => {
    const state = fromText('A\n', S1);
    expect(who(applyChange(state, change('A\n', 'A\nA\n', S2)))).toEqual(['s1', 's2']);
    expect(who(applyChange(state, change('A\n', 'B\nA\nA\n', S2)))).toEqual(['s2', 's1', 's2']);
  });
});

describe('attributeLines', () => {
  it.each<[string, string, number[], AttributedText[], LineRange[], number, number]>([
    ['new file all ai', 'a\nb\n', [1, 2], [replay([change(null, 'a\nb\n', S1)])], [aiRange(1, 2, 's1')], 2, 0],
    ['human-only edit all human (no capture)', 'a\nB\nc\n', [2, 3], [], [humanRange(2, 3)], 0, 2],
    ['human-only edit all human (parent only)', 'a\nB\n', [2], [fromText('a\nb\n')], [humanRange(2, 2)], 0, 1],
    ['agent inserts 2 lines in the middle', 'h1\nx\ny\nh2\n', [2, 3], [replay([change('h1\nh2\n', 'h1\nx\ny\nh2\n', S1)])], [aiRange(2, 3, 's1')], 2, 0],
    ['agent adds then human appends', 'a\nb\nc\n', [1, 2, 3], [replay([change(null, 'a\nb\n', S1)])], [aiRange(1, 2, 's1'), humanRange(3, 3)], 2, 1],
    ['human rewrites one agent line before committing', 'a\nB\nc\n', [1, 2, 3], [fromText('a\nb\nc\n', S1)], [aiRange(1, 1, 's1'), humanRange(2, 2), aiRange(3, 3, 's1')], 2, 1],
    ['human re-indents agent lines before committing', '  a\n  b\n', [1, 2], [fromText('a\nb\n', S1)], [aiRange(1, 2, 's1')], 2, 0],
    ['CRLF file with one ai line appended', 'h1\r\nh2\r\nx\r\n', [3], [replay([change('h1\r\nh2\r\n', 'h1\r\nh2\r\nx\r\n', S1)])], [aiRange(3, 3, 's1')], 1, 0],
    ['committed LF, captured CRLF', 'a\nb\n', [1, 2], [fromText('a\r\nb\r\n', S1)], [aiRange(1, 2, 's1')], 2, 0],
    ['empty file', '', [], [fromText('', S1)], [], 0, 0],
    ['no trailing newline: the re-terminated line is the parent\'s', 'a\nb\nc', [2, 3], [replay([change('a\nb', 'a\nb\nc', S1)])], [humanRange(2, 2), aiRange(3, 3, 's1')], 1, 1],
    ['non-UTF-8 bytes', '\u00ff\n\u00e9\u00a0\n', [2], [fromText('\u00ff\n\u00e9\u00a0\n', S1)], [aiRange(2, 2, 's1')], 1, 0],
    ['two sessions alternate', 'a\nb\nc\n', [1, 2, 3], [fromRanges('a\nb\nc\n', [aiRange(1, 1, 's1'), aiRange(2, 2, 's2'), aiRange(3, 3, 's1')])], [aiRange(1, 1, 's1'), aiRange(2, 2, 's2'), aiRange(3, 3, 's1')], 3, 0],
    ['non-adjacent added lines are separate ranges', 'a\nb\nc\n', [1, 3], [fromText('a\nb\nc\n', S1)], [aiRange(1, 1, 's1'), aiRange(3, 3, 's1')], 2, 0],
    ['unsorted, repeated and out-of-range added lines', 'a\nb\n', [2, 1, 2, 0, 9], [fromText('a\nb\n', S1)], [aiRange(1, 2, 's1')], 2, 0],
    [
      'multi-source priority: the first source wins',
      'a\nb\n',
      [1, 2],
      [fromText('a\nb\n', S1), fromText('a\nb\n', S2)],
      [aiRange(1, 2, 's1')],
      2,
      0,
    ],
    [
      'multi-source priority: falls back to the next source where the first does not know',
      'a\nb\nc\n',
      [1, 2, 3],
      [fromRanges('a\nb\n', [aiRange(1, 1, 's1')]), fromText('x\nb\nc\n', S2)],
      [aiRange(1, 1, 's1'), aiRange(2, 3, 's2')],
      3,
      0,
    ],
    [
      'a moved and re-indented block keeps its author (unique lines only)',
      'function two() {\n  return 2;\n}\nfunction one() {\n  return 1;\n}\n',
      [1, 2, 3, 4, 5, 6],
      [fromText('function one() {\nreturn 1;\n}\nfunction two() {\nreturn 2;\n}\n', S1)],
      // One function pairs in order, the other as moved lines except its `}`, which is too short to guess.
      [aiRange(1, 5, 's1'), humanRange(6, 6)],
      5,
      1,
    ],
  ])('%s', (_name, committed, addedLines, sources, ranges, aiCount, humanCount) => {
    expect(attributeLines({ committed, addedLines, sources })).toEqual({ ranges, ai: aiCount, human: humanCount });
  });

  it('duplicate lines: the tie rule decides which copy an added line is', () => {
    // The agent appended a second `}`; the first one is the parent's.
    const source = replay([change('f {\n}\n', 'f {\n}\n}\n', S1)]);
    expect(who(source)).toEqual(['?', '?', 's1']);
    expect(attributeLines({ committed: 'f {\n}\n}\n', addedLines: [3], sources: [source] }).ranges).toEqual([aiRange(3, 3, 's1')]);
  });

  it('fromRanges round trip: ranges → attributed text → the same ranges', () => {
    const committed = 'a\nb\nc\nd\ne\n';
    const first = attributeLines({
      committed,
      addedLines: [1, 2, 3, 5],
      sources: [fromRanges(committed, [aiRange(1, 2, 's1'), aiRange(5, 5, 's2')]), fromText('c\n', human)],
    });
    expect(first.ranges).toEqual([aiRange(1, 2, 's1'), humanRange(3, 3), aiRange(5, 5, 's2')]);
    const carried = fromRanges(committed, first.ranges);
    expect(who(carried)).toEqual(['s1', 's1', 'h', '?', 's2']);
    expect(attributeLines({ committed, addedLines: [1, 2, 3, 5], sources: [carried] })).toEqual(first);
  });
});

describe('fromRanges', () => {
  it('clamps ranges to the text and leaves other lines unknown', () => {
    expect(who(fromRanges('a\nb\nc\n', [aiRange(0, 1, 's1'), humanRange(3, 7)]))).toEqual(['s1', '?', 'h']);
  });
});

describe('mergeRanges', () => {
  it.each<[string, LineRange[], LineRange[]]>([
    ['merges adjacent ranges of the same session', [aiRange(3, 4, 's1'), aiRange(1, 2, 's1')], [aiRange(1, 4, 's1')]],
    ['merges overlapping ranges', [humanRange(1, 5), humanRange(3, 8)], [humanRange(1, 8)]],
    ['does not merge across sessions', [aiRange(1, 2, 's1'), aiRange(3, 4, 's2')], [aiRange(1, 2, 's1'), aiRange(3, 4, 's2')]],
    ['does not merge ai with human', [aiRange(1, 2, 's1'), humanRange(3, 4)], [aiRange(1, 2, 's1'), humanRange(3, 4)]],
    ['does not merge across a gap', [aiRange(1, 2, 's1'), aiRange(4, 5, 's1')], [aiRange(1, 2, 's1'), aiRange(4, 5, 's1')]],
    ['drops session_id from human ranges', [{ start: 1, end: 1, attribution: 'human', session_id: 'x' }, humanRange(2, 2)], [humanRange(1, 2)]],
    ['empty', [], []],
  ])('%s', (_name, input, expected) => {
    const copy = structuredClone(input);
    expect(mergeRanges(input)).toEqual(expected);
    expect(input).toEqual(copy);
  });
});

describe('aiRemovedCount', () => {
  it.each<[string, string[], FileChange[], number]>([
    ['lines an agent removed', ['b', 'c'], [change('a\nb\nc\nd\n', 'a\nd\n', S1)], 2],
    ['a line an agent changed counts as removed', ['b'], [change('a\nb\n', 'a\nB\n', S1)], 1],
    ['lines a human removed do not count', ['b'], [change('a\nb\n', 'a\n', human)], 0],
    ['agent removed one copy, the commit removes two', ['x', 'x'], [change('x\nx\ny\n', 'x\ny\n', S1)], 1],
    ['whitespace and line endings do not matter', ['  b\r'], [change('a\nb\n', 'a\n', S1)], 1],
    ['a deleted file', ['a', 'b'], [change('a\nb\n', null, S1)], 2],
    ['no changes', ['a'], [], 0],
    ['a line the agent did not remove', ['z'], [change('a\nb\n', 'a\n', S1)], 0],
  ])('%s', (_name, removedLines, changes, expected) => {
    expect(aiRemovedCount({ removedLines, removedByAgent: [replayFile(changes).removedByAgent] })).toBe(expected);
  });
});
