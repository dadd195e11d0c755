// Copilot CLI itself (pinned in test/agents/agents.json) in its offline BYOK mode, driven by a scripted
// Chat Completions server.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { commitAndPush, linesOf } from './support/attested.js';
import { DENIED_ENV, DENIED_PUSH, enforceGuard, expectGuardRecord, expectNothingRan, FORCE_PUSH, SECRET } from './support/guarded.js';
import { shortenTimeouts, slowTrace } from './support/slow-trace.js';
import { runCopilot } from './support/copilot.js';
import { type ModelServer, startModelServer } from './support/model-server.js';
import { type ChatReply, type ChatRequest, chatScenario, toolMessages } from './support/openai-chat.js';

afterAll(cleanupTemps);
const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function serve(replies: ChatReply[]) {
  const scenario = chatScenario(replies);
  const server = await startModelServer(scenario.route);
  servers.push(server);
  return { scenario, server };
}

describe('Copilot CLI, for real', () => {
  it('create, edit and bash in one session, a human edit, a resumed prompt', async () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    // Copilot's create does not make parent folders.
    const file = join(repo.dir, 'feature.ts');
    const { scenario, server } = await serve([
      { text: 'Writing it.', tools: [{ name: 'create', arguments: { path: file, file_text: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, completion: 40 } },
      { tools: [{ name: 'edit', arguments: { path: file, old_str: 'export const b = 2;', new_str: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, completion: 30 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, completion: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, completion: 5 } },
      { tools: [{ name: 'edit', arguments: { path: file, old_str: 'export const a = 1;', new_str: 'export const a = 10;' } }], usage: { prompt: 1500, cached: 1200, completion: 25 } },
      { text: 'Changed a.', usage: { prompt: 1600, cached: 1500, completion: 4 } },
    ]);
    const first = await runCopilot(repo, server.url, 'create feature.ts and build');
    expect(first.events.filter((e) => e.type === 'tool.execution_complete').map((e) => e.data!.success)).toEqual([true, true, true]);
    expect(repo.read('feature.ts')).toBe('export const a = 1;\nexport const b = 3;\n');
    expect(repo.read('build.log')).toBe('built\n');
    expect([...toolMessages(scenario.served[1]!.request).keys()]).toEqual([scenario.served[0]!.callIds[0]]);
    repo.write('feature.ts', `${repo.read('feature.ts')}// by hand\n`);
    const second = await runCopilot(repo, server.url, 'set a to 10', { resume: first.sessionId });
    expect(second.sessionId).toBe(first.sessionId);
    expect(repo.read('feature.ts')).toBe('export const a = 10;\nexport const b = 3;\n// by hand\n');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});


describe('Copilot CLI capture, in the pushed attestation', () => {
  it('create and edit lines to the Copilot session, a human line to the human, usage as the server sent it', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--copilot', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const file = join(repo.dir, 'feature.ts');
    const { server } = await serve([
      { tools: [{ name: 'create', arguments: { path: file, file_text: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, completion: 40 } },
      { tools: [{ name: 'edit', arguments: { path: file, old_str: 'export const b = 2;', new_str: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, completion: 30 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, completion: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, completion: 5 } },
    ]);
    const run = await runCopilot(repo, server.url, 'create feature.ts and build');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    repo.write('feature.ts', `${repo.read('feature.ts')}// by hand\n`);
    const { statement, sessions } = commitAndPush(repo, 'feature', ['feature.ts', 'build.log']);
    expect(linesOf(statement, 'feature.ts')).toEqual([
      { start: 1, end: 2, attribution: 'ai', session_id: run.sessionId },
      { start: 3, end: 3, attribution: 'human' },
    ]);
    expect(linesOf(statement, 'build.log')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    const session = sessions[0]!;
    expect(session.agent).toMatchObject({ name: 'copilot' });
    expect(session.model!.primary).toBe('claude-sonnet-4.6');
    // Copilot prints no token figures in its JSON output: its events.jsonl must hold what the server sent.
    expect(session.usage).toMatchObject({ output_tokens: 95, cache_read_input_tokens: 3000, input_tokens: 4600 - 3000 });
  });

  it('a trace that hangs never stalls the agent past the hook timeouts trace configures', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--copilot', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    shortenTimeouts(repo, '.github/hooks/trace.json', /"timeoutSec": \d+/g, '"timeoutSec": 2');
    // Copilot also runs the Claude Code hooks of .claude/settings.json (trace init put them there), at their own timeouts.
    shortenTimeouts(repo, '.claude/settings.json', /"timeout": \d+/g, '"timeout": 2');
    const slow = slowTrace(repo);
    const { server } = await serve([
      { tools: [{ name: 'create', arguments: { path: join(repo.dir, 'slow.ts'), file_text: 'export const slow = 1;\n' } }], usage: { prompt: 10, completion: 1 } },
      { text: 'written', usage: { prompt: 10, completion: 1 } },
    ]);
    const run = await runCopilot(repo, server.url, 'write slow.ts', { env: { PATH: slow.path }, timeoutMs: 100_000 });
    expect(run.sessionId).toBeTruthy();
    expect(repo.read('slow.ts')).toBe('export const slow = 1;\n');
    const calls = slow.calls();
    // At least the tool hooks fired, each waited on for at most its 2 s: never the 30 s trace installs.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(run.run.ms).toBeLessThan(calls.length * 2_000 + 40_000);
    expect(run.run.ms).toBeGreaterThanOrEqual(2_000);
  });

  it('failing calls: an edit that finds nothing and a command that exits 3 after writing a file', async () => {
    const repo = makeRepo({ initialFiles: { 'keep.ts': 'export const keep = 1;\n' } });
    const init = repo.trace(['init', '--copilot', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const { server } = await serve([
      { tools: [{ name: 'edit', arguments: { path: join(repo.dir, 'keep.ts'), old_str: 'not in the file', new_str: 'x' } }], usage: { prompt: 100, completion: 10 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'partial\\n' > partial.txt; exit 3", description: 'Fail halfway' } }], usage: { prompt: 200, completion: 20 } },
      { text: 'Both failed.', usage: { prompt: 300, completion: 3 } },
    ]);
    const run = await runCopilot(repo, server.url, 'try it');
    expect(server.unscripted).toEqual([]);
    const completions = run.events.filter((e) => e.type === 'tool.execution_complete').map((e) => e.data!);
    expect(completions[0]!.success).toBe(false);
    expect(completions[1]!.shellExecution).toEqual({ exitCode: 3 });
    expect(repo.read('keep.ts')).toBe('export const keep = 1;\n');
    const { statement } = commitAndPush(repo, 'partial', ['partial.txt']);
    expect(linesOf(statement, 'partial.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
  });
});

describe('Copilot CLI, for real: the guard in enforce mode', () => {
  it('a create of .env and a forced push are denied through preToolUse: neither runs, Copilot tells the model, the attestation records both', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--copilot', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    enforceGuard(repo);
    const remoteMain = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const { scenario, server } = await serve([
      { tools: [{ name: 'create', arguments: { path: join(repo.dir, '.env'), file_text: SECRET } }], usage: { prompt: 100, completion: 10 } },
      { tools: [{ name: 'bash', arguments: { command: FORCE_PUSH, description: 'Push' } }], usage: { prompt: 110, completion: 11 } },
      { tools: [{ name: 'create', arguments: { path: join(repo.dir, 'ok.ts'), file_text: 'export const ok = 1;\n' } }], usage: { prompt: 120, completion: 12 } },
      { text: 'Two calls were denied.', usage: { prompt: 130, completion: 13 } },
    ]);
    const run = await runCopilot(repo, server.url, 'set the secret and push');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expectNothingRan(repo, remoteMain);
    expect(repo.read('ok.ts')).toBe('export const ok = 1;\n');
    // The denial reached the model as the tool message, in the request after each denied call.
    expect(JSON.stringify(toolMessages(scenario.served[1]!.request).get(scenario.served[0]!.callIds[0]!))).toMatch(DENIED_ENV);
    expect(JSON.stringify(toolMessages(scenario.served[2]!.request).get(scenario.served[1]!.callIds[0]!))).toMatch(DENIED_PUSH);
    const { statement, sessions } = commitAndPush(repo, 'ok', ['ok.ts']);
    expect(linesOf(statement, 'ok.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    expectGuardRecord(statement, run.sessionId, { file: 'create', shell: 'bash' });
  });
});

describe('Copilot CLI, for real: a subagent', () => {
  it('the task tool (general-purpose): its create is the session’s, its usage counted once', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--copilot', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const subPrompt = 'Write sub.ts with one constant.';
    const isSubagent = (b: ChatRequest) => JSON.stringify(b.messages.filter((m) => m.role === 'user')).includes(subPrompt);
    const { scenario, server } = await serve([
      { tools: [{ name: 'task', arguments: { name: 'writer', description: 'Write sub.ts', prompt: subPrompt, agent_type: 'general-purpose', mode: 'sync' } }], usage: { prompt: 300, completion: 30 }, accepts: (b) => !isSubagent(b) },
      { tools: [{ name: 'create', arguments: { path: join(repo.dir, 'sub.ts'), file_text: 'export const sub = 1;\n' } }], usage: { prompt: 400, completion: 40 }, accepts: isSubagent },
      { text: 'sub.ts written', usage: { prompt: 410, completion: 4 }, accepts: isSubagent },
      { text: 'The subagent wrote sub.ts.', usage: { prompt: 320, completion: 12 }, accepts: (b) => !isSubagent(b) },
    ]);
    const run = await runCopilot(repo, server.url, 'delegate it');
    expect(server.unscripted.map((r) => `${r.method} ${r.url} ${r.raw.slice(0, 300)}`)).toEqual([]);
    expect(scenario.remaining()).toBe(0);
    expect(repo.read('sub.ts')).toBe('export const sub = 1;\n');
    const { statement, sessions } = commitAndPush(repo, 'sub', ['sub.ts']);
    expect(linesOf(statement, 'sub.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    const session = sessions[0]!;
    expect(session.model!.primary).toBe('claude-sonnet-4.6');
    // Every response the server sent, the main agent's and the subagent's, once.
    expect(session.usage).toMatchObject({ input_tokens: 1430, output_tokens: 86 });
    expect(session.subagents).toEqual([expect.objectContaining({ type: 'general-purpose', models: ['claude-sonnet-4.6'] })]);
  });
});
