import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/commands/status.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

function transcript(sessionId: string): string {
  const base = { sessionId, cwd: '/w', version: '2.1.240', gitBranch: 'main', userType: 'external', isSidechain: false };
  return [
    { ...base, type: 'user', uuid: 'u1', timestamp: '2026-11-20T10:00:00.000Z', message: { role: 'user', content: 'add a flag' } },
    {
      ...base,
      type: 'assistant',
      uuid: 'a1',
      requestId: 'r1',
      timestamp: '2026-11-20T10:00:05.000Z',
      message: { id: 'm1', role: 'assistant', model: 'claude-opus-4-8', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/w/a.ts', content: 'x' } }], usage: { input_tokens: 1000, output_tokens: 2000, cache_read_input_tokens: 10000, cache_creation_input_tokens: 0 } },
    },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n');
}

describe('trace status', () => {
  it('shows sessions with their usage, uncommitted AI files, skipped captures, problems and hooks', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  capture:\n    maxFileBytes: 100\n');
    const agent = new FakeClaude(repo);
    mkdirSync(dirname(agent.transcriptPath), { recursive: true });
    writeFileSync(agent.transcriptPath, transcript(agent.sessionId));
    agent.start('claude-opus-4-8');
    agent.prompt('add a flag');
    agent.write('a.ts', 'export const a = 1;\n');
    agent.write('big.txt', 'x'.repeat(500));
    repo.trace(['hook', 'claude', 'pre-tool-use'], { input: '{broken' });
    rmSync(join(repo.dir, '.git', 'hooks', 'pre-push'));

    const result = repo.trace(['status', '--json']);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as StatusResult;
    expect(status.hooks).toEqual({ claude: true, git: { 'post-commit': true, 'post-rewrite': true, 'pre-push': false, 'reference-transaction': true } });
    expect(status.sessions).toHaveLength(1);
    expect(status.sessions[0]).toMatchObject({ id: agent.sessionId, agent: 'claude', model: 'claude-opus-4-8', active: true, prompts: 1, tool_calls: 2, file_edits: 2, files: ['a.ts', 'big.txt'] });
    // 1000 in × $5 + 2000 out × $25 + 10000 cache read × $0.50 per million tokens
    expect(status.sessions[0]!.usage).toEqual({ models: ['claude-opus-4-8'], input_tokens: 1000, output_tokens: 2000, cache_read_input_tokens: 10000, cache_creation_input_tokens: 0, estimated_cost_usd: 0.06 });
    expect(status.uncommitted_ai_files).toEqual(['a.ts', 'big.txt']);
    expect(status.skipped).toEqual([expect.objectContaining({ path: 'big.txt', reason: 'larger than 100 bytes (500)' })]);
    expect(status.problems.map((p) => p.message).join('\n')).toMatch(/malformed JSON payload/);

    const text = repo.trace(['status']).stdout;
    expect(text).toContain('git MISSING pre-push');
    expect(text).toContain('run `trace init`');
    expect(text).toContain('~$0.0600 estimated');

    repo.git(['add', 'a.ts']);
    repo.git(['commit', '-qm', 'a']);
    const after = JSON.parse(repo.trace(['status', '--json']).stdout) as StatusResult;
    expect(after.uncommitted_ai_files).toEqual(['big.txt']);
    expect(after.pending_commits).toHaveLength(1);
  });

  it('says how to set trace up in a repository without it', () => {
    const repo = makeRepo({ init: false });
    const result = repo.trace(['status']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('trace is not set up');
    expect(result.stderr).toContain('trace init');
  });

  it('reports a missing transcript as a warning, not a failure', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start();
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as StatusResult;
    expect(status.sessions[0]!.usage).toBeNull();
    expect(status.sessions[0]!.warnings.join('\n')).toMatch(/not found/);
  });
});
