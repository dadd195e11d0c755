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


const ai = (start: number, end: number, session: string): LineRange => ({ start, end, attribution: 'ai', session_id: session });
const human = (start: number, end: number): LineRange => ({ start, end, attribution: 'human' });
const lines = (...items: string[]) => `${items.join('\n')}\n`;

describe('acceptance scenarios', () => {
  it('1. an agent writes a new file: all lines ai', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('src/new.ts', lines('a', 'b', 'c'));
    repo.commit('new');
    expect(ranges(repo, 'src/new.ts')).toEqual([ai(1, 3, agent.sessionId)]);
    const file = show(repo).files.find((f) => f.path === 'src/new.ts')!;
    expect(file).toMatchObject({ status: 'created', lines_added: 3, ai_lines_added: 3, human_lines_added: 0 });
  });

  it('2. a developer edits a file with no agent: all added lines human', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    repo.write('a.txt', lines('one', 'two', 'three'));
    repo.commit('human');
    expect(ranges(repo, 'a.txt')).toEqual([human(2, 3)]);
  });

  it('3. an agent inserts two lines in the middle of a human file', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('1', '2', '3', '4') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', '2\n', '2\nx\ny\n');
    repo.commit('insert');
    expect(ranges(repo, 'a.txt')).toEqual([ai(3, 4, agent.sessionId)]);
  });

  it('4. an agent adds lines, then the developer appends lines', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent 1\nagent 2\n');
    repo.write('a.txt', lines('base', 'agent 1', 'agent 2', 'mine 1', 'mine 2'));
    repo.commit('mixed');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 3, agent.sessionId), human(4, 5)]);
  });

  it('5. the developer edits between two agent tool calls on the same file', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('top', 'bottom') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'top\n', 'top\nagent first\n');
    repo.write('a.txt', lines('top', 'agent first', 'human middle', 'bottom'));
    agent.edit('a.txt', 'bottom\n', 'bottom\nagent second\n');
    repo.commit('interleaved');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId), human(3, 3), ai(5, 5, agent.sessionId)]);
  });

  it("6. the developer rewrites one of the agent's lines", () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('f.py', lines('def f():', '    x = 1', '    return x'));
    repo.write('f.py', lines('def f():', '    x = 42  # tuned', '    return x'));
    repo.commit('tuned');
    expect(ranges(repo, 'f.py')).toEqual([ai(1, 1, agent.sessionId), human(2, 2), ai(3, 3, agent.sessionId)]);
  });

  it("7. the developer re-indents the agent's lines: still ai", () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('f.js', lines('if (a) {', 'call(a);', 'other(a );', '}'));
    repo.write('f.js', lines('if (a) {', '    call(a);', '    other(a);', '}'));
    repo.commit('formatted');
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
    repo.commit('second');
    expect(ranges(repo, 'a.txt')).toEqual([ai(21, 21, agent.sessionId)]);
  });

  it('9. an agent edits two files, committed in two commits: both ai', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('one.txt', lines('1'));
    agent.write('two.txt', lines('2', '2'));
    repo.commit('one', ['one.txt']);
    expect(ranges(repo, 'one.txt')).toEqual([ai(1, 1, agent.sessionId)]);
    repo.commit('two', ['two.txt']);
    expect(ranges(repo, 'two.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('10. amend that adds a human line to an AI commit', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('ai 1', 'ai 2'));
    repo.commit('ai');
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
    repo.commit('feature work');
    const before = ranges(repo, 'a.txt');
    expect(before).toEqual([ai(9, 9, agent.sessionId), human(11, 11)]);
    repo.git(['checkout', '-q', 'main']);
    repo.write('a.txt', repo.read('a.txt').replace('line 1\n', 'line 0\nline 1\n'));
    repo.commit('main work');
    repo.git(['checkout', '-q', 'feature']);
    repo.git(['rebase', '-q', 'main']);
    expect(ranges(repo, 'a.txt')).toEqual([ai(10, 10, agent.sessionId), human(12, 12)]);
  });

  it('12. interactive rebase squashing an AI commit and a human commit', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('ai 1', 'ai 2'));
    repo.commit('ai');
    repo.write('a.txt', lines('ai 1', 'ai 2', 'human 3'));
    repo.commit('human');
    repo.git(['-c', 'sequence.editor=sed -i 2s/^pick/squash/', '-c', 'core.editor=true', 'rebase', '-q', '-i', 'HEAD~2']);
    expect(repo.git(['rev-list', '--count', 'HEAD']).stdout.trim()).toBe('2');
    expect(ranges(repo, 'a.txt')).toEqual([ai(1, 2, agent.sessionId), human(3, 3)]);
  });

  it('13. cherry-pick of an AI commit onto another branch', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    const agent = new FakeClaude(repo);
    agent.write('b.txt', lines('from agent', 'more'));
    const picked = repo.commit('ai');
    repo.git(['checkout', '-q', 'main']);
    repo.write('c.txt', lines('unrelated'));
    repo.commit('other');
    repo.git(['cherry-pick', picked]);
    expect(ranges(repo, 'b.txt')).toEqual([ai(1, 2, agent.sessionId)]);
    repo.git(['reset', '-q', '--hard', 'HEAD~1']);
    repo.git(['cherry-pick', '-n', picked]);
    repo.commit('picked without committing');
    expect(ranges(repo, 'b.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('14. merge --squash of a branch with an AI commit and a human commit', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nai line\n');
    repo.commit('ai');
    repo.write('a.txt', lines('base', 'ai line', 'human line'));
    repo.commit('human');
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
      repo.commit('ai');
      repo.git(['checkout', '-q', 'main']);
      repo.write('a.txt', lines('start', 'middle from main', 'end'));
      repo.commit('main');
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
    repo.commit('crlf');
    expect(ranges(repo, 'win.txt')).toEqual([ai(3, 3, agent.sessionId)]);
  });

  it('17. an agent runs a shell command that creates a file', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.bash('printf "gen 1\\ngen 2\\n" > generated.txt');
    repo.commit('shell');
    expect(ranges(repo, 'generated.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('18. git mv of an AI file plus an agent edit: renamed, only the edited lines in ranges', () => {
    const body = Array.from({ length: 12 }, (_, i) => `const v${i} = ${i};`);
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('old.ts', lines(...body));
    repo.commit('ai file');
    repo.git(['mv', 'old.ts', 'new.ts']);
    agent.edit('new.ts', 'const v5 = 5;', 'const v5 = 55;');
    repo.commit('moved');
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
    repo.commit('two sessions');
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
    repo.commit('mixed content');
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
    repo.commit('popped');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId)]);
  });

  it('22. reset --soft HEAD~1 and commit again: same attribution', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent\n');
    repo.write('a.txt', lines('base', 'agent', 'human'));
    repo.commit('first try');
    const first = ranges(repo, 'a.txt');
    repo.git(['reset', '-q', '--soft', 'HEAD~1']);
    repo.git(['commit', '-q', '-m', 'second try']);
    expect(ranges(repo, 'a.txt')).toEqual(first);
    expect(first).toEqual([ai(2, 2, agent.sessionId), human(3, 3)]);
  });
});

describe('more git operations and content', () => {
  it('revert carries the lines it brings back', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    repo.commit('ai');
    repo.write('a.txt', lines('base'));
    const removal = repo.commit('remove it');
    repo.git(['revert', '--no-edit', removal]);
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId)]);
  });

  it('reset --mixed and a new commit keep the attribution', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    repo.commit('ai');
    repo.git(['reset', '-q', 'HEAD~1']);
    repo.commit('again');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId)]);
  });

  it('unicode file names and content', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('docs/café ☕.md', lines('# Überschrift', 'naïve text — 日本語'));
    repo.commit('unicode');
    expect(ranges(repo, 'docs/café ☕.md')).toEqual([ai(1, 2, agent.sessionId)]);
    const blame = JSON.parse(repo.trace(['blame', 'docs/café ☕.md', '--json']).stdout) as { lines: { text: string; attribution: string }[] };
    expect(blame.lines.map((l) => [l.attribution, l.text])).toEqual([
      ['ai', '# Überschrift'],
      ['ai', 'naïve text — 日本語'],
    ]);
  });

  it('core.autocrlf: an agent line in a file checked out with CRLF', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one', 'two') } });
    repo.git(['config', 'core.autocrlf', 'true']);
    repo.sh('rm a.txt && git checkout -- a.txt');
    expect(repo.read('a.txt')).toBe('one\r\ntwo\r\n');
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'two\r\n', 'two\r\nthree\r\n');
    repo.commit('autocrlf');
    expect(ranges(repo, 'a.txt')).toEqual([ai(3, 3, agent.sessionId)]);
  });

  it('a human converting an AI file to CRLF keeps its author', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('x', 'y'));
    repo.write('a.txt', 'x\r\ny\r\n');
    repo.commit('crlf by hand');
    expect(ranges(repo, 'a.txt')).toEqual([ai(1, 2, agent.sessionId)]);
  });

  it('files marked linguist-generated are listed but left out of the totals', () => {
    const repo = makeRepo({ initialFiles: { '.gitattributes': 'dist/** linguist-generated\n' } });
    const agent = new FakeClaude(repo);
    agent.write('dist/bundle.js', lines('generated();'));
    repo.write('src.js', lines('mine();'));
    repo.commit('build', ['dist', 'src.js']);
    const result = repo.trace(['show']);
    expect(show(repo).files.find((f) => f.path === 'dist/bundle.js')).toMatchObject({ generated: true });
    expect(result.stdout).toContain('added lines: 1, ai 0 (0%), human 1');
  });

  it('duplicate lines: an agent adding a copy of an existing line gets exactly one line', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('}', '}') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', '}\n}\n', '}\n}\n}\n');
    repo.commit('dup');
    const got = ranges(repo, 'a.txt');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ attribution: 'ai', start: got[0]!.end });
  });

  it('merge commits are recorded with their parents and no ranges', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('a') } });
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('b.txt', lines('b'));
    repo.commit('b');
    repo.git(['checkout', '-q', 'main']);
    repo.write('c.txt', lines('c'));
    repo.commit('c');
    repo.git(['merge', '-q', '--no-edit', 'feature']);
    const merge = show(repo);
    expect(merge.parents).toHaveLength(2);
    expect(merge.files).toEqual([]);
  });

  it('a commit made without trace is human, flagged as not captured', () => {
    const repo = makeRepo({ init: false });
    repo.write('x.txt', lines('x'));
    const sha = repo.commit('before trace');
    repo.trace(['init', '--yes']);
    const attribution = show(repo, sha);
    expect(attribution.captured).toBe(false);
    expect(attribution.files.find((f) => f.path === 'x.txt')!.lines).toEqual([human(1, 1)]);
    expect(repo.trace(['show', sha]).stdout).toContain('made without capture on this machine: its lines are attributed to human');
  });

  it('a human edit of one line inside AI code takes only that line, and blame shows it', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('m.ts', lines('a();', 'b();', 'c();'));
    repo.commit('ai');
    repo.write('m.ts', lines('a();', 'B();', 'c();'));
    repo.commit('fix');
    const blame = JSON.parse(repo.trace(['blame', 'm.ts', '--json']).stdout) as { lines: { attribution: string; session_id: string | null; model: string | null; agent: string | null }[] };
    expect(blame.lines.map((l) => l.attribution)).toEqual(['ai', 'human', 'ai']);
    expect(blame.lines[0]).toMatchObject({ session_id: agent.sessionId, agent: 'claude-code', model: 'claude-opus-4-8' });
    const text = repo.trace(['blame', 'm.ts']).stdout.split('\n');
    expect(text[0]).toMatch(/^[0-9a-f]{8} ai claude-code claude-opus-4-8 \w{8}\s+1\) a\(\);$/);
    expect(text[1]).toMatch(/^[0-9a-f]{8} human \S.* \d{4}-\d\d-\d\d\s+2\) B\(\);$/);
  });

  it('deleting a file the agent wrote counts its removed lines as human unless an agent removed them', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', lines('1', '2'));
    agent.write('b.txt', lines('1', '2', '3'));
    repo.commit('ai');
    agent.remove('a.txt');
    repo.sh('rm b.txt');
    repo.commit('removals');
    const files = show(repo).files;
    expect(files.find((f) => f.path === 'a.txt')).toMatchObject({ status: 'deleted', lines_removed: 2, ai_lines_removed: 2, human_lines_removed: 0 });
    expect(files.find((f) => f.path === 'b.txt')).toMatchObject({ status: 'deleted', lines_removed: 3, ai_lines_removed: 0, human_lines_removed: 3 });
  });

  it('bad arguments get clear messages', () => {
    const repo = makeRepo();
    const missing = repo.trace(['show', 'no-such-rev']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-rev is not a commit');
    const nofile = repo.trace(['blame', 'nope.txt']);
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toContain('nope.txt does not exist at HEAD');
    expect(nofile.stderr).not.toContain('fatal:');
  });
});

describe('reset --hard', () => {
  it('discards uncommitted attribution: lines retyped by hand afterwards are human', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    repo.git(['reset', '-q', '--hard']);
    expect(repo.read('a.txt')).toBe(lines('base'));
    repo.write('a.txt', lines('base', 'agent line'));
    repo.commit('retyped');
    expect(ranges(repo, 'a.txt')).toEqual([human(2, 2)]);
  });

  it('keeps uncommitted attribution through reset --mixed', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    repo.git(['add', 'a.txt']);
    repo.git(['reset', '-q']);
    repo.commit('kept');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId)]);
  });
});
