import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    // Write and Edit need no pre hook: their post payload carries the file before the call. Bash's goes through its lane.
    expect(hooks.PreToolUse!.map((group) => group.matcher)).toEqual(['MultiEdit|NotebookEdit', 'Bash', 'MultiEdit|NotebookEdit|mcp__.*', 'Bash|Write|Edit']);
    // Their post hook spools the payload in a shell step (no Node); Bash's lane snapshots and spools; the other tools keep trace's Node hook.
    for (const event of ['PostToolUse', 'PostToolUseFailure'] as const) {
      expect(hooks[event]!.map((group) => group.matcher)).toEqual(['Write|Edit', 'MultiEdit|NotebookEdit', 'Bash']);
      expect(hooks[event]![2]!.hooks[0]!.command).toContain(`/lanes/claude-${event === 'PostToolUse' ? 'post-tool-use' : 'post-tool-use-failure'}.sh`);
      expect(hooks[event]![0]!.hooks[0]!.command).toMatch(/^command -v trace >\/dev\/null 2>&1 && .*\/spool\/.*; exit 0$/);
      // Node only when the spool folder is missing (an older trace, which does not take the spool in).
      expect(hooks[event]![0]!.hooks[0]!.command).toContain(`[ -d "$d/spool" ] || exec trace hook claude ${event === 'PostToolUse' ? 'post-tool-use' : 'post-tool-use-failure'};`);
    }
    expect(hooks.PreToolUse![0]!.hooks[0]!.command).toBe('if command -v trace >/dev/null 2>&1; then trace hook claude pre-tool-use; fi');
    expect(hooks.SessionEnd![0]!.hooks[0]!.command).toBe('if command -v trace >/dev/null 2>&1; then trace hook claude session-end; fi');
    for (const name of ['post-commit', 'post-rewrite', 'pre-push']) {
      const hook = join(repo.dir, '.git', 'hooks', name);
      expect(statSync(hook).mode & 0o111).not.toBe(0);
      expect(readFileSync(hook, 'utf8')).toContain('chainloop-trace managed hook');
    }
    expect(readFileSync(join(repo.dir, '.chainloop.yml'), 'utf8')).toMatch(/requireTrace: false/);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'))).toBe(true);
    for (const event of ['pre-tool-use', 'post-tool-use', 'post-tool-use-failure']) expect(existsSync(join(repo.dir, '.git', 'chainloop-trace', 'lanes', `claude-${event}.sh`))).toBe(true);
  });

  it('changes nothing when run twice', () => {
    const repo = makeRepo();
    const files = ['.claude/settings.json', '.chainloop.yml', '.git/hooks/pre-push'].map((f) => readFileSync(join(repo.dir, f), 'utf8'));
    const again = repo.trace(['init', '--yes', '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout) as { agents: { status: string }[]; git_hooks: { changed: boolean }[]; config: { status: string } };
    expect(json.agents[0]!.status).toBe('unchanged');
    expect(json.git_hooks.every((h) => !h.changed)).toBe(true);
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
    // Theirs, capture's pre hooks (Node for patches, the lane for Bash) and the guard's (Node, and the lane for Write and Edit).
    expect(merged.hooks.PreToolUse).toHaveLength(5);
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

  it('refuses an agent it does not know, writing nothing', () => {
    const repo = makeRepo({ init: false });
    const result = repo.trace(['init', '--yes', '--windsurf']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--windsurf'");
    expect(existsSync(join(repo.dir, '.chainloop.yml'))).toBe(false);
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

function commands(dir: string): string[] {
  return Object.values(settings(dir).hooks).flatMap((groups) => groups.flatMap((group) => group.hooks.map((handler) => handler.command)));
}

function camelKeys(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => camelKeys(item, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [...(/[A-Z]/.test(key) ? [`${at}.${key}`] : []), ...camelKeys(item, `${at}.${key}`)]);
}

describe('the installed agent hook commands', () => {
  it('do nothing, silently, with exit 0, for a teammate without trace on the PATH', () => {
    const repo = makeRepo();
    const env = { ...repo.env, PATH: '/usr/bin:/bin' };
    expect(run('sh', ['-c', 'command -v trace'], { cwd: repo.dir, env }).code).not.toBe(0);
    const all = commands(repo.dir);
    // One command per event, the guard's two PreToolUse entries, the spooling steps of Write and Edit, and Bash's lanes.
    expect(all).toHaveLength(EVENTS.length + 7);
    for (const command of all) {
      const result = run('sh', ['-c', command], { cwd: repo.dir, env, input: '{"session_id":"s","hook_event_name":"PreToolUse"}' });
      expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it("pass trace's exit status and stdout through when trace is on the PATH", () => {
    const repo = makeRepo();
    const bin = join(repo.home, 'fake-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'trace'), '#!/bin/sh\necho "guard $*"\nexit 2\n', { mode: 0o755 });
    const env = { ...repo.env, PATH: `${bin}:/usr/bin:/bin` };
    const pre = settings(repo.dir).hooks.PreToolUse![0]!.hooks[0]!.command;
    expect(run('sh', ['-c', pre], { cwd: repo.dir, env })).toEqual({ code: 2, stdout: 'guard hook claude pre-tool-use\n', stderr: '' });
  });

  it('are upgraded in place from the old unguarded form, and uninstall removes either form', () => {
    const repo = makeRepo({ init: false });
    const old = {
      hooks: {
        PreToolUse: [
          { matcher: 'Write|Edit|MultiEdit|NotebookEdit|Bash', hooks: [{ type: 'command', command: 'trace hook claude pre-tool-use', timeout: 30 }] },
          { matcher: 'Bash', hooks: [{ type: 'command', command: './check.sh' }] },
        ],
        SessionEnd: [{ hooks: [{ type: 'command', command: 'trace hook claude session-end', timeout: 5 }] }],
      },
    };
    repo.write('.claude/settings.json', JSON.stringify(old, null, 2));
    const result = repo.trace(['init', '--yes', '--json']);
    expect(result.code).toBe(0);
    const hooks = settings(repo.dir).hooks;
    expect(hooks.PreToolUse).toHaveLength(5);
    expect(hooks.PreToolUse![0]!.hooks[0]!.command).toBe('if command -v trace >/dev/null 2>&1; then trace hook claude pre-tool-use; fi');
    // The Node pre hook no longer runs for Write, Edit and Bash: its group's matcher is upgraded too.
    expect(hooks.PreToolUse![0]!.matcher).toBe('MultiEdit|NotebookEdit');
    expect(hooks.PreToolUse![1]!.hooks[0]!.command).toBe('./check.sh');
    expect(hooks.PreToolUse![2]!.matcher).toBe('Bash');
    expect(hooks.PreToolUse![2]!.hooks[0]!.command).toMatch(/lanes\/claude-pre-tool-use\.sh.*; exec trace hook claude pre-tool-use$/);
    expect(hooks.PreToolUse![3]!.hooks[0]!.command).toBe('if command -v trace >/dev/null 2>&1; then trace hook claude guard; fi');
    expect(hooks.PreToolUse![4]!.hooks[0]!.command).toMatch(/lanes\/claude-guard\.sh.*; exec trace hook claude guard$/);
    expect(hooks.SessionEnd).toHaveLength(1);
    expect(commands(repo.dir).filter((c) => c.startsWith('trace hook'))).toEqual([]);
    // An old entry left by hand next to the new ones is trace's too.
    const mixed = settings(repo.dir);
    mixed.hooks.Stop = [{ hooks: [{ command: 'trace hook claude session-end' }] }];
    repo.write('.claude/settings.json', JSON.stringify(mixed, null, 2));
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(commands(repo.dir)).toEqual(['./check.sh']);
  });
});

describe('trace init, failing', () => {
  it('writes nothing when an existing hook value is invalid, and names the file and the JSON path', () => {
    const repo = makeRepo({ init: false });
    repo.write('.claude/settings.json', '{ "hooks": { "PreToolUse": "x", "Stop": [{ "matcher": "y" }] } }');
    const result = repo.trace(['init', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.claude/settings.json has invalid hooks');
    expect(result.stderr).toContain('hooks.PreToolUse: must be an array');
    expect(result.stderr).toContain('hooks.Stop[0].hooks: must be an array');
    expect(repo.read('.claude/settings.json')).toBe('{ "hooks": { "PreToolUse": "x", "Stop": [{ "matcher": "y" }] } }');
    expect(existsSync(join(repo.dir, '.chainloop.yml'))).toBe(false);
    expect(existsSync(join(repo.dir, '.chainloop'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'hooks', 'post-commit'))).toBe(false);
  });

  it('writes nothing when a settings file is not JSON', () => {
    const repo = makeRepo({ init: false });
    repo.write('.claude/settings.json', '{ "hooks": ');
    expect(repo.trace(['init', '--yes']).code).toBe(2);
    expect(existsSync(join(repo.dir, '.chainloop.yml'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace'))).toBe(false);
  });
});

describe('trace init, saying what matters', () => {
  it('prints --json in snake_case', () => {
    const repo = makeRepo({ init: false });
    const result = repo.trace(['init', '--yes', '--json']);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(camelKeys(json)).toEqual([]);
    expect(json).toHaveProperty('git_hooks');
    expect(json).toHaveProperty('state_dir');
    expect(json).toHaveProperty('files_to_commit');
    expect(json).toHaveProperty('public_key.key_id');
  });

  it('says in one line what each push carries and how to change it', () => {
    const repo = makeRepo({ init: false });
    const out = repo.trace(['init', '--yes']).stdout;
    expect(out).toContain('pushes carry: line attribution, session metadata (agent, model, tokens, cost), prompts and shell commands redacted; file contents never');
    expect(out).toContain('set trace.transcripts.retention to none or full in .chainloop.yml');
  });

  it('does not ask to commit files already committed unchanged', () => {
    const repo = makeRepo();
    repo.commit('trace');
    const again = repo.trace(['init', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('git add');
    expect(again.stdout).toContain('already committed');
    repo.write('.chainloop.yml', `${repo.read('.chainloop.yml')}organization: acme\n`);
    const json = JSON.parse(repo.trace(['init', '--yes', '--json']).stdout) as { files_to_commit: string[] };
    expect(json.files_to_commit).toEqual(['.chainloop.yml']);
  });

  it('says the hooks were written into a versioned husky folder', () => {
    const repo = makeRepo({ init: false });
    repo.write('.husky/pre-commit', 'npm test\n');
    repo.git(['config', 'core.hooksPath', '.husky']);
    const result = repo.trace(['init', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("core.hooksPath points at .husky (husky), a folder of your work tree: trace's hooks were written there and are now part of that folder");
    expect(readFileSync(join(repo.dir, '.husky', 'pre-push'), 'utf8')).toContain('chainloop-trace managed hook');
    const plain = makeRepo({ init: false });
    expect(plain.trace(['init', '--yes']).stdout).not.toContain('core.hooksPath');
  });
});

describe('trace uninstall, restoring', () => {
  it('leaves settings.json byte-identical when nothing else changed it', () => {
    const repo = makeRepo({ init: false });
    const original = '{\n    "model": "opus",\n    "hooks": {\n        "Stop": [ { "hooks": [ { "type": "command", "command": "notify-send done" } ] } ]\n    }\n}';
    repo.write('.claude/settings.json', original);
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    expect(repo.read('.claude/settings.json')).not.toBe(original);
    expect(repo.read('.claude/settings.json')).toMatch(/^\{\n {4}"model"/);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(repo.read('.claude/settings.json')).toBe(original);
  });

  it("removes only trace's entries, keeping the file's indentation, when it was edited since", () => {
    const repo = makeRepo({ init: false });
    repo.write('.claude/settings.json', '{\n\t"model": "opus"\n}\n');
    expect(repo.trace(['init', '--yes']).code).toBe(0);
    const edited = settings(repo.dir);
    edited.permissions = { allow: ['Bash(ls)'] };
    repo.write('.claude/settings.json', `${JSON.stringify(edited, null, '\t')}\n`);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(repo.read('.claude/settings.json')).toBe('{\n\t"model": "opus",\n\t"permissions": {\n\t\t"allow": [\n\t\t\t"Bash(ls)"\n\t\t]\n\t}\n}\n');
  });
});
