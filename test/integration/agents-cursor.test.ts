import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedCursor } from '../../src/agents/cursor/simulator.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/cursor/hooks/', import.meta.url));

/** A .cursor/hooks.json a team already has, written by hand (not in JSON.stringify's layout). */
const THEIRS = `{
  "version": 1,
  "hooks": {
    "beforeShellExecution": [{ "command": "./hooks/block-git.sh", "failClosed": true }],
    "stop": [{ "command": "./hooks/audit.sh" }]
  }
}
`;

const EVENT_ARG: Record<string, string> = {
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  beforeSubmitPrompt: 'before-submit-prompt',
  preToolUse: 'pre-tool-use',
  postToolUse: 'post-tool-use',
  postToolUseFailure: 'post-tool-use-failure',
  stop: 'stop',
  afterFileEdit: 'after-file-edit',
  beforeShellExecution: 'before-shell-execution',
};

function initCursor(repo: TestRepo): void {
  const result = repo.trace(['init', '--cursor', '--yes']);
  expect(result.code, result.stderr).toBe(0);
}

function log(repo: TestRepo): string {
  const path = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

describe('trace init --cursor', () => {
  it('merges into a config with other hooks, changes nothing the second time, and uninstall leaves it byte-identical', () => {
    const repo = makeRepo({ init: false });
    repo.write('.cursor/hooks.json', THEIRS);
    repo.commit('cursor hooks');
    initCursor(repo);
    const installed = repo.read('.cursor/hooks.json');
    const config = JSON.parse(installed) as { version: number; hooks: Record<string, { command: string }[]> };
    expect(config.hooks.beforeShellExecution).toEqual([{ command: './hooks/block-git.sh', failClosed: true }]);
    expect(config.hooks.stop!.map((h) => h.command)).toEqual(['./hooks/audit.sh', 'if command -v trace >/dev/null 2>&1; then trace hook cursor stop; fi']);
    expect(Object.keys(config.hooks)).toEqual(expect.arrayContaining(['sessionStart', 'sessionEnd', 'beforeSubmitPrompt', 'preToolUse', 'postToolUse', 'postToolUseFailure']));
    initCursor(repo);
    expect(repo.read('.cursor/hooks.json')).toBe(installed);
    const uninstall = repo.trace(['uninstall', '--yes']);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(repo.read('.cursor/hooks.json')).toBe(THEIRS);
  });

  it('creates .cursor/hooks.json when there is none, and uninstall removes it', () => {
    const repo = makeRepo({ init: false });
    initCursor(repo);
    expect(existsSync(join(repo.dir, '.cursor/hooks.json'))).toBe(true);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, '.cursor/hooks.json'))).toBe(false);
  });
});

describe('trace hook cursor on the real payloads', () => {
  const payloads = ['tma_cursor-cli2026.07.23-e383d2b_captured-redacted.jsonl', 'grafanaDemoPersonal_cursor-ide2.7.0-pre.78_agent-audit_verbatim.jsonl', 'aeye_cursor-agent2026.09.02-c22c1a3_mcp-postToolUse_author-excerpt.jsonl'].flatMap((file) =>
    readFileSync(join(FIXTURES, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ file, payload: JSON.parse(line) as Record<string, unknown> })),
  );

  it('exit 0 with nothing on stdout, as they are and moved into the repository, and log no bad payload', () => {
    const repo = makeRepo({ init: false });
    initCursor(repo);
    for (const { file, payload } of payloads) {
      const event = payload.hook_event_name === 'postToolUse' && file.startsWith('aeye') ? 'post-tool-use' : EVENT_ARG[payload.hook_event_name as string]!;
      for (const variant of [payload, { ...payload, workspace_roots: [repo.dir] }]) {
        const result = repo.trace(['hook', 'cursor', event], { input: JSON.stringify(variant) });
        expect(result.code, `${file} ${event}: ${result.stderr}`).toBe(0);
        expect(result.stdout, `${file} ${event}`).toBe('');
      }
    }
    expect(log(repo)).not.toMatch(/bad payload|unknown event|not supported/);
  });
});

describe('a Cursor session end to end', () => {
  it('edits, a shell call, a commit and a push: the attestation names cursor, the session, the model and the lines', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'app.ts': 'export const a = 1;\n' } });
    initCursor(repo);
    repo.git(['push', '-q', 'origin', 'main']);
    const cursor = new SimulatedCursor(repo);
    cursor.start('composer-2');
    cursor.prompt('add the feature');
    cursor.write('feature.ts', 'export const feature = 1;\nexport const more = 2;\n');
    cursor.edit('app.ts', 'export const a = 1;\n', 'export const a = 1;\nexport const b = 2;\n');
    cursor.bash('printf "generated\\n" > gen.txt');
    cursor.end();
    expect(cursor.results.every((r) => r.code === 0 && r.stdout === ''), JSON.stringify(cursor.results)).toBe(true);
    repo.write('notes.md', 'by hand\n');
    const sha = repo.commit('cursor feature');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested 1 commit(s) and 1 session(s)');

    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const files = Object.fromEntries(statement.predicate.commits[0]!.files.map((f) => [f.path, f.lines]));
    expect(files['feature.ts']).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: cursor.sessionId }]);
    expect(files['app.ts']).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: cursor.sessionId }]);
    expect(files['gen.txt']).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: cursor.sessionId }]);
    expect(files['notes.md']).toEqual([{ start: 1, end: 1, attribution: 'human' }]);
    const session = statement.predicate.sessions[0] as unknown as {
      agent: { name: string; version?: string };
      session: { id: string };
      model: { primary: string };
      usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number };
    };
    expect(session.agent).toEqual({ name: 'cursor', version: '3.9.16' });
    expect(session.session.id).toBe(cursor.sessionId);
    expect(session.model.primary).toBe('composer-2');
    const sum = (key: 'input_tokens' | 'output_tokens' | 'cache_read_tokens') => cursor.turns.reduce((total, turn) => total + turn[key], 0);
    expect(session.usage).toMatchObject({ input_tokens: sum('input_tokens'), output_tokens: sum('output_tokens'), cache_read_input_tokens: sum('cache_read_tokens') });
  });

  it('an afterFileEdit (no pre event) is attributed by undoing its edit, and the session says so', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'Welcome.tsx': 'const styles = {\n  margin: 0,\n};\n' } });
    initCursor(repo);
    repo.git(['push', '-q', 'origin', 'main']);
    // The real IDE 2.7.0 payload, moved into this repository: Cursor inserted a line, then ran the hook.
    const real = readFileSync(join(FIXTURES, 'grafanaDemoPersonal_cursor-ide2.7.0-pre.78_agent-audit_verbatim.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    const payload: Record<string, unknown> = { ...(JSON.parse(real) as Record<string, unknown>), workspace_roots: [repo.dir], file_path: join(repo.dir, 'Welcome.tsx') };
    // The person changed line 2 by hand first (no hook saw it): undoing the edit keeps that line theirs.
    repo.write('Welcome.tsx', 'const styles = {\n  margin: 1,\n      color: theme.colors.success.text,\n};\n');
    const result = repo.trace(['hook', 'cursor', 'after-file-edit'], { input: JSON.stringify(payload) });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const sha = repo.commit('green');
    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const session = payload.conversation_id as string;
    expect(statement.predicate.commits[0]!.files.find((f) => f.path === 'Welcome.tsx')!.lines).toEqual([
      { start: 2, end: 2, attribution: 'human' },
      { start: 3, end: 3, attribution: 'ai', session_id: session },
    ]);
    const recorded = statement.predicate.sessions[0] as unknown as { agent: { name: string }; model: { primary: string }; warnings?: string[] };
    expect(recorded).toMatchObject({ agent: { name: 'cursor' }, model: { primary: 'composer-2' } });
    expect(recorded.warnings?.some((w) => w.includes("Cursor's afterFileEdit event"))).toBe(true);
  });

  it('records a call once when Cursor also runs the Claude-format hooks of the repository', () => {
    const repo = makeRepo({ init: false });
    mkdirSync(join(repo.dir, '.cursor'), { recursive: true });
    expect(repo.trace(['init', '--claude', '--cursor', '--yes']).code).toBe(0);
    const cursor = new SimulatedCursor(repo);
    cursor.start('composer-2');
    cursor.prompt('write');
    cursor.write('x.txt', 'x\n');
    // What Cursor sends to the Claude-format hooks it loads: Claude's event names, with cursor_version.
    const claude = JSON.parse(repo.read('.claude/settings.json')) as { hooks: Record<string, { hooks: { command: string }[] }[]> };
    const relayed = { session_id: cursor.sessionId, hook_event_name: 'PostToolUse', tool_name: 'Write', tool_use_id: 'relayed-1', tool_input: { file_path: join(repo.dir, 'x.txt'), content: 'x\n' }, cursor_version: '3.9.16', cwd: repo.dir };
    for (const command of claude.hooks.PostToolUse!.flatMap((group) => group.hooks.map((h) => h.command))) {
      expect(repo.sh(command, { input: JSON.stringify(relayed) }).code).toBe(0);
    }
    cursor.end();
    const sha = repo.commit('x');
    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    expect(statement.predicate.sessions.map((s) => (s as unknown as { agent: { name: string } }).agent.name)).toEqual(['cursor']);
  });
});
