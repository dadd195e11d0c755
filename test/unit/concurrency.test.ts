import { describe, expect, it } from 'vitest';
import { attributeLines, declaredSource, ownLines, replay, type AttributedText } from '../../src/core/attribution.js';
import { callWindows, type CallWindow, type CapturedChange, commandNamesPath, creditShellChange, declaredLines, overlappingCalls, writesOnlyNamedFiles } from '../../src/core/concurrency.js';
import type { Author, Declaration, FileChange } from '../../src/core/types.js';

const ai = (sessionId: string): Author => ({ kind: 'ai', sessionId });

function who(state: AttributedText): string[] {
  return state.authors.map((a) => (a === null ? '?' : a.kind === 'human' ? 'h' : a.kind === 'ai' ? a.sessionId : `${a.sessionIds.join('|')}${a.human ? '|h' : ''}`));
}

describe('overlappingCalls', () => {
  const call = (id: number, start: string, end: string | null): CallWindow => ({ id, sessionId: `s${id}`, start, end });
  it('pairs the calls whose pre-to-post windows overlap, and only those', () => {
    const overlaps = overlappingCalls([call(1, 't01', 't05'), call(2, 't03', 't04'), call(3, 't06', 't07'), call(4, 't07', null), call(5, 't09', 't10')]);
    expect(overlaps.get(1)?.map((c) => c.id)).toEqual([2]);
    expect(overlaps.get(2)?.map((c) => c.id)).toEqual([1]);
    expect(overlaps.get(3)?.map((c) => c.id)).toEqual([4]);
    // A call whose post hook never came is taken to end where it started: it makes no later call concurrent.
    expect(overlaps.get(4)?.map((c) => c.id)).toEqual([3]);
    expect(overlaps.has(5)).toBe(false);
  });
});

describe('commandNamesPath', () => {
  it.each<[string, string, boolean]>([
    ['echo 1 > out-1.txt', 'out-1.txt', true],
    ['echo 10 > out-10.txt', 'out-1.txt', false],
    ['cd src && sed -i s/a/b/ app.ts', 'src/app.ts', true],
    ['prettier --write "src/app.ts"', 'src/app.ts', true],
    ['cat ./notes.md', 'notes.md', true],
    ['npm run build', 'dist/app.js', false],
    ['rm old-app.ts', 'app.ts', false],
  ])('%s names %s: %s', (command, path, expected) => {
    expect(commandNamesPath(command, path)).toBe(expected);
  });
});

describe('writesOnlyNamedFiles', () => {
  it.each<[string, boolean]>([
    ['sleep 5', true],
    ['cat a.txt | grep x | wc -l', true],
    ['git status --short && git diff', true],
    ['ls -la 2>&1', true],
    ['LC_ALL=C grep -r foo .', true],
    ['echo hi > a.txt', true],
    ['npm test', false],
    ['sh gen.sh', false],
    ['git checkout -- a.txt', false],
    ['env FOO=1 node build.js', false],
    ['python - <<EOF', false],
    ['', false],
  ])('%s: %s', (command, expected) => {
    expect(writesOnlyNamedFiles(command)).toBe(expected);
  });
});

describe('creditShellChange', () => {
  const shell = (id: number, command: string) => ({ id, sessionId: `s${id}`, start: 't1', end: 't2', command });
  it('credits the one call whose command names the path; the others only observed it', () => {
    const one = shell(1, 'echo 1 > out-1.txt');
    const two = shell(2, 'echo 2 > out-2.txt');
    expect(creditShellChange(one, [two], 'out-1.txt')).toEqual({ kind: 'author', author: ai('s1') });
    expect(creditShellChange(two, [one], 'out-1.txt')).toEqual({ kind: 'observer' });
  });
  it('without a naming call, the calls that may write unnamed files are the candidates', () => {
    const build = shell(1, 'npm run build');
    const status = shell(2, 'git status');
    expect(creditShellChange(build, [status], 'dist/a.js')).toEqual({ kind: 'author', author: ai('s1') });
    expect(creditShellChange(status, [build], 'dist/a.js')).toEqual({ kind: 'observer' });
    const other = shell(3, 'make');
    expect(creditShellChange(build, [other], 'dist/a.js')).toEqual({ kind: 'author', author: { kind: 'ambiguous', sessionIds: ['s1', 's3'], human: false } });
  });
  it('when only read-only commands ran, a person may have made the change', () => {
    expect(creditShellChange(shell(1, 'sleep 3'), [], 'notes.md')).toEqual({ kind: 'author', author: { kind: 'ambiguous', sessionIds: ['s1'], human: true } });
  });
  it('two calls of one session are that session', () => {
    const a = { ...shell(1, 'make a'), sessionId: 's' };
    const b = { ...shell(2, 'make b'), sessionId: 's' };
    expect(creditShellChange(a, [b], 'out.o')).toEqual({ kind: 'author', author: ai('s') });
  });
});

describe('declaredLines', () => {
  const lines = ['start', 'line by 1', 'line by 10', 'line by 2', '// end', '  call(a, b);'];
  it('an Edit that other edits split apart still declares its lines, and no line it only prefixes', () => {
    expect(declaredLines(lines, { kind: 'fragments', fragments: ['line by 1\n// end\n'] })).toEqual([false, true, false, false, true, false]);
  });
  it('an edit within one line declares the line that contains it', () => {
    expect(declaredLines(lines, { kind: 'fragments', fragments: ['call(a, b)'] })).toEqual([false, false, false, false, false, true]);
  });
  it('a Write declares the lines of its content; empty fragments declare nothing', () => {
    expect(declaredLines(lines, { kind: 'content', text: 'start\nline by 2\n' })).toEqual([true, false, false, true, false, false]);
    expect(declaredLines(lines, { kind: 'fragments', fragments: [] })).toEqual([false, false, false, false, false, false]);
  });
});

describe('replay of concurrent calls', () => {
  // Two sessions append before `end` at once: both before-contents are the original, both
  // after-contents hold both lines.
  const original = 'start\nend\n';
  const both = 'start\nby a\nby b\nend\n';
  const edit = (session: string, line: string): FileChange => ({
    before: original,
    after: both,
    author: ai(session),
    concurrent: true,
    declared: { kind: 'fragments', fragments: [`${line}\nend\n`] },
  });

  it.each([
    ['a stored first', [edit('a', 'by a'), edit('b', 'by b')]],
    ['b stored first', [edit('b', 'by b'), edit('a', 'by a')]],
  ])('each line goes to the call that declared it (%s)', (_, changes) => {
    expect(who(replay(changes))).toEqual(['?', 'a', 'b', '?']);
  });

  it('without the concurrency flag, the last call stored takes the other call’s line (what went wrong)', () => {
    const plain = [edit('a', 'by a'), edit('b', 'by b')].map(({ before, after, author }) => ({ before, after, author }));
    expect(who(replay(plain))).toEqual(['?', 'b', 'b', '?']);
  });

  it('a concurrent call’s own lines settle a line the replay’s last state does not hold', () => {
    // b's post hook read the file before a wrote its line, but was stored last.
    const a: FileChange = { before: original, after: both, author: ai('a'), concurrent: true, declared: { kind: 'fragments', fragments: ['by a\n'] } };
    const b: FileChange = { before: original, after: 'start\nby b\nend\n', author: ai('b'), concurrent: true, declared: { kind: 'fragments', fragments: ['by b\n'] } };
    const state = replay([a, b]);
    const sources = [state, ...[a, b].flatMap((change) => ownLines(change) ?? [])];
    const result = attributeLines({ committed: both, addedLines: [2, 3], sources });
    expect(result.ranges).toEqual([
      { start: 2, end: 2, attribution: 'ai', session_id: 'a' },
      { start: 3, end: 3, attribution: 'ai', session_id: 'b' },
    ]);
  });

  it('ambiguous lines become ranges with the ambiguity beside them', () => {
    const state = replay([{ before: null, after: 'x\ny\n', author: { kind: 'ambiguous', sessionIds: ['a', 'b'], human: false } }]);
    expect(attributeLines({ committed: 'x\ny\n', addedLines: [1, 2], sources: [state] })).toEqual({
      ranges: [{ start: 1, end: 2, attribution: 'ai', session_id: 'a' }],
      ai: 2,
      human: 0,
      ambiguous: [{ start: 1, end: 2, session_ids: ['a', 'b'], human: false }],
    });
    const typed = replay([{ before: 'x\n', after: 'x\ntyped\n', author: { kind: 'ambiguous', sessionIds: ['a'], human: true } }]);
    expect(attributeLines({ committed: 'x\ntyped\n', addedLines: [2], sources: [typed] })).toEqual({
      ranges: [{ start: 2, end: 2, attribution: 'human' }],
      ai: 0,
      human: 1,
      ambiguous: [{ start: 2, end: 2, session_ids: ['a'], human: true }],
    });
  });

  it('a line no snapshot shows its call writing goes to the call that declared it; a line two calls declared is ambiguous; short lines are left', () => {
    const committed = 'start\nby session a\nshared line\n}\nby nobody\n';
    const source = declaredSource(committed, [
      { sessionId: 'a', declared: { kind: 'fragments', fragments: ['by session a\n}\n'] } },
      { sessionId: 'b', declared: { kind: 'content', text: 'shared line\n' } },
      { sessionId: 'c', declared: { kind: 'fragments', fragments: ['  shared   line'] } },
    ]);
    expect(who(source!)).toEqual(['?', 'a', 'b|c', '?', '?']);
  });
});

describe('calls whose snapshots another session tore', () => {
  // What the integration test "16 sessions whose hooks and edits interleave" stored when it failed:
  // session t's pre hook copied the file, and its post hook read it, each while another session's
  // write had truncated it. Both snapshots are empty, the same blob: the call seems to change nothing,
  // though it wrote `line t`, which the later calls' snapshots and the commit hold.
  const original = 'start\n// end\n';
  const committed = 'start\nline a\nline t\nline c\n// end\n';
  const edit = (line: string): Declaration => ({ kind: 'fragments', fragments: [`${line}\n// end\n`] });
  const records = [
    { callId: 1, sessionId: 'a', start: '2026-01-01T10:00:00.100Z', end: '2026-01-01T10:00:00.900Z', before: original, after: 'start\nline a\n// end\n', declared: edit('line a') },
    { callId: 2, sessionId: 't', start: '2026-01-01T10:00:00.120Z', end: '2026-01-01T10:00:00.950Z', before: '', after: '', declared: edit('line t') },
    { callId: 3, sessionId: 'c', start: '2026-01-01T10:00:00.130Z', end: '2026-01-01T10:00:00.990Z', before: 'start\nline a\nline t\n// end\n', after: committed, declared: edit('line c') },
  ].map((record) => ({ ...record, shell: false, changed: record.before !== record.after }) satisfies CapturedChange & Record<string, unknown>);

  it('a file tool call whose before and after are the same still has a window, and each line goes to the call that declared it', () => {
    const windows = callWindows(records);
    // As attribution/attribute.ts builds the changes: a call overlapping another is concurrent and keeps what it declared.
    const overlapping = overlappingCalls(windows);
    const changes = records.map((record): FileChange => {
      const concurrent = (overlapping.get(record.callId) ?? []).length > 0;
      return { before: record.before, after: record.after, author: ai(record.sessionId), ...(concurrent ? { concurrent, declared: record.declared } : {}) };
    });
    const claims = changes.flatMap((change) => (change.concurrent && change.declared && change.author.kind === 'ai' ? [{ sessionId: change.author.sessionId, declared: change.declared }] : []));
    const sources = [replay(changes), ...changes.flatMap((change) => (change.concurrent ? (ownLines(change) ?? []) : [])), declaredSource(committed, claims)!];
    expect(attributeLines({ committed, addedLines: [2, 3, 4], sources }).ranges).toEqual([
      { start: 2, end: 2, attribution: 'ai', session_id: 'a' },
      { start: 3, end: 3, attribution: 'ai', session_id: 't' },
      { start: 4, end: 4, attribution: 'ai', session_id: 'c' },
    ]);
    expect(windows.map((window) => window.sessionId)).toEqual(['a', 't', 'c']);
  });

  it('a shell call that changed nothing of a path takes no part; observations of the work tree neither', () => {
    const windows = callWindows([
      { callId: 1, sessionId: 's', start: '2026-01-01T10:00:00.100Z', end: '2026-01-01T10:00:00.900Z', shell: true, changed: false },
      { callId: 2, sessionId: '', start: '2026-01-01T10:00:00.100Z', end: '2026-01-01T10:00:00.900Z', shell: false, changed: true },
      { callId: 3, sessionId: 'f', start: null, end: '2026-01-01T10:00:00.950Z', shell: false, changed: true },
    ]);
    expect(windows.map(({ id, start, end }) => ({ id, start, end }))).toEqual([{ id: 3, start: '2026-01-01T10:00:00.950Z', end: '2026-01-01T10:00:00.950Z' }]);
  });
});
