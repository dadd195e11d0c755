import { afterAll, describe, expect, it } from 'vitest';
import type { CommitAttribution, LineRange } from '../../src/core/types.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

function show(repo: TestRepo, rev = 'HEAD'): CommitAttribution {
  const result = repo.trace(['show', rev, '--json']);
  if (result.code !== 0) throw new Error(`trace show failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CommitAttribution;
}

function ranges(repo: TestRepo, path: string, rev = 'HEAD'): LineRange[] {
  const file = show(repo, rev).files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not in ${rev}`);
  return file.lines;
}

function commit(repo: TestRepo, message: string, paths: string[] = ['-A']): string {
  repo.git(['add', ...paths]);
  repo.git(['commit', '-q', '-m', message]);
  return repo.git(['rev-parse', 'HEAD']).stdout.trim();
}

const ai = (start: number, end: number, session: string): LineRange => ({ start, end, attribution: 'ai', session_id: session });
const human = (start: number, end: number): LineRange => ({ start, end, attribution: 'human' });
const lines = (...items: string[]) => `${items.join('\n')}\n`;

describe('acceptance scenarios', () => {
  it('1. an agent writes a new file: all lines ai', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('src/new.ts', lines('a', 'b', 'c'));
    commit(repo, 'new');
    expect(ranges(repo, 'src/new.ts')).toEqual([ai(1, 3, agent.sessionId)]);
    const file = show(repo).files.find((f) => f.path === 'src/new.ts')!;
    expect(file).toMatchObject({ status: 'created', lines_added: 3, ai_lines_added: 3, human_lines_added: 0 });
  });

  it('2. a developer edits a file with no agent: all added lines human', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    repo.write('a.txt', lines('one', 'two', 'three'));
    commit(repo, 'human');
    expect(ranges(repo, 'a.txt')).toEqual([human(2, 3)]);
  });

  it('3. an agent inserts two lines in the middle of a human file', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('1', '2', '3', '4') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', '2\n', '2\nx\ny\n');
    commit(repo, 'insert');
    expect(ranges(repo, 'a.txt')).toEqual([ai(3, 4, agent.sessionId)]);
  });

  it('4. an agent adds lines, then the developer appends lines', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent 1\nagent 2\n');
    repo.write('a.txt', lines('base', 'agent 1', 'agent 2', 'mine 1', 'mine 2'));
    commit(repo, 'mixed');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 3, agent.sessionId), human(4, 5)]);
  });

  it('5. the developer edits between two agent tool calls on the same file', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('top', 'bottom') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'top\n', 'top\nagent first\n');
    repo.write('a.txt', lines('top', 'agent first', 'human middle', 'bottom'));
    agent.edit('a.txt', 'bottom\n', 'bottom\nagent second\n');
    commit(repo, 'interleaved');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId), human(3, 3), ai(5, 5, agent.sessionId)]);
  });

  it("6. the developer rewrites one of the agent's lines", () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('f.py', lines('def f():', '    x = 1', '    return x'));
    repo.write('f.py', lines('def f():', '    x = 42  # tuned', '    return x'));
    commit(repo, 'tuned');
    expect(ranges(repo, 'f.py')).toEqual([ai(1, 1, agent.sessionId), human(2, 2), ai(3, 3, agent.sessionId)]);
  });

  it("7. the developer re-indents the agent's lines: still ai", () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('f.js', lines('if (a) {', 'call(a);', 'other(a );', '}'));
    repo.write('f.js', lines('if (a) {', '    call(a);', '    other(a);', '}'));
    commit(repo, 'formatted');
    expect(ranges(repo, 'f.js')).toEqual([ai(1, 4, agent.sessionId)]);
  });

  it('8. two places changed, only the first staged: each commit credits its place', () => {
    const body = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const repo = makeRepo({ initialFiles: { 'a.txt': lines(...body) } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'line 2\n', 'line 2\nfirst change\n');
    agent.edit('a.txt', 'line 19\n', 'line 19\nsecond change\n');
    // Stage only the first hunk, like `git add -p` answering y then n.
    repo.git(['add', '-p', 'a.txt'], { input: 'y\nn\n' });
    repo.git(['commit', '-q', '-m', 'first']);
    expect(ranges(repo, 'a.txt')).toEqual([ai(3, 3, agent.sessionId)]);
    commit(repo, 'second');
    expect(ranges(repo, 'a.txt')).toEqual([ai(21, 21, agent.sessionId)]);
  });

  it('9. an agent edits two files, committed in two commits: both ai', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('one.txt', lines('1'));
    agent.write('two.txt', lines('2', '2'));
    commit(repo, 'one', ['one.txt']);
    expect(ranges(repo, 'one.txt')).toEqual([ai(1, 1, agent.sessionId)]);
    commit(repo, 'two', ['two.txt']);
    expect(ranges(repo, 'two.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('10. amend that adds a human line to an AI commit', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('ai 1', 'ai 2'));
    commit(repo, 'ai');
    repo.write('a.txt', lines('ai 1', 'ai 2', 'human 3'));
    repo.git(['commit', '-q', '--amend', '-a', '--no-edit']);
    expect(ranges(repo, 'a.txt')).toEqual([ai(1, 2, agent.sessionId), human(3, 3)]);
  });

  it('11. rebase onto a main that changed another part of the file keeps the attribution', () => {
    const body = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    const repo = makeRepo({ initialFiles: { 'a.txt': lines(...body) } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'line 8\n', 'line 8\nagent line\n');
    repo.write('a.txt', repo.read('a.txt').replace('line 9\n', 'line 9\nhuman line\n'));
    commit(repo, 'feature work');
    const before = ranges(repo, 'a.txt');
    expect(before).toEqual([ai(9, 9, agent.sessionId), human(11, 11)]);
    repo.git(['checkout', '-q', 'main']);
    repo.write('a.txt', repo.read('a.txt').replace('line 1\n', 'line 0\nline 1\n'));
    commit(repo, 'main work');
    repo.git(['checkout', '-q', 'feature']);
    repo.git(['rebase', '-q', 'main']);
    expect(ranges(repo, 'a.txt')).toEqual([ai(10, 10, agent.sessionId), human(12, 12)]);
  });

  it('12. interactive rebase squashing an AI commit and a human commit', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('ai 1', 'ai 2'));
    commit(repo, 'ai');
    repo.write('a.txt', lines('ai 1', 'ai 2', 'human 3'));
    commit(repo, 'human');
    repo.git(['-c', 'sequence.editor=sed -i 2s/^pick/squash/', '-c', 'core.editor=true', 'rebase', '-q', '-i', 'HEAD~2']);
    expect(repo.git(['rev-list', '--count', 'HEAD']).stdout.trim()).toBe('2');
    expect(ranges(repo, 'a.txt')).toEqual([ai(1, 2, agent.sessionId), human(3, 3)]);
  });

  it('13. cherry-pick of an AI commit onto another branch', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    const agent = new FakeClaude(repo);
    agent.write('b.txt', lines('from agent', 'more'));
    const picked = commit(repo, 'ai');
    repo.git(['checkout', '-q', 'main']);
    repo.write('c.txt', lines('unrelated'));
    commit(repo, 'other');
    repo.git(['cherry-pick', picked]);
    expect(ranges(repo, 'b.txt')).toEqual([ai(1, 2, agent.sessionId)]);
    repo.git(['reset', '-q', '--hard', 'HEAD~1']);
    repo.git(['cherry-pick', '-n', picked]);
    commit(repo, 'picked without committing');
    expect(ranges(repo, 'b.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('14. merge --squash of a branch with an AI commit and a human commit', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nai line\n');
    commit(repo, 'ai');
    repo.write('a.txt', lines('base', 'ai line', 'human line'));
    commit(repo, 'human');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '--squash', '-q', 'feature']);
    repo.git(['commit', '-q', '-m', 'squashed']);
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId), human(3, 3)]);
  });

  it('15. a conflict during rebase resolved by hand is human; resolved by an agent edit is ai', () => {
    for (const resolver of ['human', 'agent'] as const) {
      const repo = makeRepo({ initialFiles: { 'a.txt': lines('start', 'middle', 'end') } });
      repo.git(['checkout', '-q', '-b', 'feature']);
      const agent = new FakeClaude(repo);
      agent.edit('a.txt', 'middle\n', 'middle from agent\n');
      commit(repo, 'ai');
      repo.git(['checkout', '-q', 'main']);
      repo.write('a.txt', lines('start', 'middle from main', 'end'));
      commit(repo, 'main');
      repo.git(['checkout', '-q', 'feature']);
      expect(repo.git(['rebase', 'main'], { allowFail: true }).code).not.toBe(0);
      const resolved = lines('start', 'middle resolved', 'end');
      if (resolver === 'human') repo.write('a.txt', resolved);
      else agent.write('a.txt', resolved);
      repo.git(['add', 'a.txt']);
      repo.git(['-c', 'core.editor=true', 'rebase', '--continue']);
      expect(ranges(repo, 'a.txt')).toEqual(resolver === 'human' ? [human(2, 2)] : [ai(2, 2, agent.sessionId)]);
    }
  });

  it('16. an agent appends one line to a CRLF file: exactly that line ai', () => {
    const repo = makeRepo({ initialFiles: { 'win.txt': 'one\r\ntwo\r\n' } });
    const agent = new FakeClaude(repo);
    agent.edit('win.txt', 'two\r\n', 'two\r\nthree\r\n');
    commit(repo, 'crlf');
    expect(ranges(repo, 'win.txt')).toEqual([ai(3, 3, agent.sessionId)]);
  });

  it('17. an agent runs a shell command that creates a file', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.bash('printf "gen 1\\ngen 2\\n" > generated.txt');
    commit(repo, 'shell');
    expect(ranges(repo, 'generated.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('18. git mv of an AI file plus an agent edit: renamed, only the edited lines in ranges', () => {
    const body = Array.from({ length: 12 }, (_, i) => `const v${i} = ${i};`);
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('old.ts', lines(...body));
    commit(repo, 'ai file');
    repo.git(['mv', 'old.ts', 'new.ts']);
    agent.edit('new.ts', 'const v5 = 5;', 'const v5 = 55;');
    commit(repo, 'moved');
    const file = show(repo).files.find((f) => f.path === 'new.ts')!;
    expect(file).toMatchObject({ status: 'renamed', old_path: 'old.ts', lines_added: 1, lines_removed: 1 });
    expect(file.lines).toEqual([ai(6, 6, agent.sessionId)]);
  });

  it('19. two sessions editing different files for one commit: each range names its session', () => {
    const repo = makeRepo();
    const first = new FakeClaude(repo);
    const second = new FakeClaude(repo);
    first.write('a.txt', lines('a'));
    second.write('b.txt', lines('b'));
    commit(repo, 'two sessions');
    expect(ranges(repo, 'a.txt')).toEqual([ai(1, 1, first.sessionId)]);
    expect(ranges(repo, 'b.txt')).toEqual([ai(1, 1, second.sessionId)]);
    expect(show(repo).session_ids).toEqual([first.sessionId, second.sessionId].sort());
  });

  it('20. a binary file and a non-UTF-8 file next to an AI text file', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('code.ts', lines('x', 'y'));
    repo.write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    repo.write('latin1.txt', Buffer.from('caf\xe9\n', 'latin1'));
    commit(repo, 'mixed content');
    const files = show(repo).files;
    expect(files.find((f) => f.path === 'image.png')).toMatchObject({ binary: true, lines: [] });
    expect(files.find((f) => f.path === 'latin1.txt')!.lines).toEqual([human(1, 1)]);
    expect(ranges(repo, 'code.ts')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('21. stash, checkout -b other, stash pop, commit: agent lines still ai', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent\n');
    repo.git(['stash', '-q']);
    repo.git(['checkout', '-q', '-b', 'other']);
    repo.git(['stash', 'pop', '-q']);
    commit(repo, 'popped');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId)]);
  });

  it('22. reset --soft HEAD~1 and commit again: same attribution', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent\n');
    repo.write('a.txt', lines('base', 'agent', 'human'));
    commit(repo, 'first try');
    const first = ranges(repo, 'a.txt');
    repo.git(['reset', '-q', '--soft', 'HEAD~1']);
    repo.git(['commit', '-q', '-m', 'second try']);
    expect(ranges(repo, 'a.txt')).toEqual(first);
    expect(first).toEqual([ai(2, 2, agent.sessionId), human(3, 3)]);
  });
});
