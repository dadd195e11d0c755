// Git stays fast with trace's hooks (issue 17): attribution runs after git's hook returns, every
// reader settles it first, and a rebase sets aside the hooks git would run for each of its commits.
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LineRange } from '../../src/core/types.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, run, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

const lines = (...items: string[]) => items.map((item) => `${item}\n`).join('');

function show(repo: TestRepo, rev = 'HEAD'): { sha: string; captured: boolean; files: { path: string; lines: LineRange[] }[] } {
  const result = repo.trace(['show', rev, '--json']);
  if (result.code !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as never;
}

const ranges = (repo: TestRepo, path: string, rev = 'HEAD') => show(repo, rev).files.find((f) => f.path === path)?.lines;

function queue(repo: TestRepo): string[] {
  const dir = join(repo.dir, '.git', 'chainloop-trace', 'queue');
  return existsSync(dir) ? readdirSync(dir) : [];
}

const hooks = (repo: TestRepo) =>
  readdirSync(join(repo.dir, '.git', 'hooks'))
    .filter((name) => !name.endsWith('.sample') && name !== '.trace-paused')
    .sort();
/** Trace's hooks a rebase set aside: moved into .trace-paused/ together. */
const paused = (repo: TestRepo) => readdirSync(join(repo.dir, '.git', 'hooks', '.trace-paused')).sort();

/** A `trace` first on the PATH that does nothing for `git-hook settle`: the queue then waits for a reader. */
function withoutDetachedSettle(repo: TestRepo): NodeJS.ProcessEnv {
  const bin = join(repo.home, 'no-settle-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'trace'), `#!/bin/sh\n[ "$1 $2" = "git-hook settle" ] && exit 0\necho "unexpected: trace $*" >&2\nexit 1\n`);
  chmodSync(join(bin, 'trace'), 0o755);
  return { ...repo.env, PATH: `${bin}:${repo.env.PATH ?? ''}` };
}

function git(repo: TestRepo, args: string[], env: NodeJS.ProcessEnv): string {
  const result = run('git', args, { cwd: repo.dir, env });
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

describe('git commit', () => {
  it('returns before the attribution, which the next reader finishes first', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.start();
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    const env = withoutDetachedSettle(repo);
    git(repo, ['commit', '-qam', 'agent work'], env);
    // The hook only queued the commit: no trace process ran but the (stubbed) detached one.
    expect(queue(repo)).toHaveLength(1);
    expect(ranges(repo, 'a.txt')).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: agent.sessionId }]);
    expect(show(repo).captured).toBe(true);
    expect(queue(repo)).toEqual([]);
  });

  it('trace sessions attributes a queued commit first: the session lists its AI lines at once', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.start();
    agent.edit('a.txt', 'base\n', 'base\nagent line\nand another\n');
    git(repo, ['commit', '-qam', 'agent work'], withoutDetachedSettle(repo));
    expect(queue(repo)).toHaveLength(1);
    const list = repo.trace(['sessions', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout) as { sessions: { id: string; code: { commits: number; ai_lines_added: number } }[] };
    expect(page.sessions.find((s) => s.id === agent.sessionId)?.code).toMatchObject({ commits: 1, ai_lines_added: 2 });
    expect(queue(repo)).toEqual([]);
  });

  it('changes captured after the commit are not the commit’s, however late the attribution runs', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.start();
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    git(repo, ['commit', '-qam', 'agent work'], withoutDetachedSettle(repo));
    // The agent goes on before the queue is settled: it rewrites the line it just committed.
    agent.edit('a.txt', 'agent line\n', 'agent line, reworked\n');
    expect(ranges(repo, 'a.txt')).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: agent.sessionId }]);
  });

  it('settles in a detached trace: the commit is attributed without any reader', async () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    repo.git(['commit', '-qam', 'agent work']);
    for (let i = 0; i < 150 && queue(repo).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queue(repo)).toEqual([]);
    expect(ranges(repo, 'a.txt')).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: agent.sessionId }]);
  });

  it('an amend queued after its commit is attributed after it, keeping the agent lines', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent line\n');
    const env = withoutDetachedSettle(repo);
    git(repo, ['commit', '-qam', 'agent work'], env);
    repo.write('a.txt', lines('base', 'agent line', 'human line'));
    git(repo, ['commit', '-q', '--amend', '-am', 'agent work, amended'], env);
    expect(queue(repo)).toHaveLength(3);
    expect(ranges(repo, 'a.txt')).toEqual([
      { start: 2, end: 2, attribution: 'ai', session_id: agent.sessionId },
      { start: 3, end: 3, attribution: 'human' },
    ]);
  });
});

describe('git rebase', () => {
  function branch() {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base'), 'other.txt': lines('main') } });
    const agent = new FakeClaude(repo);
    agent.start();
    repo.git(['checkout', '-q', '-b', 'feature']);
    for (let i = 1; i <= 3; i++) {
      agent.write(`f${i}.txt`, lines(`agent ${i}`));
      repo.commit(`feature ${i}`);
    }
    repo.git(['checkout', '-q', 'main']);
    repo.write('other.txt', lines('main', 'moved on'));
    repo.commit('main moves on');
    repo.git(['checkout', '-q', 'feature']);
    return { repo, agent };
  }

  it('sets aside post-commit and reference-transaction while it runs, and puts them back at its end', () => {
    const { repo, agent } = branch();
    const seen = join(repo.home, 'hooks-during-rebase');
    repo.git(['-c', `sequence.editor=sed -i -e '2 s/^pick/exec ls .git\\/hooks >${seen.replace(/\//g, '\\/')}\\n&/'`, 'rebase', '-q', '-i', 'main']);
    const during = run('cat', [seen], { cwd: repo.dir, env: repo.env }).stdout.split('\n');
    expect(during).toEqual(expect.arrayContaining(['post-rewrite', 'pre-push']));
    expect(during).not.toContain('post-commit');
    expect(during).not.toContain('reference-transaction');
    expect(hooks(repo)).toEqual(['post-commit', 'post-rewrite', 'pre-push', 'reference-transaction']);
    expect(paused(repo)).toEqual([]);
    for (let i = 1; i <= 3; i++) expect(ranges(repo, `f${i}.txt`, `HEAD~${3 - i}`)).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
  });

  it('a squashing rebase sets them aside at its first ref update, before any commit, and attributes the squashed commit', () => {
    const { repo, agent } = branch();
    const seen = join(repo.home, 'hooks-before-first-pick');
    // An exec first in the todo runs after the checkout of the new base and before any commit.
    const editor = `sed -i -e '2,$ s/^pick/squash/' -e '1 s/^/exec ls .git\\/hooks >${seen.replace(/\//g, '\\/')}\\n/'`;
    git(repo, ['-c', `sequence.editor=${editor}`, 'rebase', '-q', '-i', 'main'], { ...repo.env, GIT_EDITOR: 'true' });
    const before = run('cat', [seen], { cwd: repo.dir, env: repo.env }).stdout.split('\n');
    expect(before).toEqual(expect.arrayContaining(['post-rewrite', 'pre-push']));
    expect(before).not.toContain('post-commit');
    expect(before).not.toContain('reference-transaction');
    expect(git(repo, ['rev-list', '--count', 'main..HEAD'], repo.env).trim()).toBe('1');
    expect(hooks(repo)).toEqual(['post-commit', 'post-rewrite', 'pre-push', 'reference-transaction']);
    for (let i = 1; i <= 3; i++) expect(ranges(repo, `f${i}.txt`)).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
  });

  it('a commit made by hand at a stop is attributed with the rebase', () => {
    const { repo, agent } = branch();
    repo.git(['-c', "sequence.editor=sed -i -e '2 s/^pick/edit/'", 'rebase', '-q', '-i', 'main']);
    agent.write('g.txt', lines('agent at the stop'));
    repo.commit('made at the stop');
    repo.git(['rebase', '--continue']);
    expect(ranges(repo, 'g.txt', 'HEAD~1')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(show(repo, 'HEAD~1').captured).toBe(true);
  });

  it('after an aborted rebase, the next trace command puts the hooks back and attributes the commits made meanwhile', () => {
    const { repo, agent } = branch();
    repo.git(['-c', "sequence.editor=sed -i -e '3 s/^pick/edit/'", 'rebase', '-q', '-i', 'main']);
    expect(hooks(repo)).not.toContain('post-commit');
    expect(paused(repo)).toEqual(['post-commit', 'reference-transaction']);
    repo.git(['rebase', '--abort']);
    agent.write('h.txt', lines('agent after the abort'));
    repo.commit('after the abort');
    expect(ranges(repo, 'h.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(show(repo).captured).toBe(true);
    expect(hooks(repo)).toEqual(['post-commit', 'post-rewrite', 'pre-push', 'reference-transaction']);
  });

  it('a reset --hard after an aborted rebase still discards the agent lines once the hooks are back', () => {
    const { repo, agent } = branch();
    repo.git(['-c', "sequence.editor=sed -i -e '3 s/^pick/edit/'", 'rebase', '-q', '-i', 'main']);
    repo.git(['rebase', '--abort']);
    expect(repo.trace(['status']).code).toBe(0);
    agent.write('f1.txt', lines('agent 1', 'uncommitted agent line'));
    repo.git(['reset', '-q', '--hard']);
    repo.write('f1.txt', lines('agent 1', 'uncommitted agent line'));
    repo.commit('retyped');
    expect(ranges(repo, 'f1.txt')).toEqual([{ start: 2, end: 2, attribution: 'human' }]);
  });
});

describe('trace blame in a history with a large commit made without capture', () => {
  interface Line {
    line: number;
    attribution: string;
    session_id: string | null;
    captured: boolean;
  }
  const blameOf = (repo: TestRepo, path: string) => {
    const result = repo.trace(['blame', path, '--json']);
    if (result.code !== 0) throw new Error(result.stderr);
    return (JSON.parse(result.stdout) as { lines: Line[] }).lines;
  };

  it('attributes the lines of the blamed file, renamed in that commit too, as a whole attribution would', () => {
    const repo = makeRepo({ initialFiles: { 'old.ts': lines('one', 'two') } });
    const agent = new FakeClaude(repo);
    agent.start();
    // Made without trace's hooks: a rename with an agent line, an agent file, and many other files.
    repo.git(['mv', 'old.ts', 'renamed.ts']);
    agent.edit('renamed.ts', 'two\n', 'two\nagent three\n');
    agent.write('small.ts', lines('agent a', 'agent b'));
    for (let i = 0; i < 300; i++) repo.write(`vendor/v${i}.ts`, lines(`export const v${i} = ${i};`));
    repo.git(['add', '-A']);
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'large, without capture']);
    const whole = show(repo);
    expect(whole.captured).toBe(false);
    for (const path of ['renamed.ts', 'small.ts']) {
      const ranges = whole.files.find((f) => f.path === path)!.lines;
      const blamed = blameOf(repo, path);
      for (const line of blamed) {
        if (line.attribution === 'ai') expect(ranges.some((r) => r.attribution === 'ai' && r.start <= line.line && line.line <= r.end)).toBe(true);
      }
      expect(blamed.filter((l) => l.attribution === 'ai').length).toBe(path === 'small.ts' ? 2 : 1);
    }
    expect(blameOf(repo, 'renamed.ts').map((l) => l.attribution)).toEqual(['human', 'human', 'ai']);
    expect(blameOf(repo, 'small.ts').every((l) => l.session_id === agent.sessionId && !l.captured)).toBe(true);
  });
});
