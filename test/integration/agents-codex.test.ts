import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SIMULATED_REQUEST, SimulatedCodex } from '../../src/agents/codex/simulator.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

// Real Codex 0.145.0 hook payloads, beside the repository (CI has ../shared next to the clone).
const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/codex/', import.meta.url));

/** `SessionStart` → `session-start`: the argument the installed config passes for a Codex event. */
const eventArg = (hookEventName: string): string => hookEventName.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

interface SessionObject {
  agent: { name: string };
  session: { id: string };
  model?: { primary: string; provider?: string; models_used: string[] };
  usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; estimated_cost_usd?: number };
  tools_used?: { total_invocations: number };
  warnings: string[];
}

const OTHER_HOOKS = `${JSON.stringify({ hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/guard.sh', timeout: 5 }] }], Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } }, null, 2)}\n`;

describe('trace init --codex', () => {
  it('merges into a .codex/hooks.json that has other hooks, says how to trust them, and uninstall leaves it byte-identical', () => {
    const repo = makeRepo({ init: false });
    repo.write('.codex/hooks.json', OTHER_HOOKS);
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code).toBe(0);
    expect(`${init.stdout}${init.stderr}`).toMatch(/\/hooks/);
    const merged = JSON.parse(repo.read('.codex/hooks.json')) as { hooks: Record<string, { hooks: { command: string }[] }[]> };
    expect(merged.hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: 'notify-send done' }] }]);
    expect(merged.hooks.PreToolUse!.map((group) => group.hooks[0]!.command)).toEqual([
      './scripts/guard.sh',
      'if command -v trace >/dev/null 2>&1; then trace hook codex pre-tool-use; fi',
      'if command -v trace >/dev/null 2>&1; then trace hook codex guard; fi',
    ]);
    const installed = repo.read('.codex/hooks.json');
    expect(repo.trace(['init', '--codex', '--yes']).code).toBe(0);
    expect(repo.read('.codex/hooks.json')).toBe(installed);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(repo.read('.codex/hooks.json')).toBe(OTHER_HOOKS);
  });

  it('trace init with no agent flag wires Codex when the repository has a .codex directory', () => {
    const repo = makeRepo({ init: false });
    repo.write('.codex/config.toml', 'model = "gpt-5.6-terra"\n');
    const init = repo.trace(['init', '--yes', '--json']);
    expect(init.code).toBe(0);
    const agents = (JSON.parse(init.stdout) as { agents: { agent: string; status: string }[] }).agents;
    expect(agents).toEqual(expect.arrayContaining([expect.objectContaining({ agent: 'claude-code', status: 'installed' }), expect.objectContaining({ agent: 'codex', status: 'installed' })]));
    expect(repo.read('.codex/hooks.json')).toContain('trace hook codex post-tool-use');
  });

  it('uninstall removes a .codex/hooks.json that trace created', () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--codex', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, '.codex/hooks.json'))).toBe(true);
    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    expect(existsSync(join(repo.dir, '.codex/hooks.json'))).toBe(false);
  });
});

describe('trace hook codex on the real payloads', () => {
  it('exits 0 and prints nothing for every event, and records the session with its model', () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', '--codex', '--yes']).code).toBe(0);
    const transcript = join(repo.home, '.codex', 'sessions', 'rollout.jsonl');
    const lines = readFileSync(join(FIXTURES, 'hooks', 'tma_codex0.145.0_captured-redacted.jsonl'), 'utf8').split('\n').filter(Boolean);
    for (const line of lines) {
      const payload = line.replaceAll('<CWD>', repo.dir).replaceAll('<TRANSCRIPT>', transcript);
      const event = eventArg((JSON.parse(payload) as { hook_event_name: string }).hook_event_name);
      const result = repo.trace(['hook', 'codex', event], { input: payload });
      expect({ event, code: result.code, stdout: result.stdout }).toEqual({ event, code: 0, stdout: '' });
    }
    const notify = readFileSync(join(FIXTURES, 'hooks', 'tma_codex-notify-argv_captured-redacted.json'), 'utf8').replaceAll('<CWD>', repo.dir);
    expect(repo.trace(['hook', 'codex', 'notify'], { input: notify })).toMatchObject({ code: 0, stdout: '' });
    const log = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').not.toMatch(/invalid|problem|error/i);
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { sessions: { id: string; agent: string; model: string | null }[] };
    expect(status.sessions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: '019f99c3-7c57-7963-98e9-f496a7978257', agent: 'codex', model: 'gpt-5.6-terra' }),
        expect.objectContaining({ id: '019f8aac-ff01-75d0-9bb1-7f0eab253ce7', agent: 'codex', model: 'gpt-5.6-sol' }),
      ]),
    );
  });
});

describe('Codex end to end', () => {
  it('apply_patch edits and a shell call, committed and pushed: the attestation names codex, the session, the model and the lines', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'src/app.ts': 'export const a = 1;\nexport const b = 2;\n' } });
    expect(repo.trace(['init', '--codex', '--yes']).code).toBe(0);
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const codex = new SimulatedCodex(repo);
    codex.start('gpt-5.6-terra');
    codex.prompt('add c and a config');
    codex.edit('src/app.ts', 'export const b = 2;\n', 'export const b = 2;\nexport const c = 3;\n');
    codex.write('src/config.ts', 'export const config = { debug: false };\n');
    codex.bash("printf 'built\\n' > build.txt");
    codex.end();
    expect(codex.results.every((result) => result.code === 0 && result.stdout === '')).toBe(true);
    repo.write('NOTES.md', 'by hand\n');
    const sha = repo.commit('codex work');
    repo.git(['push', '-q', 'origin', 'main']);

    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === sha)!;
    const lines = (path: string) => commit.files.find((file) => file.path === path)?.lines;
    expect(lines('src/app.ts')).toEqual([{ start: 3, end: 3, attribution: 'ai', session_id: codex.sessionId }]);
    expect(lines('src/config.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: codex.sessionId }]);
    expect(lines('build.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: codex.sessionId }]);
    expect(lines('NOTES.md')).toEqual([{ start: 1, end: 1, attribution: 'human' }]);

    const session = statement.predicate.sessions[0] as unknown as SessionObject;
    expect(session.agent.name).toBe('codex');
    expect(session.session.id).toBe(codex.sessionId);
    expect(session.model).toMatchObject({ primary: 'gpt-5.6-terra', provider: 'openai' });
    // Three requests of the simulator's fixed spend, read from the rollout by Codex's semantics.
    expect(session.usage).toMatchObject({
      input_tokens: 3 * (SIMULATED_REQUEST.input_tokens - SIMULATED_REQUEST.cached_input_tokens),
      cache_read_input_tokens: 3 * SIMULATED_REQUEST.cached_input_tokens,
      output_tokens: 3 * SIMULATED_REQUEST.output_tokens,
    });
    expect(session.tools_used?.total_invocations).toBe(3);
    // Every apply_patch of the rollout was seen by the hooks.
    expect(session.warnings.join('\n')).not.toMatch(/not seen/);
    expect(session.warnings.join('\n')).toMatch(/plan credits/);
  });

  it('Claude Code and Codex in one commit: each line to its own agent and session', () => {
    const repo = makeRepo({ init: false, initialFiles: { 'a.txt': 'one\n' } });
    expect(repo.trace(['init', '--claude', '--codex', '--yes']).code).toBe(0);
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const claude = new FakeClaude(repo);
    claude.start('claude-opus-4-8');
    claude.write('claude.txt', 'from claude\n');
    const codex = new SimulatedCodex(repo, { paths: 'relative' });
    codex.start('gpt-5.6-terra');
    codex.edit('a.txt', 'one\n', 'one\nfrom codex\n');
    const sha = repo.commit('both');
    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === sha)!;
    expect(commit.files.find((file) => file.path === 'claude.txt')!.lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: claude.sessionId }]);
    expect(commit.files.find((file) => file.path === 'a.txt')!.lines).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: codex.sessionId }]);
    const agents = (statement.predicate.sessions as unknown as SessionObject[]).map((s) => [s.session.id, s.agent.name]).sort();
    expect(agents).toEqual([[claude.sessionId, 'claude-code'], [codex.sessionId, 'codex']].sort());
  });
});
