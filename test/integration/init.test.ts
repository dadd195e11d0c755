import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo, run } from '../support/repo.js';

afterAll(cleanupTemps);

const EVENTS = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure'];

function settings(dir: string) {
  return JSON.parse(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')) as {
    hooks: Record<string, { matcher?: string; hooks: { command: string }[] }[]>;
    [key: string]: unknown;
  };
}

describe('trace init', () => {
  it('installs the Claude Code hooks, the git hooks, the config and the state dir', () => {
    const repo = makeRepo({ init: false });
    const result = repo.trace(['init', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('git add .claude/settings.json');
    expect(result.stdout).toContain('git add .chainloop.yml');
    const hooks = settings(repo.dir).hooks;
    expect(Object.keys(hooks).sort()).toEqual([...EVENTS].sort());
    for (const event of ['PreToolUse', 'PostToolUse', 'PostToolUseFailure']) {
      expect(hooks[event]![0]!.matcher).toBe('Write|Edit|MultiEdit|NotebookEdit|Bash');
    }
    expect(hooks.PreToolUse![0]!.hooks[0]!.command).toBe('trace hook claude pre-tool-use');
    expect(hooks.SessionEnd![0]!.hooks[0]!.command).toBe('trace hook claude session-end');
    for (const name of ['post-commit', 'post-rewrite', 'pre-push']) {
      const hook = join(repo.dir, '.git', 'hooks', name);
      expect(statSync(hook).mode & 0o111).not.toBe(0);
      expect(readFileSync(hook, 'utf8')).toContain('chainloop-trace managed hook');
    }
    expect(readFileSync(join(repo.dir, '.chainloop.yml'), 'utf8')).toMatch(/requireTrace: false/);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'))).toBe(true);
  });

  it('changes nothing when run twice', () => {
    const repo = makeRepo();
    const files = ['.claude/settings.json', '.chainloop.yml', '.git/hooks/pre-push'].map((f) => readFileSync(join(repo.dir, f), 'utf8'));
    const again = repo.trace(['init', '--yes', '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout) as { agents: { status: string }[]; gitHooks: { changed: boolean }[]; config: { status: string } };
    expect(json.agents[0]!.status).toBe('unchanged');
    expect(json.gitHooks.every((h) => !h.changed)).toBe(true);
    expect(json.config.status).toBe('unchanged');
    expect(['.claude/settings.json', '.chainloop.yml', '.git/hooks/pre-push'].map((f) => readFileSync(join(repo.dir, f), 'utf8'))).toEqual(files);
  });

  it('merges into existing Claude settings and keeps every other hook and setting', () => {
    const repo = makeRepo({ init: false });
    const mine = {
      model: 'opus',
      permissions: { allow: ['Bash(npm test)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './check.sh' }] }],
        Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      },
    };
    repo.write('.claude/settings.json', JSON.stringify(mine, null, 2));
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    const merged = settings(repo.dir);
    expect(merged.model).toBe('opus');
    expect(merged.permissions).toEqual(mine.permissions);
    expect(merged.hooks.Stop).toEqual(mine.hooks.Stop);
    expect(merged.hooks.PreToolUse![0]).toEqual(mine.hooks.PreToolUse[0]);
    expect(merged.hooks.PreToolUse).toHaveLength(2);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(settings(repo.dir)).toEqual(mine);
  });

  it('refuses a settings file that is not JSON and leaves it untouched', () => {
    const repo = makeRepo({ init: false });
    repo.write('.claude/settings.json', '{ "hooks": ');
    const result = repo.trace(['init', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/settings\.json is not valid JSON/);
    expect(repo.read('.claude/settings.json')).toBe('{ "hooks": ');
  });

  it('reports every problem of a bad .chainloop.yml at once and writes nothing', () => {
    const repo = makeRepo({ init: false });
    repo.write('.chainloop.yml', 'requireTrace: maybe\ntrace:\n  capture:\n    maxFileBytes: -3\n  colour: blue\n');
    const result = repo.trace(['init', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('requireTrace: Invalid input: expected boolean');
    expect(result.stderr).toContain('trace.capture.maxFileBytes: Too small');
    expect(result.stderr).toContain('trace: Unrecognized key: "colour"');
    expect(existsSync(join(repo.dir, '.claude', 'settings.json'))).toBe(false);
  });

  it('keeps comments and unknown keys of an existing config when setting requireTrace', () => {
    const repo = makeRepo({ init: false });
    repo.write('.chainloop.yml', '# our project\nprojectName: acme # inline\ncustomKey: 1\n');
    expect(repo.trace(['init', '--yes', '--require-trace']).code).toBe(0);
    expect(repo.read('.chainloop.yml')).toBe('# our project\nprojectName: acme # inline\ncustomKey: 1\nrequireTrace: true\n');
  });

  it('says which agents are not supported yet', () => {
    const repo = makeRepo({ init: false });
    const only = repo.trace(['init', '--yes', '--cursor']);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('cursor: not yet supported');
    const mixed = repo.trace(['init', '--yes', '--claude', '--gemini', '--json']);
    expect(mixed.code).toBe(0);
    expect((JSON.parse(mixed.stdout) as { agents: unknown }).agents).toEqual([
      { agent: 'claude', status: 'installed', file: join(repo.dir, '.claude', 'settings.json') },
      { agent: 'gemini', status: 'not yet supported' },
    ]);
  });

  it('fails clearly outside a git repository', () => {
    const repo = makeRepo({ init: false });
    const result = repo.trace(['init', '--yes'], { cwd: repo.home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not inside a git work tree/);
  });

  it('honours core.hooksPath', () => {
    const repo = makeRepo({ init: false });
    repo.git(['config', 'core.hooksPath', '.githooks']);
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    expect(readFileSync(join(repo.dir, '.githooks', 'post-commit'), 'utf8')).toContain('chainloop-trace managed hook');
    expect(existsSync(join(repo.dir, '.git', 'hooks', 'post-commit'))).toBe(false);
  });

  it('chains an existing hook, passing its arguments, stdin and exit status', () => {
    const repo = makeRepo({ init: false });
    const log = join(repo.home, 'hook.log');
    const hook = join(repo.dir, '.git', 'hooks', 'pre-push');
    writeFileSync(hook, `#!/bin/sh\necho "args: $*" >> ${log}\ncat >> ${log}\n[ -f ${log}.deny ] && exit 3\nexit 0\n`);
    chmodSync(hook, 0o755);
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    expect(readFileSync(`${hook}.pre-trace`, 'utf8')).toContain('echo "args');
    repo.git(['push', '-q', 'origin', 'main']);
    const head = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const logged = readFileSync(log, 'utf8');
    expect(logged).toContain(`args: origin ${repo.remote}`);
    expect(logged).toContain(`refs/heads/main ${head} refs/heads/main 0000000000000000000000000000000000000000`);
    writeFileSync(`${log}.deny`, '');
    repo.write('a.txt', 'a\n');
    repo.git(['add', 'a.txt']);
    repo.git(['commit', '-qm', 'a']);
    const refused = repo.git(['push', 'origin', 'main'], { allowFail: true });
    expect(refused.code).not.toBe(0);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(readFileSync(hook, 'utf8')).toContain('echo "args');
    expect(existsSync(`${hook}.pre-trace`)).toBe(false);
  });

  it('never breaks a commit or a push when trace is not on the PATH', () => {
    const repo = makeRepo();
    const env = { ...repo.env, PATH: '/usr/bin:/bin' };
    repo.write('b.txt', 'b\n');
    expect(run('git', ['add', 'b.txt'], { cwd: repo.dir, env }).code).toBe(0);
    expect(run('git', ['commit', '-qm', 'b'], { cwd: repo.dir, env }).code).toBe(0);
    const push = run('git', ['push', '-q', 'origin', 'main'], { cwd: repo.dir, env });
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('trace: not on PATH');
  });

  it('shares one state directory between linked worktrees', () => {
    const repo = makeRepo();
    const other = join(repo.home, 'wt');
    repo.git(['worktree', 'add', '-q', other, '-b', 'feature']);
    const status = repo.trace(['status', '--json'], { cwd: other });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { repository: string }).repository).toBe(other);
    expect(existsSync(join(other, '.git'))).toBe(true);
    expect(existsSync(join(repo.dir, '.git', 'worktrees'))).toBe(true);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'))).toBe(true);
  });
});

describe('trace uninstall', () => {
  it('removes exactly what init added and deletes the local state', () => {
    const repo = makeRepo();
    const result = repo.trace(['uninstall', '--yes']);
    expect(result.code).toBe(0);
    expect(existsSync(join(repo.dir, '.claude'))).toBe(false);
    expect(existsSync(join(repo.dir, '.chainloop.yml'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'hooks', 'post-commit'))).toBe(false);
    expect(repo.git(['status', '--porcelain']).stdout).toBe('');
  });

  it('keeps a config the user edited after init', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', `${repo.read('.chainloop.yml')}organization: acme\n`);
    const result = repo.trace(['uninstall', '--yes', '--json']);
    expect((JSON.parse(result.stdout) as { kept: string[] }).kept).toEqual(['.chainloop.yml (edited since trace created it)']);
    expect(existsSync(join(repo.dir, '.chainloop.yml'))).toBe(true);
  });
});
