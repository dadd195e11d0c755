import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo, run, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

/** A traced repository (init committed and pushed) and a fresh clone of it where `trace init` never ran. */
function tracedClone(): { repo: TestRepo; clone: string } {
  const repo = makeRepo();
  repo.commit('trace');
  repo.git(['push', '-q', 'origin', 'main']);
  const clone = join(repo.home, 'clone');
  repo.git(['clone', '-q', repo.remote, clone]);
  expect(existsSync(join(clone, '.git', 'chainloop-trace'))).toBe(false);
  return { repo, clone };
}

const state = (clone: string) => join(clone, '.git', 'chainloop-trace');
const setupLines = (clone: string) => readFileSync(join(state(clone), 'log.txt'), 'utf8').split('\n').filter((line) => line.includes('auto-setup:'));

function hook(repo: TestRepo, clone: string, event: string, extra: Record<string, unknown> = {}) {
  const payload = { session_id: 'sess-1', transcript_path: join(repo.home, 't.jsonl'), cwd: clone, hook_event_name: 'SessionStart', source: 'startup', model: 'claude-opus-4-8', ...extra };
  return repo.trace(['hook', 'claude', event], { cwd: clone, input: JSON.stringify(payload) });
}

describe('auto-setup in a clone of a traced repository', () => {
  it('is done by the first agent hook, logged once, and the hook is captured', () => {
    const { repo, clone } = tracedClone();
    const first = hook(repo, clone, 'session-start');
    expect(first).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(state(clone), 'trace.db'))).toBe(true);
    expect(readFileSync(join(clone, '.git', 'hooks', 'pre-push'), 'utf8')).toContain('chainloop-trace managed hook');
    hook(repo, clone, 'user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: 'hi', prompt_id: 'p1' });
    expect(setupLines(clone)).toHaveLength(1);
    expect(setupLines(clone)[0]).toContain('git config trace.autoInit false');
    const status = JSON.parse(repo.trace(['status', '--json'], { cwd: clone }).stdout) as { sessions: { id: string }[] };
    expect(status.sessions.map((s) => s.id)).toEqual(['sess-1']);
  });

  it('is done by the first trace command', () => {
    const { repo, clone } = tracedClone();
    const status = repo.trace(['status'], { cwd: clone });
    expect(status.code).toBe(0);
    expect(existsSync(join(state(clone), 'trace.db'))).toBe(true);
    expect(existsSync(join(clone, '.git', 'hooks', 'post-commit'))).toBe(true);
    expect(setupLines(clone)).toHaveLength(1);
  });

  it('is done by a git hook committed in a versioned hooks folder (husky)', () => {
    const repo = makeRepo({ init: false });
    repo.git(['config', 'core.hooksPath', '.husky']);
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    repo.commit('trace, hooks in .husky');
    repo.git(['push', '-q', 'origin', 'main']);
    const clone = join(repo.home, 'clone');
    repo.git(['clone', '-q', repo.remote, clone]);
    repo.git(['config', 'core.hooksPath', '.husky'], { cwd: clone });
    writeFileSync(join(clone, 'd.txt'), 'd\n');
    repo.git(['add', 'd.txt'], { cwd: clone });
    repo.git(['commit', '-qm', 'd'], { cwd: clone });
    expect(existsSync(join(state(clone), 'trace.db'))).toBe(true);
    expect(setupLines(clone)).toHaveLength(1);
    const show = JSON.parse(repo.trace(['show', '--json'], { cwd: clone }).stdout) as unknown;
    expect(JSON.stringify(show)).toContain('d.txt');
  });

  it('is not done in a repository without a committed .chainloop.yml', () => {
    const repo = makeRepo({ init: false });
    expect(hook(repo, repo.dir, 'session-start').code).toBe(0);
    expect(existsSync(state(repo.dir))).toBe(false);
    expect(repo.trace(['status']).code).toBe(2);
  });

  it('is not done when the person opted out, per repository or globally', () => {
    const { repo, clone } = tracedClone();
    repo.git(['config', 'trace.autoInit', 'false'], { cwd: clone });
    expect(hook(repo, clone, 'session-start')).toEqual({ code: 0, stdout: '', stderr: '' });
    // Remembered, so the next hooks do not spawn a setup on every tool call.
    expect(existsSync(join(clone, '.git', 'chainloop-trace-auto-init-off'))).toBe(true);
    expect(repo.trace(['status'], { cwd: clone }).code).toBe(2);
    expect(existsSync(state(clone))).toBe(false);

    const other = tracedClone();
    other.repo.git(['config', '--global', 'trace.autoInit', 'false']);
    expect(hook(other.repo, other.clone, 'session-start').code).toBe(0);
    expect(other.repo.trace(['status'], { cwd: other.clone }).code).toBe(2);
    expect(existsSync(state(other.clone))).toBe(false);
    other.repo.git(['config', '--global', 'trace.autoInit', 'true']);
    expect(other.repo.trace(['status'], { cwd: other.clone }).code).toBe(0);
  });

  it('says once, on the first push, that pushes attach attestations, how to opt out, and how to onboard a new key', () => {
    const { repo, clone } = tracedClone();
    // A teammate: same repository, their own signing key.
    const env = { ...repo.env, XDG_CONFIG_HOME: join(repo.home, 'teammate-config') };
    const trace = (args: string[]) => repo.trace(args, { cwd: clone, env });
    expect(trace(['status']).code).toBe(0);
    const git = (args: string[]) => run('git', args, { cwd: clone, env });
    const commitAndPush = (file: string) => {
      run('sh', ['-c', `echo x > ${file}`], { cwd: clone, env });
      expect(git(['add', file]).code).toBe(0);
      expect(git(['commit', '-qm', file]).code).toBe(0);
      return git(['push', '-q', 'origin', 'main']);
    };
    const first = commitAndPush('a.txt');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('this push attaches signed');
    expect(first.stderr).toContain('git config trace.autoInit false');
    expect(first.stderr).toContain('trace uninstall');
    expect(first.stderr).toMatch(/Your signing key [0-9a-f]{16} is not in \.chainloop\/keys\//);
    expect(first.stderr).toContain('trace keys add');
    const second = commitAndPush('b.txt');
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('this push attaches');
  });

  it('does not show the notice after an explicit trace init', () => {
    const { repo, clone } = tracedClone();
    expect(repo.trace(['init', '--yes'], { cwd: clone }).code).toBe(0);
    repo.write('../home/clone/c.txt', 'c\n');
    repo.git(['add', 'c.txt'], { cwd: clone });
    repo.git(['commit', '-qm', 'c'], { cwd: clone });
    const push = repo.git(['push', '-q', 'origin', 'main'], { cwd: clone });
    expect(push.stderr).not.toContain('this push attaches');
  });
});

describe('trace uninstall in a traced clone', () => {
  it('says that the committed .chainloop.yml would set trace up again, and how to keep it off', () => {
    const { repo, clone } = tracedClone();
    expect(repo.trace(['status'], { cwd: clone }).code).toBe(0);
    const result = repo.trace(['uninstall', '--yes'], { cwd: clone });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('trace sets itself up again in this clone unless you run `git config trace.autoInit false`');
    expect(existsSync(state(clone))).toBe(false);
    // Opting out is personal: the team's committed files are left as they are.
    expect(repo.git(['status', '--porcelain'], { cwd: clone }).stdout).toBe('');
    expect(existsSync(join(clone, '.git', 'hooks', 'pre-push'))).toBe(false);
  });
});
