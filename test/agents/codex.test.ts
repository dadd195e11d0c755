// Codex CLI itself (pinned in test/agents/agents.json) driven by a scripted Responses server.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { commitAndPush, linesOf } from './support/attested.js';
import { DENIED_ENV, DENIED_PUSH, enforceGuard, expectGuardRecord, expectNothingRan, FORCE_PUSH, SECRET } from './support/guarded.js';
import { shortenTimeouts, slowTrace } from './support/slow-trace.js';
import { codexUsage, runCodex } from './support/codex.js';
import { type ModelServer, startModelServer } from './support/model-server.js';
import { type ResponsesReply, type ResponsesRequest, responsesScenario, toolOutputs } from './support/openai-responses.js';

afterAll(cleanupTemps);
const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function serve(replies: ResponsesReply[]) {
  const scenario = responsesScenario(replies);
  const server = await startModelServer(scenario.route);
  servers.push(server);
  return { scenario, server };
}

describe('Codex CLI, for real', () => {
  it('apply_patch and exec_command in one session, a human edit, a resumed prompt', async () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    const { scenario, server } = await serve([
      { text: 'Adding it.', tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Add File: src/feature.ts\n+export const a = 1;\n+export const b = 2;\n*** End Patch\n' }], usage: { input: 1000, cached: 200, output: 40 } },
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: src/feature.ts\n@@\n-export const b = 2;\n+export const b = 3;\n*** End Patch\n' }], usage: { input: 1100, cached: 900, output: 30 } },
      { tools: [{ name: 'exec_command', arguments: { cmd: "printf 'built\\n' > build.log" } }], usage: { input: 1200, cached: 1000, output: 20 } },
      { text: 'Done.', usage: { input: 1300, cached: 1100, output: 5 } },
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: src/feature.ts\n@@\n-export const a = 1;\n+export const a = 10;\n*** End Patch\n' }], usage: { input: 1500, cached: 1200, output: 25 } },
      { text: 'Changed a.', usage: { input: 1600, cached: 1500, output: 4 } },
    ]);
    const first = await runCodex(repo, server.url, 'create src/feature.ts and build');
    expect(repo.read('src/feature.ts')).toBe('export const a = 1;\nexport const b = 3;\n');
    expect(repo.read('build.log')).toBe('built\n');
    expect(scenario.served[1]!.request.model).toBe('gpt-5.5');
    expect([...toolOutputs(scenario.served[1]!.request).keys()]).toContain(scenario.served[0]!.callIds[0]);
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const second = await runCodex(repo, server.url, 'set a to 10', { resume: first.threadId });
    expect(second.threadId).toBe(first.threadId);
    expect(repo.read('src/feature.ts')).toBe('export const a = 10;\nexport const b = 3;\n// by hand\n');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    // Codex's report is the thread's running total: the first run's four replies, then all six.
    expect(codexUsage(first.events)).toEqual({ input: 4600, cached: 3200, output: 95 });
    expect(codexUsage(second.events)).toEqual({ input: 7700, cached: 5900, output: 124 });
  });
});


describe('Codex CLI capture, in the pushed attestation', () => {
  it('apply_patch lines to the Codex session, a human line to the human, usage as Codex reported', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const { server } = await serve([
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Add File: src/feature.ts\n+export const a = 1;\n+export const b = 2;\n*** End Patch\n' }], usage: { input: 1000, cached: 200, output: 40 } },
      { tools: [{ name: 'exec_command', arguments: { cmd: "printf 'built\\n' > build.log" } }], usage: { input: 1200, cached: 1000, output: 20 } },
      { text: 'Done.', usage: { input: 1300, cached: 1100, output: 5 } },
    ]);
    const run = await runCodex(repo, server.url, 'create src/feature.ts and build');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const { statement, sessions } = commitAndPush(repo, 'feature', ['src/feature.ts', 'build.log']);
    expect(linesOf(statement, 'src/feature.ts')).toEqual([
      { start: 1, end: 2, attribution: 'ai', session_id: run.threadId },
      { start: 3, end: 3, attribution: 'human' },
    ]);
    expect(linesOf(statement, 'build.log')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.threadId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.threadId]);
    const session = sessions[0]!;
    expect(session.agent).toMatchObject({ name: 'codex' });
    expect(session.model!.primary).toBe('gpt-5.5');
    // Codex counts cached tokens inside input; the session object counts them apart.
    const reported = codexUsage(run.events);
    expect(reported).toEqual({ input: 3500, cached: 2300, output: 65 });
    expect(session.usage).toMatchObject({ output_tokens: reported.output, cache_read_input_tokens: reported.cached, input_tokens: reported.input - reported.cached });
  });

  it('a trace that hangs never stalls the agent past the hook timeouts trace configures', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    shortenTimeouts(repo, '.codex/hooks.json', /"timeout": \d+/g, '"timeout": 2');
    const slow = slowTrace(repo);
    const { server } = await serve([
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Add File: slow.ts\n+export const slow = 1;\n*** End Patch\n' }], usage: { input: 10, output: 1 } },
      { text: 'written', usage: { input: 10, output: 1 } },
    ]);
    const run = await runCodex(repo, server.url, 'write slow.ts', { env: { PATH: slow.path }, timeoutMs: 100_000 });
    expect(run.threadId).toBeTruthy();
    expect(repo.read('slow.ts')).toBe('export const slow = 1;\n');
    const calls = slow.calls();
    // At least the tool hooks fired, each waited on for at most its 2 s: never the 30 s trace installs.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(run.run.ms).toBeLessThan(calls.length * 2_000 + 30_000);
    expect(run.run.ms).toBeGreaterThanOrEqual(2_000);
  });

  it('failing calls: an apply_patch on a missing file and a command that exits 3 after writing a file', async () => {
    const repo = makeRepo({ initialFiles: { 'keep.ts': 'export const keep = 1;\n' } });
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const { scenario, server } = await serve([
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: missing.ts\n@@\n-a\n+b\n*** End Patch\n' }], usage: { input: 100, output: 10 } },
      { tools: [{ name: 'exec_command', arguments: { cmd: "printf 'partial\\n' > partial.txt; exit 3" } }], usage: { input: 200, output: 20 } },
      { text: 'Both failed.', usage: { input: 300, output: 3 } },
    ]);
    const run = await runCodex(repo, server.url, 'try it');
    expect(server.unscripted).toEqual([]);
    expect(JSON.stringify(toolOutputs(scenario.served[1]!.request).get(scenario.served[0]!.callIds[0]!))).toMatch(/missing\.ts|No such file|not found/i);
    expect(JSON.stringify(toolOutputs(scenario.served[2]!.request).get(scenario.served[1]!.callIds[0]!))).toContain('Process exited with code 3');
    expect(repo.read('keep.ts')).toBe('export const keep = 1;\n');
    const { statement } = commitAndPush(repo, 'partial', ['partial.txt']);
    expect(linesOf(statement, 'partial.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.threadId }]);
  });
});

describe('Codex CLI, for real: the guard in enforce mode', () => {
  it('an apply_patch adding .env and a forced push are denied through PreToolUse (exit 2): neither runs, Codex tells the model, the attestation records both', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    enforceGuard(repo);
    const remoteMain = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const { scenario, server } = await serve([
      { tools: [{ name: 'apply_patch', input: `*** Begin Patch\n*** Add File: .env\n+${SECRET.trim()}\n*** End Patch\n` }], usage: { input: 100, output: 10 } },
      { tools: [{ name: 'exec_command', arguments: { cmd: FORCE_PUSH } }], usage: { input: 110, output: 11 } },
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Add File: ok.ts\n+export const ok = 1;\n*** End Patch\n' }], usage: { input: 120, output: 12 } },
      { text: 'Two calls were denied.', usage: { input: 130, output: 13 } },
    ]);
    const run = await runCodex(repo, server.url, 'set the secret and push');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expectNothingRan(repo, remoteMain);
    expect(repo.read('ok.ts')).toBe('export const ok = 1;\n');
    // The denial reached the model as the call's output, in the request after each denied call.
    expect(JSON.stringify(toolOutputs(scenario.served[1]!.request).get(scenario.served[0]!.callIds[0]!))).toMatch(DENIED_ENV);
    expect(JSON.stringify(toolOutputs(scenario.served[2]!.request).get(scenario.served[1]!.callIds[0]!))).toMatch(DENIED_PUSH);
    const { statement, sessions } = commitAndPush(repo, 'ok', ['ok.ts']);
    expect(linesOf(statement, 'ok.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.threadId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.threadId]);
    expectGuardRecord(statement, run.threadId, { file: 'apply_patch', shell: 'Bash' });
  });
});

describe('Codex CLI, for real: a subagent', () => {
  it('spawn_agent (multi_agent_v2): the subagent thread’s apply_patch is the session’s, its rollout’s usage in the totals', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    // The subagent's requests carry the parent's task as an agent_message addressed to it; parent and
    // subagent run at once, so each reply names who may take it.
    const isSubagent = (b: ResponsesRequest) => b.input.some((item) => item.type === 'agent_message' && (item as { recipient?: unknown }).recipient === '/root/writer');
    const isMain = (b: ResponsesRequest) => !isSubagent(b);
    const { scenario, server } = await serve([
      { tools: [{ name: 'spawn_agent', namespace: 'collaboration', arguments: { task_name: 'writer', message: 'Write sub.ts with one constant.', fork_turns: 'none' } }], usage: { input: 300, output: 30 }, accepts: isMain },
      { tools: [{ name: 'wait_agent', namespace: 'collaboration', arguments: { timeout_ms: 60_000 } }], usage: { input: 310, output: 10 }, accepts: isMain },
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Add File: sub.ts\n+export const sub = 1;\n*** End Patch\n' }], usage: { input: 400, cached: 100, output: 40 }, accepts: isSubagent },
      { text: 'sub.ts written', usage: { input: 410, output: 4 }, accepts: isSubagent },
      { text: 'The subagent wrote sub.ts.', usage: { input: 320, output: 12 }, accepts: isMain },
    ]);
    // Subagents are off by default in 0.171.0 (`multi_agent_v2`, a stable feature).
    const run = await runCodex(repo, server.url, 'delegate it', { features: { multi_agent_v2: true } });
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(scenario.remaining()).toBe(0);
    expect(repo.read('sub.ts')).toBe('export const sub = 1;\n');
    // Codex's own report is the parent thread's alone.
    expect(codexUsage(run.events)).toEqual({ input: 930, cached: 0, output: 52 });
    const { statement, sessions } = commitAndPush(repo, 'sub', ['sub.ts']);
    expect(linesOf(statement, 'sub.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.threadId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.threadId]);
    const session = sessions[0]!;
    expect(session.model!.primary).toBe('gpt-5.5');
    // Parent and subagent threads, once each: 930 + 810 input of which 100 cached, 52 + 44 output.
    expect(session.usage).toMatchObject({ input_tokens: 1740 - 100, cache_read_input_tokens: 100, output_tokens: 96 });
    expect(session.subagents).toEqual([expect.objectContaining({ type: '/root/writer', tokens: { input: 810, output: 44 } })]);
    expect(session.warnings ?? []).not.toContainEqual(expect.stringContaining('subagent'));
  });
});
