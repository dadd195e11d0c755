// Issue 9, capture honesty: killed post hooks, paths that escape the repository, files over the size
// cap, `git worktree add` and discards by `git restore`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude, useLegacyClaudeSettings } from '../support/claude.js';
import { cleanupTemps, makeRepo, TRACE_BIN, type TestRepo } from '../support/repo.js';
import { withStore } from '../support/store.js';

afterAll(cleanupTemps);

function lines(count: number, prefix: string): string {
  return Array.from({ length: count }, (_, i) => `${prefix} line ${i + 1}`).join('\n') + '\n';
}

/** The attribution post-commit stored for `sha`: each file's ranges. */
function attributed(repo: TestRepo, sha: string) {
  return withStore(repo, (store) => store.commit(sha)!.files);
}

function log(repo: TestRepo): string {
  const file = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** A Write whose PostToolUse hook is started and killed with SIGKILL `afterMs` later, or never run. */
async function writeWithKilledPost(agent: FakeClaude, repo: TestRepo, path: string, content: string, post: { killAfterMs: number } | 'never'): Promise<void> {
  const file = join(repo.dir, path);
  const base = { tool_name: 'Write', tool_input: { file_path: file, content }, tool_use_id: `toolu_killed_${Math.random().toString(36).slice(2)}` };
  agent.fire('PreToolUse', base);
  repo.write(path, content);
  if (post === 'never') return;
  const payload = JSON.stringify({ session_id: agent.sessionId, transcript_path: agent.transcriptPath, cwd: repo.dir, hook_event_name: 'PostToolUse', ...base, tool_response: { type: 'create', filePath: file, content } });
  const child = spawn(process.execPath, [TRACE_BIN, 'hook', 'claude', 'post-tool-use'], { cwd: repo.dir, env: repo.env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  setTimeout(() => child.kill('SIGKILL'), post.killAfterMs);
  // The payload is sent after the kill is armed: the hook may die before, while or after reading it.
  child.stdin.end(payload);
  expect(await exited).toBe('SIGKILL');
}

// A pre hook's record is what credits a call whose post hook never came: these run with the pre hook
// on Write and Edit, as installs made before those tools lost it (current installs keep it for
// MultiEdit, NotebookEdit and Bash).
describe('a post hook that never came', () => {
  for (const post of [{ killAfterMs: 0 }, 'never'] as const) {
    it(`credits the call's change to its session and warns (post hook ${post === 'never' ? 'never run' : 'killed with SIGKILL'})`, async () => {
      const repo = makeRepo();
      repo.git(['push', '-q', 'origin', 'main']);
      useLegacyClaudeSettings(repo.dir);
      const agent = new FakeClaude(repo);
      agent.start();
      await writeWithKilledPost(agent, repo, 'big.txt', lines(2000, 'agent'), post);
      const sha = repo.commit('agent work');
      const file = attributed(repo, sha).find((f) => f.path === 'big.txt')!;
      expect(file.lines).toEqual([{ start: 1, end: 2000, attribution: 'ai', session_id: agent.sessionId }]);
      expect(file.human_lines_added).toBe(0);
      repo.git(['push', '-q', 'origin', 'main']);
      const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
      const session = statement.predicate.sessions[0] as unknown as { session: { id: string }; warnings: string[] };
      expect(session.session.id).toBe(agent.sessionId);
      expect(session.warnings.join('\n')).toMatch(/post-tool-use hook never came for Write .*big\.txt up to the commit/);
    });
  }

  it('ends the killed call at the next call of the session on that file, which keeps its own change', async () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'kept\n' } });
    useLegacyClaudeSettings(repo.dir);
    const agent = new FakeClaude(repo);
    agent.start();
    await writeWithKilledPost(agent, repo, 'a.txt', 'kept\n' + lines(3, 'first'), { killAfterMs: 0 });
    agent.edit('a.txt', 'first line 3\n', 'first line 3\nsecond call\n');
    repo.write('a.txt', repo.read('a.txt') + 'typed by hand\n');
    const sha = repo.commit('work');
    expect(attributed(repo, sha).find((f) => f.path === 'a.txt')!.lines).toEqual([
      { start: 2, end: 5, attribution: 'ai', session_id: agent.sessionId },
      { start: 6, end: 6, attribution: 'human' },
    ]);
    expect(log(repo)).toMatch(/never got its post-tool-use hook/);
    const calls = withStore(repo, (store) => store.toolCalls(agent.sessionId).map((c) => [c.tool_name, c.status]));
    expect(calls).toEqual([['Write', 'failed'], ['Edit', 'done']]);
  });
});

describe('paths the hooks are given', () => {
  it('refuses a file reached through a symlinked directory that leaves the repository', () => {
    const repo = makeRepo();
    const outside = join(repo.home, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET CONTENT\n');
    symlinkSync(outside, join(repo.dir, 'link'));
    const agent = new FakeClaude(repo);
    agent.edit('link/secret.txt', 'TOP SECRET CONTENT\n', 'TOP SECRET CONTENT\nmore\n');
    const stored = withStore(repo, (store) => {
      const blobs = (store.db.prepare('SELECT oid FROM blobs').all() as { oid: string }[]).map((row) => store.getBlob(row.oid).toString('utf8'));
      return { blobs, changes: store.changesForPath('link/secret.txt').map((c) => [c.before_state, c.after_state, c.skipped]) };
    });
    expect(stored.blobs.join('\n')).not.toContain('TOP SECRET');
    expect(stored.changes).toEqual([['skipped', 'skipped', expect.stringMatching(/outside the repository/)]]);
    expect(log(repo)).toMatch(/link\/secret\.txt skipped: resolves through a symbolic link to .*outside, outside the repository/);
  });

  it("refuses a payload whose cwd is another initialised repository than the hook's", () => {
    const repo = makeRepo();
    const other = makeRepo();
    const agent = new FakeClaude(repo);
    const file = join(other.dir, 'planted.txt');
    const base = { tool_name: 'Write', tool_input: { file_path: file, content: 'planted\n' }, tool_use_id: 'toolu_cwd' };
    const payload = (event: string, extra: object = {}) => JSON.stringify({ session_id: agent.sessionId, transcript_path: agent.transcriptPath, cwd: other.dir, hook_event_name: event, ...base, ...extra });
    agent.fire('PreToolUse', base, { raw: payload('PreToolUse') });
    other.write('planted.txt', 'planted\n');
    agent.fire('PostToolUse', base, { raw: payload('PostToolUse', { tool_response: { type: 'create' } }) });
    expect(withStore(other, (store) => store.session(agent.sessionId))).toBeUndefined();
    expect(withStore(other, (store) => store.changesForPath('planted.txt'))).toEqual([]);
    // The Write was spooled where the hook ran; taking it in refuses it there.
    expect(withStore(repo, (store) => store.session(agent.sessionId))).toBeUndefined();
    expect(log(repo)).toMatch(new RegExp(`not captured: the payload's cwd ${other.dir} is in the repository`));
  });
});

describe('files over trace.capture.maxFileBytes', () => {
  it('attests an agent write over the cap as unknown, with a warning, and maxAiShare counts it', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  capture:\n    maxFileBytes: 1000\n');
    const base = repo.commit('small cap');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('big.txt', lines(100, 'generated by the agent'));
    repo.write('notes.md', 'typed by hand\n');
    const sha = repo.commit('one large file');
    const files = attributed(repo, sha);
    expect(files.find((f) => f.path === 'big.txt')).toMatchObject({ ai_lines_added: 0, human_lines_added: 0, unknown_lines_added: 100, lines: [{ start: 1, end: 100, attribution: 'unknown' }] });
    expect(files.find((f) => f.path === 'notes.md')).toMatchObject({ human_lines_added: 1, lines: [{ start: 1, end: 1, attribution: 'human' }] });
    expect(repo.trace(['show', sha]).stdout).toMatch(/unknown 100/);
    expect(repo.trace(['blame', 'big.txt']).stdout.split('\n')[0]).toMatch(/ unknown /);

    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const big = statement.predicate.commits[0]!.files.find((f) => f.path === 'big.txt')!;
    expect(big.lines).toEqual([{ start: 1, end: 100, attribution: 'unknown' }]);
    expect(big.unknown_lines_added).toBe(100);
    expect(statement.predicate.commits[0]!.session_ids).toEqual([agent.sessionId]);
    expect((statement.predicate.sessions[0] as unknown as { session: { id: string } }).session.id).toBe(agent.sessionId);
    expect(statement.predicate.warnings.join('\n')).toMatch(/big\.txt \(commit [0-9a-f]{12}\): 100 added line\(s\) attributed unknown: .*larger than 1000 bytes/);

    const policy = join(repo.home, 'policy.yml');
    writeFileSync(policy, 'maxAiShare:\n  perCommit: 0.5\n');
    const run = repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--policy', policy, '--json']);
    const result = JSON.parse(run.stdout) as { violations: { rule: string; evidence: string }[]; commits: { sha: string; failures: string[] }[] };
    expect(result.commits.flatMap((c) => c.failures).filter((f) => !/policy/.test(f))).toEqual([]);
    expect(run.code).toBe(1);
    expect(result.violations.map((v) => v.rule)).toEqual(['maxAiShare.perCommit']);
    expect(result.violations[0]!.evidence).toMatch(/^100 of 101 added lines .*100 of them of unknown author/);
  });
});

describe('worktrees and discards', () => {
  it('git worktree add leaves the uncommitted agent lines of the main work tree alone', () => {
    const repo = makeRepo({ initialFiles: { 'app.ts': 'export {};\n' } });
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('app.ts', 'export {};\nexport const feature = 1;\n');
    repo.git(['worktree', 'add', '-q', join(repo.home, 'wt')]);
    expect(log(repo)).not.toMatch(/git reset: /);
    const sha = repo.commit('feature');
    expect(attributed(repo, sha).find((f) => f.path === 'app.ts')!.lines).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: agent.sessionId }]);
  });

  it('a git reset in the main work tree still discards the agent lines', () => {
    const repo = makeRepo({ initialFiles: { 'app.ts': 'export {};\n' } });
    const agent = new FakeClaude(repo);
    agent.write('app.ts', 'export {};\nexport const feature = 1;\n');
    repo.git(['reset', '-q', '--hard']);
    repo.write('app.ts', 'export {};\nexport const feature = 1;\n');
    const sha = repo.commit('retyped');
    expect(attributed(repo, sha).find((f) => f.path === 'app.ts')!.lines).toEqual([{ start: 2, end: 2, attribution: 'human' }]);
  });

  for (const discard of [['restore', 'app.ts'], ['checkout', '--', 'app.ts']]) {
    it(`git ${discard.join(' ')} is seen at the next prompt: lines retyped by hand are human`, () => {
      const repo = makeRepo({ initialFiles: { 'app.ts': 'export {};\n' } });
      const agent = new FakeClaude(repo);
      agent.start();
      agent.write('app.ts', 'export {};\nexport const feature = 1;\n');
      repo.git(discard);
      agent.prompt('never mind, I will write it myself');
      repo.write('app.ts', 'export {};\nexport const feature = 1;\n');
      const sha = repo.commit('typed by hand');
      expect(attributed(repo, sha).find((f) => f.path === 'app.ts')!.lines).toEqual([{ start: 2, end: 2, attribution: 'human' }]);
      expect(log(repo)).toMatch(/1 agent-written file\(s\) changed outside the agent/);
    });
  }

  it('a discard seen at a commit of other files: lines retyped later are human', () => {
    const repo = makeRepo({ initialFiles: { 'app.ts': 'export {};\n' } });
    const agent = new FakeClaude(repo);
    agent.write('app.ts', 'export {};\nexport const feature = 1;\n');
    repo.git(['restore', 'app.ts']);
    repo.write('notes.md', 'notes\n');
    repo.commit('notes', ['notes.md']);
    repo.write('app.ts', 'export {};\nexport const feature = 1;\n');
    const sha = repo.commit('typed by hand');
    expect(attributed(repo, sha).find((f) => f.path === 'app.ts')!.lines).toEqual([{ start: 2, end: 2, attribution: 'human' }]);
  });
});
