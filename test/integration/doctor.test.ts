import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useLegacyClaudeSettings } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix: string | null;
  diff?: string;
}

/** A repository set up as a team would have it: init committed, pushed with its attestation. */
function healthy(): TestRepo {
  const repo = makeRepo();
  repo.commit('trace');
  repo.git(['push', '-q', 'origin', 'main']);
  return repo;
}

function doctor(repo: TestRepo, env: NodeJS.ProcessEnv = {}): { code: number; checks: Check[]; stderr: string } {
  const result = repo.trace(['doctor', '--json'], { env });
  return { code: result.code, checks: (JSON.parse(result.stdout) as { checks: Check[] }).checks, stderr: result.stderr };
}

const find = (checks: Check[], id: string) => checks.find((check) => check.id === id)!;

describe('trace doctor', () => {
  it('finds nothing wrong in a healthy repository', () => {
    const repo = healthy();
    const { code, checks } = doctor(repo);
    expect(checks.filter((check) => check.status !== 'ok')).toEqual([]);
    expect(code).toBe(0);
    expect(checks.map((check) => check.id)).toEqual(['trace-on-path', 'agent-hooks:claude-code', 'git-hooks', 'config', 'signing-key', 'notes', 'pending', 'state-dir', 'store', 'lanes']);
    const text = repo.trace(['doctor']);
    expect(text.stdout).toContain('trace is set up correctly');
  });

  it("finds Claude Code's shell lanes missing or stale; trace init writes them", () => {
    const repo = healthy();
    const lanes = join(repo.dir, '.git', 'chainloop-trace', 'lanes');
    rmSync(join(lanes, 'claude-pre-tool-use.sh'));
    writeFileSync(join(lanes, 'claude-post-tool-use.sh'), '# an older lane\n');
    const { code, checks } = doctor(repo);
    expect(code).toBe(0);
    expect(find(checks, 'lanes')).toMatchObject({ status: 'warn', message: expect.stringContaining('claude-pre-tool-use.sh, claude-post-tool-use.sh') as unknown });
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    expect(find(doctor(repo).checks, 'lanes').status).toBe('ok');
  });

  it('finds trace missing from the PATH the agents see', () => {
    const repo = healthy();
    const { code, checks } = doctor(repo, { PATH: '/usr/bin:/bin' });
    expect(code).toBe(1);
    expect(find(checks, 'trace-on-path')).toMatchObject({ status: 'fail', fix: expect.stringContaining('PATH') as unknown });
  });

  it('finds a git hook script written by another version, and shows the difference', () => {
    const repo = healthy();
    const hook = join(repo.dir, '.git', 'hooks', 'post-commit');
    writeFileSync(hook, `${repo.read('.git/hooks/post-commit')}echo old\n`);
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    const check = find(checks, 'git-hooks');
    expect(check.status).toBe('fail');
    expect(check.message).toContain('written by another version: post-commit');
    expect(check.diff).toContain('-echo old');
  });

  it("finds a hook of trace left in .git/hooks while core.hooksPath points elsewhere", () => {
    const repo = healthy();
    repo.git(['config', 'core.hooksPath', '.husky']);
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    expect(find(checks, 'git-hooks').message).toContain('.husky (husky)');
    expect(find(checks, 'git-hooks-stray')).toMatchObject({ status: 'fail' });
    expect(find(checks, 'git-hooks-stray').message).toContain('core.hooksPath points git at .husky');
  });

  it('finds a missing or outdated agent hook config', () => {
    const repo = healthy();
    const settings = repo.read('.claude/settings.json');
    repo.write('.claude/settings.json', settings.replace('if command -v trace >/dev/null 2>&1; then trace hook claude pre-tool-use; fi', 'trace hook claude pre-tool-use'));
    const outdated = doctor(repo);
    expect(outdated.code).toBe(1);
    expect(find(outdated.checks, 'agent-hooks:claude-code').message).toContain('incomplete or of an older form');
    expect(find(outdated.checks, 'agent-hooks:claude-code').diff).toContain('+');
    // Settings from before Write and Edit lost their pre hook: still working, and `trace init` moves them on.
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    useLegacyClaudeSettings(repo.dir);
    const legacy = find(doctor(repo).checks, 'agent-hooks:claude-code');
    expect(legacy.message).toContain('incomplete or of an older form');
    expect(legacy.diff).toContain('+        "matcher": "MultiEdit|NotebookEdit",');
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    expect(find(doctor(repo).checks, 'agent-hooks:claude-code').status).toBe('ok');
    rmSync(join(repo.dir, '.claude'), { recursive: true });
    const missing = doctor(repo);
    expect(missing.code).toBe(1);
    expect(find(missing.checks, 'agent-hooks')).toMatchObject({ status: 'fail', message: expect.stringContaining('no agent has trace') as unknown });
  });

  it('finds every problem of an invalid .chainloop.yml', () => {
    const repo = healthy();
    repo.write('.chainloop.yml', 'requireTrace: maybe\npolices: []\ntrace:\n  colour: blue\n');
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    const check = find(checks, 'config');
    expect(check.status).toBe('fail');
    expect(check.message).toContain('requireTrace');
    expect(check.message).toContain('colour');
  });

  it('finds a local signing key that the remote default branch does not trust', () => {
    const repo = healthy();
    repo.git(['rm', '-q', '-r', '.chainloop/keys']);
    repo.git(['commit', '-qm', 'drop keys']);
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    const check = find(checks, 'signing-key');
    expect(check.status).toBe('fail');
    expect(check.message).toContain('not in .chainloop/keys/ on origin/main');
    expect(check.fix).toContain('trace keys add');
  });

  it('tells a key exported here but not merged on the default branch from a key never exported', () => {
    const repo = healthy();
    const exported = repo.git(['ls-files', '.chainloop/keys']).stdout.trim();
    repo.git(['rm', '-q', '--cached', '-r', '.chainloop/keys']);
    repo.git(['commit', '-qm', 'keys not merged yet']);
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    const check = find(checks, 'signing-key');
    expect(check.message).toContain(`is in ${exported} here but not on origin/main`);
    expect(check.fix).toBe(`commit ${exported} and have a maintainer merge that change into the default branch`);
  });

  it('finds attestations made here that were never pushed', () => {
    const repo = healthy();
    repo.git(['push', '-q', 'origin', ':refs/notes/chainloop-trace']);
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    expect(find(checks, 'notes')).toMatchObject({ status: 'fail', fix: 'git push origin refs/notes/chainloop-trace' });
  });

  it('says why commits await attestation: the last pre-push error', () => {
    const repo = healthy();
    repo.write('c.txt', 'c\n');
    repo.commit('c');
    writeFileSync(join(repo.dir, '.git', 'chainloop-trace', 'log.txt'), '2026-01-01T00:00:00.000Z error pre-push: signing failed: no key\n');
    const { code, checks } = doctor(repo);
    expect(code).toBe(1);
    expect(find(checks, 'pending').message).toContain('1 commit not pushed yet');
    expect(find(checks, 'pending').message).toContain('signing failed: no key');
  });

  it('reports a corrupt store with the fix, not a stack trace', () => {
    const repo = healthy();
    const state = join(repo.dir, '.git', 'chainloop-trace');
    for (const file of readdirSync(state).filter((f) => f.startsWith('trace.db'))) rmSync(join(state, file));
    writeFileSync(join(state, 'trace.db'), 'this is not a database'.repeat(200));
    const { code, checks, stderr } = doctor(repo);
    expect(code).toBe(1);
    const check = find(checks, 'store');
    expect(check.status).toBe('fail');
    expect(check.fix).toContain('.broken');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
