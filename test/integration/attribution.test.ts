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
});
