// OpenCode itself (pinned in test/agents/agents.json) driven by a scripted Chat Completions server.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { commitAndPush, linesOf } from './support/attested.js';
import { DENIED_ENV, DENIED_PUSH, enforceGuard, expectGuardRecord, expectNothingRan, FORCE_PUSH, SECRET } from './support/guarded.js';
import { shortenTimeouts, slowTrace } from './support/slow-trace.js';
import { type ModelServer, startModelServer } from './support/model-server.js';
import { type ChatReply, type ChatRequest, chatScenario, toolMessages } from './support/openai-chat.js';
import { openCodeUsage, runOpenCode } from './support/opencode.js';

afterAll(cleanupTemps);
const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** OpenCode names each new session by asking the model for a title, without tools. */
const isTitleCall = (body: ChatRequest) => JSON.stringify(body.messages[0]?.content ?? '').includes('You are a title generator');
const TITLE: ChatReply = { text: 'Scripted session', usage: { prompt: 11, completion: 3 }, accepts: isTitleCall };

async function serve(replies: ChatReply[]) {
  const scenario = chatScenario(replies, [TITLE]);
  const server = await startModelServer(scenario.route);
  servers.push(server);
  return { scenario, server };
}

/** OpenCode installs @opencode-ai/plugin into its config folder from registry.npmjs.org in the background, whatever the config says. */
const OPENCODE_OUTSIDE_CALLS = ['CONNECT registry.npmjs.org:443'];

describe('OpenCode, for real', () => {
  it('write, edit and bash in one session, a human edit, a continued prompt', async () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    const file = join(repo.dir, 'src', 'feature.ts');
    const { scenario, server } = await serve([
      { text: 'Writing it.', tools: [{ name: 'write', arguments: { filePath: file, content: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, completion: 40 } },
      { tools: [{ name: 'edit', arguments: { filePath: file, oldString: 'export const b = 2;', newString: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, completion: 30 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, completion: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, completion: 5 } },
      { tools: [{ name: 'read', arguments: { filePath: file } }], usage: { prompt: 1400, cached: 1200, completion: 10 } },
      { tools: [{ name: 'edit', arguments: { filePath: file, oldString: 'export const a = 1;', newString: 'export const a = 10;' } }], usage: { prompt: 1500, cached: 1200, completion: 25 } },
      { text: 'Changed a.', usage: { prompt: 1600, cached: 1500, completion: 4 } },
    ]);
    const first = await runOpenCode(repo, server.url, 'create src/feature.ts and build');
    expect(repo.read('src/feature.ts')).toBe('export const a = 1;\nexport const b = 3;\n');
    expect(repo.read('build.log')).toBe('built\n');
    expect([...toolMessages(scenario.served[1]!.request).keys()]).toEqual([scenario.served[0]!.callIds[0]]);
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const second = await runOpenCode(repo, server.url, 'set a to 10', { session: first.sessionId });
    expect(second.sessionId).toBe(first.sessionId);
    expect(repo.read('src/feature.ts')).toBe('export const a = 10;\nexport const b = 3;\n// by hand\n');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`).filter((r) => !OPENCODE_OUTSIDE_CALLS.includes(r))).toEqual([]);
    // OpenCode's input excludes cache reads: 1000 + (1100-900) + (1200-1000) + (1300-1100).
    expect(openCodeUsage(first.events)).toEqual({ input: 1600, output: 95, cacheRead: 3000 });
    expect(openCodeUsage(second.events)).toEqual({ input: 600, output: 39, cacheRead: 3900 });
    expect(scenario.side).toHaveLength(1); // one title, for the one session
  });
});


describe('OpenCode capture, in the pushed attestation', () => {
  it('write and edit lines to the OpenCode session, a human line to the human, usage as OpenCode reported', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const file = join(repo.dir, 'src', 'feature.ts');
    const { server } = await serve([
      { tools: [{ name: 'write', arguments: { filePath: file, content: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, completion: 40 } },
      { tools: [{ name: 'edit', arguments: { filePath: file, oldString: 'export const b = 2;', newString: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, completion: 30 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, completion: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, completion: 5 } },
    ]);
    const run = await runOpenCode(repo, server.url, 'create src/feature.ts and build');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`).filter((r) => !OPENCODE_OUTSIDE_CALLS.includes(r))).toEqual([]);
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const { statement, sessions } = commitAndPush(repo, 'feature', ['src/feature.ts', 'build.log']);
    expect(linesOf(statement, 'src/feature.ts')).toEqual([
      { start: 1, end: 2, attribution: 'ai', session_id: run.sessionId },
      { start: 3, end: 3, attribution: 'human' },
    ]);
    expect(linesOf(statement, 'build.log')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    const session = sessions[0]!;
    expect(session.agent).toMatchObject({ name: 'opencode' });
    expect(session.model!.primary).toContain('scripted-model');
    // OpenCode's input already leaves cache reads out, like the session object.
    const reported = openCodeUsage(run.events);
    expect(reported).toEqual({ input: 1600, output: 95, cacheRead: 3000 });
    expect(session.usage).toMatchObject({ output_tokens: reported.output, cache_read_input_tokens: reported.cacheRead, input_tokens: reported.input });
  });

  it('a trace that hangs never stalls the agent past the hook timeouts trace configures', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    shortenTimeouts(repo, '.opencode/plugins/trace.ts', /\b[13]0000\b/g, '2000'); // its 10 s and 30 s timeouts
    const slow = slowTrace(repo);
    const { server } = await serve([
      { tools: [{ name: 'write', arguments: { filePath: join(repo.dir, 'slow.ts'), content: 'export const slow = 1;\n' } }], usage: { prompt: 10, completion: 1 } },
      { text: 'written', usage: { prompt: 10, completion: 1 } },
    ]);
    const run = await runOpenCode(repo, server.url, 'write slow.ts', { env: { PATH: slow.path }, timeoutMs: 150_000 });
    expect(run.sessionId).toBeTruthy();
    expect(repo.read('slow.ts')).toBe('export const slow = 1;\n');
    const calls = slow.calls();
    // At least the tool hooks fired, each waited on for at most its 2 s: never the 30 s trace installs.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(run.run.ms).toBeLessThan(calls.length * 2_000 + 60_000);
    expect(run.run.ms).toBeGreaterThanOrEqual(2_000);
  });

  it('failing calls: an edit that finds nothing and a command that exits 3 after writing a file', async () => {
    const repo = makeRepo({ initialFiles: { 'keep.ts': 'export const keep = 1;\n' } });
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const { server } = await serve([
      { tools: [{ name: 'read', arguments: { filePath: join(repo.dir, 'keep.ts') } }], usage: { prompt: 50, completion: 5 } },
      { tools: [{ name: 'edit', arguments: { filePath: join(repo.dir, 'keep.ts'), oldString: 'not in the file', newString: 'x' } }], usage: { prompt: 100, completion: 10 } },
      { tools: [{ name: 'bash', arguments: { command: "printf 'partial\\n' > partial.txt; exit 3", description: 'Fail halfway' } }], usage: { prompt: 200, completion: 20 } },
      { text: 'Both failed.', usage: { prompt: 300, completion: 3 } },
    ]);
    const run = await runOpenCode(repo, server.url, 'try it');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`).filter((r) => !OPENCODE_OUTSIDE_CALLS.includes(r))).toEqual([]);
    const tools = run.events.filter((e) => e.type === 'tool_use').map((e) => [e.part!.tool, e.part!.state!.status]);
    expect(tools).toEqual([['read', 'completed'], ['edit', 'error'], ['bash', 'completed']]);
    expect(repo.read('keep.ts')).toBe('export const keep = 1;\n');
    const { statement } = commitAndPush(repo, 'partial', ['partial.txt']);
    expect(linesOf(statement, 'partial.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
  });
});

describe('OpenCode, for real: the guard in enforce mode', () => {
  it('a write of .env and a forced push are denied by a throw from tool.execute.before: neither runs, OpenCode tells the model, the attestation records both', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    enforceGuard(repo);
    const remoteMain = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const { scenario, server } = await serve([
      { tools: [{ name: 'write', arguments: { filePath: join(repo.dir, '.env'), content: SECRET } }], usage: { prompt: 100, completion: 10 } },
      { tools: [{ name: 'bash', arguments: { command: FORCE_PUSH, description: 'Push' } }], usage: { prompt: 110, completion: 11 } },
      { tools: [{ name: 'write', arguments: { filePath: join(repo.dir, 'ok.ts'), content: 'export const ok = 1;\n' } }], usage: { prompt: 120, completion: 12 } },
      { text: 'Two calls were denied.', usage: { prompt: 130, completion: 13 } },
    ]);
    const run = await runOpenCode(repo, server.url, 'set the secret and push');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`).filter((r) => !OPENCODE_OUTSIDE_CALLS.includes(r))).toEqual([]);
    const tools = run.events.filter((e) => e.type === 'tool_use').map((e) => [e.part!.tool, e.part!.state!.status]);
    expect(tools).toEqual([['write', 'error'], ['bash', 'error'], ['write', 'completed']]);
    expectNothingRan(repo, remoteMain);
    expect(repo.read('ok.ts')).toBe('export const ok = 1;\n');
    // The denial reached the model as the call's result, in the request after each denied call.
    expect(JSON.stringify(toolMessages(scenario.served[1]!.request).get(scenario.served[0]!.callIds[0]!))).toMatch(DENIED_ENV);
    expect(JSON.stringify(toolMessages(scenario.served[2]!.request).get(scenario.served[1]!.callIds[0]!))).toMatch(DENIED_PUSH);
    const { statement, sessions } = commitAndPush(repo, 'ok', ['ok.ts']);
    expect(linesOf(statement, 'ok.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    expectGuardRecord(statement, run.sessionId, { file: 'write', shell: 'bash' });
  });
});

describe('OpenCode, for real: a subagent', () => {
  it('the task tool: the child session’s write is the parent session’s, its usage in the session totals', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const subPrompt = 'Write sub.ts with one constant.';
    const firstUser = (b: ChatRequest) => JSON.stringify(b.messages.find((m) => m.role === 'user')?.content ?? '');
    const isSubagent = (b: ChatRequest) => !isTitleCall(b) && firstUser(b).includes(subPrompt);
    const isMain = (b: ChatRequest) => !isTitleCall(b) && !isSubagent(b);
    const { scenario, server } = await serve([
      { tools: [{ name: 'task', arguments: { description: 'Write sub.ts', prompt: subPrompt, subagent_type: 'general' } }], usage: { prompt: 300, completion: 30 }, accepts: isMain },
      { tools: [{ name: 'write', arguments: { filePath: join(repo.dir, 'sub.ts'), content: 'export const sub = 1;\n' } }], usage: { prompt: 400, completion: 40 }, accepts: isSubagent },
      { text: 'sub.ts written', usage: { prompt: 410, completion: 4 }, accepts: isSubagent },
      { text: 'The subagent wrote sub.ts.', usage: { prompt: 320, completion: 12 }, accepts: isMain },
    ]);
    const run = await runOpenCode(repo, server.url, 'delegate it');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`).filter((r) => !OPENCODE_OUTSIDE_CALLS.includes(r))).toEqual([]);
    expect(scenario.remaining()).toBe(0);
    expect(repo.read('sub.ts')).toBe('export const sub = 1;\n');
    const { statement, sessions } = commitAndPush(repo, 'sub', ['sub.ts']);
    expect(linesOf(statement, 'sub.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.sessionId]);
    const session = sessions[0]!;
    expect(session.model!.primary).toContain('scripted-model');
    // Every response the server sent, the parent's and the child's, once (no cache reads: input is the prompt).
    expect(session.usage).toMatchObject({ input_tokens: 1430, output_tokens: 86, cache_read_input_tokens: 0 });
    // The child session is listed as the session's one subagent.
    expect(session.subagents?.map((s) => s.id)).toEqual([expect.not.stringMatching(run.sessionId) as unknown]);
  });
});
