import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedGemini } from '../../src/agents/gemini/simulator.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { blobText, withStore } from '../support/store.js';

afterAll(cleanupTemps);

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/agents/gemini/hooks/tma_gemini0.46.0_captured-redacted.jsonl', import.meta.url));
const PAYLOADS = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const kebab = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
const eventOf = (line: string) => kebab((JSON.parse(line) as { hook_event_name: string }).hook_event_name);

const THEIRS = `${JSON.stringify(
  {
    model: { name: 'gemini-3-flash-preview' },
    hooksConfig: { enabled: true },
    hooks: {
      BeforeTool: [{ matcher: 'write_file', hooks: [{ name: 'lint', type: 'command', command: './lint.sh', timeout: 5000 }] }],
      AfterAgent: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
    },
  },
  null,
  2,
)}\n`;

describe('trace init --gemini', () => {
  it('merges into a settings file with other hooks, and uninstall leaves it byte-identical', () => {
    const repo = makeRepo({ init: false });
    repo.write('.gemini/settings.json', THEIRS);
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    const merged = JSON.parse(repo.read('.gemini/settings.json')) as { hooks: Record<string, { hooks: { command: string; timeout: number }[] }[]> };
    // Theirs, capture's and the guard's.
    expect(merged.hooks.BeforeTool).toHaveLength(3);
    expect(merged.hooks.AfterTool![0]!.hooks[0]).toEqual(expect.objectContaining({ command: 'if command -v trace >/dev/null 2>&1; then exec trace hook gemini after-tool; fi', timeout: 30000 }));
    expect(repo.trace(['init', '--gemini', '--yes']).code).toBe(0);
    expect(JSON.parse(repo.read('.gemini/settings.json'))).toEqual(merged);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(repo.read('.gemini/settings.json')).toBe(THEIRS);
  });
});

describe('trace uninstall after trace init --gemini', () => {
  it('removes a settings file trace created, with its folder', () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--gemini', '--yes']).code).toBe(0);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, '.gemini'))).toBe(false);
  });

  it('takes out only trace hooks from a settings file edited since', () => {
    const repo = makeRepo({ init: false });
    repo.write('.gemini/settings.json', THEIRS);
    expect(repo.trace(['init', '--gemini', '--yes']).code).toBe(0);
    const edited = JSON.parse(repo.read('.gemini/settings.json')) as Record<string, unknown>;
    repo.write('.gemini/settings.json', `${JSON.stringify({ ...edited, ui: { theme: 'GitHub' } }, null, 2)}\n`);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(JSON.parse(repo.read('.gemini/settings.json'))).toEqual({ ...(JSON.parse(THEIRS) as object), ui: { theme: 'GitHub' } });
  });
});

describe('trace hook gemini', () => {
  it('takes every real 0.46.0 payload with exit 0 and nothing on stdout or stderr', () => {
    const repo = makeRepo();
    for (const line of PAYLOADS) {
      const result = repo.trace(['hook', 'gemini', eventOf(line)], { input: line });
      expect(result, line).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('records the session, the prompt and the shell call of the real payloads', () => {
    const repo = makeRepo();
    const transcript = join(repo.home, '.gemini', 'tmp', 'work', 'chats', 'session-2026-07-25T15-06-7ae9d79d.json');
    for (const line of PAYLOADS) {
      const input = line.replaceAll('<CWD>', repo.dir).replaceAll('<TRANSCRIPT>', transcript);
      expect(repo.trace(['hook', 'gemini', eventOf(line)], { input })).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    withStore(repo, (store) => {
      const session = store.session('7ae9d79d-9b49-45f4-bdb1-a5b2a6e90e0e')!;
      expect(session).toMatchObject({ agent: 'gemini-cli', cwd: repo.dir, transcript_path: transcript, source: 'startup', end_reason: 'exit' });
      expect(store.prompts(session.id).map((p) => p.text)).toEqual(['Run the shell command: echo hello-from-tma']);
      expect(store.toolCalls(session.id)).toMatchObject([{ tool_name: 'run_shell_command', status: 'done' }]);
    });
    const log = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  });
});

describe('a Gemini CLI session end to end', () => {
  it('attributes its edits and shell call to its session, and the pushed attestation names gemini-cli and its model', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'app.ts': 'export const app = 1;\n' } });
    expect(repo.trace(['init', '--gemini', '--yes']).code).toBe(0);
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'trace init']);
    repo.git(['push', '-q', 'origin', 'main']);

    const gemini = new SimulatedGemini(repo);
    gemini.start('gemini-2.5-pro');
    gemini.prompt('add a feature');
    gemini.write('src/feature.ts', 'export const feature = 1;\n');
    gemini.edit('src/feature.ts', 'export const feature = 1;\n', 'export const feature = 1;\nexport const more = 2;\n');
    gemini.bash("printf 'generated\\n' > gen.txt");
    gemini.end();
    expect(gemini.results.every((r) => r.code === 0 && r.stdout === '')).toBe(true);
    withStore(repo, (store) => {
      const calls = store.toolCalls(gemini.sessionId);
      expect(calls.map((c) => [c.tool_name, c.status])).toEqual([
        ['write_file', 'done'],
        ['replace', 'done'],
        ['run_shell_command', 'done'],
      ]);
      expect(blobText(store, store.lastAfter('src/feature.ts')!.oid)).toBe('export const feature = 1;\nexport const more = 2;\n');
    });
    repo.write('notes.md', 'by hand\n');
    const sha = repo.commit('feature');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('attested 1 commit(s) and 1 session(s)');

    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const files = statement.predicate.commits[0]!.files;
    const lines = (path: string) => files.find((f) => f.path === path)!.lines;
    expect(lines('src/feature.ts')).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: gemini.sessionId }]);
    expect(lines('gen.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: gemini.sessionId }]);
    expect(lines('notes.md')).toEqual([{ start: 1, end: 1, attribution: 'human' }]);
    const session = statement.predicate.sessions[0] as unknown as {
      agent: { name: string };
      session: { id: string };
      model: { primary: string; provider: string };
      usage: { total_tokens: number };
      warnings?: string[];
      conversation: { user_messages: number };
    };
    expect(session.agent.name).toBe('gemini-cli');
    expect(session.session.id).toBe(gemini.sessionId);
    expect(session.model).toMatchObject({ primary: 'gemini-2.5-pro', provider: 'google' });
    expect(session.warnings ?? []).toEqual([]);
    expect(session.conversation.user_messages).toBe(1);
    const chat = JSON.parse(readFileSync(gemini.transcriptPath, 'utf8')) as { messages: { tokens?: { total: number } }[] };
    expect(session.usage.total_tokens).toBe(chat.messages.reduce((n, m) => n + (m.tokens?.total ?? 0), 0));
  });

  // Gemini's payloads carry no call id: two identical calls in one session share the id worked out
  // from their input. Each is stored under its own (callIdsRepeat), so a person's line written between
  // them stays theirs.
  it("credits a person's line written between two identical shell calls to the person", () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--gemini', '--yes']).code).toBe(0);
    const gemini = new SimulatedGemini(repo);
    gemini.start();
    gemini.bash('echo gen >> gen.txt');
    repo.write('gen.txt', 'gen\nby hand\n');
    gemini.bash('echo gen >> gen.txt');
    const sha = repo.commit('generated');
    repo.git(['push', '-q', 'origin', 'main']);
    const files = decodeStatement(remoteNoteLines(repo, sha)[0]!).predicate.commits.find((c) => c.sha === sha)!.files;
    expect(files.find((f) => f.path === 'gen.txt')!.lines).toEqual([
      { start: 1, end: 1, attribution: 'ai', session_id: gemini.sessionId },
      { start: 2, end: 2, attribution: 'human' },
      { start: 3, end: 3, attribution: 'ai', session_id: gemini.sessionId },
    ]);
  });
});
