import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/commands/status.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { withStore } from '../support/store.js';

afterAll(cleanupTemps);

function statusOf(repo: TestRepo): StatusResult {
  const result = repo.trace(['status', '--json']);
  if (result.code !== 0) throw new Error(`trace status failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusResult;
}

const head = (repo: TestRepo, rev = 'HEAD') => repo.git(['rev-parse', rev]).stdout.trim();

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
    expect(status.hooks).toEqual({ agents: { 'claude-code': true }, git: { 'post-commit': true, 'post-rewrite': true, 'pre-push': false, 'reference-transaction': true } });
    expect(status.sessions).toHaveLength(1);
    expect(status.sessions[0]).toMatchObject({ id: agent.sessionId, agent: 'claude-code', model: 'claude-opus-4-8', active: true, prompts: 1, tool_calls: 2, file_edits: 2, files: ['a.ts', 'big.txt'] });
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
    // What a push would attest: the new commit and the initial one, which is not on the remote either.
    expect(after.pending_commits).toEqual([repo.git(['rev-parse', 'HEAD~1']).stdout.trim(), repo.git(['rev-parse', 'HEAD']).stdout.trim()]);
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

  it('does not count a failed Edit, and keeps a session’s edit counts after a push prunes its captures', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('a.ts', 'export const a = 1;\n');
    agent.edit('a.ts', 'text that is not there', 'x'); // Claude Code reports PostToolUseFailure
    agent.edit('a.ts', 'a = 1', 'a = 2');
    agent.write('b.ts', 'export const b = 1;\n');
    const before = statusOf(repo).sessions[0]!;
    expect(before).toMatchObject({ agent: 'claude-code', tool_calls: 4, file_edits: 3, files: ['a.ts', 'b.ts'] });

    repo.commit('a and b');
    repo.git(['push', '-q', 'origin', 'main']);
    withStore(repo, (store) => expect(store.capturedPaths()).toEqual([])); // the push pruned them
    const after = statusOf(repo);
    expect(after.sessions[0]).toMatchObject({ file_edits: 3, files: ['a.ts', 'b.ts'] });
    expect(after.pending_commits).toEqual([]);
  });

  it('counts the commits a push would attest: not those rewritten away, merges and commits made before init included', () => {
    const repo = makeRepo({ init: false });
    repo.git(['push', '-q', 'origin', 'main']);
    repo.write('before.txt', 'made before trace init\n');
    const beforeInit = repo.commit('before init');
    repo.trace(['init', '--yes']);
    repo.write('x.txt', 'one\n');
    const amended = repo.commit('x');
    repo.write('x.txt', 'one\ntwo\n');
    repo.git(['add', 'x.txt']);
    repo.git(['commit', '-q', '--amend', '-m', 'x, amended']);
    const x = head(repo);
    expect(x).not.toBe(amended);
    repo.git(['checkout', '-q', '-b', 'side', beforeInit]);
    repo.write('side.txt', 'side\n');
    const side = repo.commit('side');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'merge side', 'side']);
    const merge = head(repo);

    const status = statusOf(repo);
    expect(status.remote).toBe('origin');
    expect([...status.pending_commits].sort()).toEqual([beforeInit, x, side, merge].sort());
    expect(status.pending_commits).not.toContain(amended);
    expect(repo.trace(['status']).stdout).toContain('commits awaiting attestation: 4 (attested when pushed to origin)');

    repo.git(['push', '-q', 'origin', 'main']);
    expect(statusOf(repo).pending_commits).toEqual([]);
  });

  it('shows a session without an end event as active only for a while, then when it was last active', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start();
    expect(statusOf(repo).sessions[0]).toMatchObject({ active: true, ended_at: null });
    expect(repo.trace(['status']).stdout).toContain('(active)');

    const threeHoursAgo = new Date(Date.now() - 3 * 60 * 60 * 1000).toISOString();
    withStore(repo, (store) => store.db.prepare('UPDATE sessions SET updated_at = ?').run(threeHoursAgo));
    const idle = statusOf(repo).sessions[0]!;
    expect(idle).toMatchObject({ active: false, ended_at: null, last_activity_at: threeHoursAgo });
    const text = repo.trace(['status']).stdout;
    expect(text).toContain('(last active 3h ago)');
    expect(text).not.toContain('(active)');

    agent.end();
    expect(repo.trace(['status']).stdout).toMatch(/\(ended (just now|1 min ago)\)/);
  });

  it('shows each logged problem as one line, never a stack trace; --json keeps the whole message', () => {
    const repo = makeRepo();
    const stack = 'hook claude post-tool-use (session s1): Error: disk I/O error | at Store.write (/x/dist/store.js:1:1) | at capture (/x/dist/commands/hook.js:2:2)';
    repo.sh(`printf '%s\\n' ${JSON.stringify(`2026-11-20T10:00:00.000Z error ${stack}`)} >> .git/chainloop-trace/log.txt`);
    const text = repo.trace(['status']).stdout;
    const line = text.split('\n').find((l) => l.includes('disk I/O error'));
    expect(line).toBe('  2026-11-20T10:00:00.000Z error: hook claude post-tool-use (session s1): Error: disk I/O error');
    expect(text).not.toContain('at Store.write');
    expect(statusOf(repo).problems.at(-1)!.message).toBe(stack);
  });

  it('colours its text on request (FORCE_COLOR), never with NO_COLOR or into a pipe', () => {
    const repo = makeRepo();
    new FakeClaude(repo).start();
    // eslint-disable-next-line no-control-regex
    const escape = /\x1b\[/;
    expect(repo.trace(['status']).stdout).not.toMatch(escape);
    expect(repo.trace(['status'], { env: { FORCE_COLOR: '1' } }).stdout).toMatch(escape);
    expect(repo.trace(['status'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toMatch(escape);
    expect(repo.trace(['status', '--json'], { env: { FORCE_COLOR: '1' } }).stdout).not.toMatch(escape);
  });
});
