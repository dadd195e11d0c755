import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agent } from '../../src/agents/copilot/index.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { withStore } from '../support/store.js';

afterAll(cleanupTemps);

const CONFIG = '.github/hooks/trace.json';
// The real data, beside the clone (never copied into the project).
const HOOK_INPUTS = fileURLToPath(new URL('../../../shared/fixtures/agents/copilot/hooks/computermode_copilot1.0.12+1.0.20_hook-inputs-from-events.jsonl', import.meta.url));
const ENTIRE_CAPTURE = fileURLToPath(new URL('../../../shared/fixtures/agents/copilot/hooks/entire-AGENT.md_copilot0.0.420_captured.jsonl', import.meta.url));
/** The argument the installed config passes for each Copilot hook. */
const ARG: Record<string, string> = {
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  userPromptSubmitted: 'user-prompt-submit',
  preToolUse: 'pre-tool-use',
  postToolUse: 'post-tool-use',
  agentStop: 'agent-stop',
};

const OTHERS = `${JSON.stringify({ version: 1, hooks: { preToolUse: [{ type: 'command', bash: './scripts/policy.sh', timeoutSec: 15 }], sessionEnd: [{ type: 'command', bash: 'echo bye' }] } }, null, 2)}\n`;

function logOf(dir: string): string {
  const path = join(dir, '.git', 'chainloop-trace', 'log.txt');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

describe('trace init --copilot', () => {
  it('merges into a .github/hooks/trace.json that has other hooks, twice without change, and uninstall leaves it byte-identical', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'README.md': '# p\n', [CONFIG]: OTHERS } });
    const first = repo.trace(['init', '--copilot', '--yes']);
    expect(first.code, first.stderr).toBe(0);
    const installed = repo.read(CONFIG);
    expect(agent.hooksInstalled(installed, CONFIG)).toBe(true);
    const hooks = (JSON.parse(installed) as { hooks: Record<string, { bash?: string }[]> }).hooks;
    expect(hooks.preToolUse!.map((entry) => entry.bash)).toEqual([
      './scripts/policy.sh',
      'if command -v trace >/dev/null 2>&1; then trace hook copilot pre-tool-use; fi',
      'if command -v trace >/dev/null 2>&1; then trace hook copilot guard; fi',
    ]);
    expect(repo.trace(['init', '--copilot', '--yes']).code).toBe(0);
    expect(repo.read(CONFIG)).toBe(installed);
    const removed = repo.trace(['uninstall', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(repo.read(CONFIG)).toBe(OTHERS);
  });

  it('creates the file when there is none, and uninstall removes it', () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--copilot', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, CONFIG))).toBe(true);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, '.github'))).toBe(false);
  });
});

describe('trace hook copilot on the real payloads', () => {
  it('exits 0 and prints nothing for each, logging no error', () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--copilot', '--yes']).code).toBe(0);
    const payloads = [
      ...readFileSync(HOOK_INPUTS, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { _hookType: string; input: unknown })
        .map((line) => ({ event: ARG[line._hookType]!, payload: line.input })),
      ...readFileSync(ENTIRE_CAPTURE, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .map((payload) => ({ event: 'source' in payload ? 'session-start' : 'transcriptPath' in payload ? 'agent-stop' : 'reason' in payload ? 'session-end' : 'user-prompt-submit', payload })),
    ];
    expect(payloads).toHaveLength(18);
    for (const { event, payload } of payloads) {
      // The sessions ran in /Users/ninawork/entire/test-repos/test-repo: here, in this repository.
      const text = JSON.stringify(payload).replaceAll('/Users/ninawork/entire/test-repos/test-repo', repo.dir).replaceAll('/path/to/repo', repo.dir);
      if (event === 'post-tool-use' && text.includes('"toolName":"create"')) {
        const { toolArgs } = JSON.parse(text) as { toolArgs: { path: string; file_text: string } };
        repo.write(toolArgs.path.slice(repo.dir.length + 1), toolArgs.file_text);
      }
      const result = repo.trace(['hook', 'copilot', event], { input: text });
      expect(result.code, `${event}: ${result.stderr}`).toBe(0);
      expect(result.stdout, event).toBe('');
    }
    expect(logOf(repo.dir)).not.toMatch(/\berror\b/);
    // Both create calls were paired (pre and post) and stored: no "no pre-tool-use capture" warning.
    expect(logOf(repo.dir)).not.toContain('no pre-tool-use capture');
    withStore(repo, (store) => {
      const sessions = store.sessions();
      expect(sessions.map((s) => [s.id, s.agent]).sort()).toEqual([
        ['31b0eadb-c44b-41ef-b46b-16c3f8e1fdd6', 'copilot'],
        ['b0ff98c0-8e01-4b73-bf92-9649b139931b', 'copilot'],
        ['b4257b63-a7e8-4e3f-9bf0-019c98db1744', 'copilot'],
      ]);
      expect(sessions.find((s) => s.id === 'b0ff98c0-8e01-4b73-bf92-9649b139931b')).toMatchObject({ source: 'new', end_reason: 'complete' });
      expect(store.sessionEdits('31b0eadb-c44b-41ef-b46b-16c3f8e1fdd6')).toEqual([{ path: 'copilot-cli-attach/README.md', edits: 1 }]);
      const calls = store.toolCalls('b4257b63-a7e8-4e3f-9bf0-019c98db1744');
      expect(calls.map((c) => [c.tool_name, c.status])).toEqual([
        ['bash', 'done'],
        ['create', 'done'],
      ]);
      expect(store.sessionEdits('b4257b63-a7e8-4e3f-9bf0-019c98db1744')).toEqual([{ path: 'test-copilot/README.md', edits: 1 }]);
    });
  });
});

describe('a Copilot session end to end', () => {
  it('attributes its edits and shell changes to the copilot session, with the model, in the pushed attestation', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'app.ts': 'export const a = 1;\n' } });
    expect(repo.trace(['init', '--copilot', '--yes']).code).toBe(0);
    repo.commit('trace for copilot');
    repo.git(['push', '-q', 'origin', 'main']);
    const copilot = agent.simulate({ dir: repo.dir, env: repo.env });
    copilot.start('claude-sonnet-4.6');
    copilot.prompt('add a feature');
    copilot.write('feature.ts', 'export const feature = 1;\nexport const other = 2;\n');
    copilot.edit('app.ts', 'export const a = 1;', 'export const a = 42;');
    copilot.bash("printf 'from the shell\\n' > shell.txt");
    copilot.end();
    expect(logOf(repo.dir)).not.toMatch(/\berror\b/);
    const sha = repo.commit('copilot feature');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested 1 commit(s) and 1 session(s)');

    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const files = statement.predicate.commits[0]!.files;
    const ai = (path: string) => files.find((f) => f.path === path)?.lines;
    expect(ai('feature.ts')).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: copilot.sessionId }]);
    expect(ai('app.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: copilot.sessionId }]);
    expect(ai('shell.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: copilot.sessionId }]);
    const session = statement.predicate.sessions[0] as unknown as { session: { id: string }; agent: { name: string }; model?: { primary: string }; usage?: { output_tokens: number } };
    expect(session.session.id).toBe(copilot.sessionId);
    expect(session.agent.name).toBe('copilot');
    expect(session.model?.primary).toBe('claude-sonnet-4.6');
    expect(session.usage?.output_tokens).toBe(300);
  });
});
