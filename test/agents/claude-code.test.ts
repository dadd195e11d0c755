// Claude Code itself (pinned in test/agents/agents.json) driven by a scripted Anthropic server: its
// real tools fire trace's installed hooks, and the pushed attestation must name its session, model,
// lines and the usage Claude reported.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { commitAndPush, linesOf, pushedSessions } from './support/attested.js';
import { DENIED_ENV, DENIED_PUSH, enforceGuard, expectGuardRecord, expectNothingRan, FORCE_PUSH, SECRET } from './support/guarded.js';
import { type AnthropicReply, anthropicScenario, type MessagesRequest, toolResults } from './support/anthropic.js';
import { type ClaudeResult, runClaude } from './support/claude-code.js';
import { type ModelServer, startModelServer } from './support/model-server.js';
import { PINS } from './support/runner.js';
import { shortenTimeouts, slowTrace } from './support/slow-trace.js';

afterAll(cleanupTemps);

const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function serve(replies: AnthropicReply[]) {
  const scenario = anthropicScenario(replies);
  const server = await startModelServer(scenario.route);
  servers.push(server);
  return { scenario, server };
}

/** Claude's own totals over one or more `-p` runs. */
function reported(...results: ClaudeResult[]) {
  return {
    input_tokens: results.reduce((n, r) => n + r.usage.input_tokens, 0),
    output_tokens: results.reduce((n, r) => n + r.usage.output_tokens, 0),
    cache_read_input_tokens: results.reduce((n, r) => n + r.usage.cache_read_input_tokens, 0),
    cache_creation_input_tokens: results.reduce((n, r) => n + r.usage.cache_creation_input_tokens, 0),
  };
}

describe('Claude Code, for real', () => {
  it('write, edit and Bash, a human edit, a resumed prompt: every line to its author, usage as Claude reported', async () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const file = join(repo.dir, 'src', 'feature.ts');
    const { scenario, server } = await serve([
      { text: 'Writing it.', tools: [{ name: 'Write', input: { file_path: file, content: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { input: 1200, output: 40, cacheWrite: 300 } },
      { tools: [{ name: 'Edit', input: { file_path: file, old_string: 'export const b = 2;', new_string: 'export const b = 3;' } }], usage: { input: 20, output: 30, cacheRead: 1500 } },
      { tools: [{ name: 'Bash', input: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { input: 15, output: 25, cacheRead: 1550 } },
      { text: 'Done.', usage: { input: 10, output: 5, cacheRead: 1600 } },
      // the second prompt, after a human edit: Read (Claude refuses to edit a file changed since it read it), then Edit
      { tools: [{ name: 'Read', input: { file_path: file } }], usage: { input: 50, output: 12, cacheRead: 1700 } },
      { tools: [{ name: 'Edit', input: { file_path: file, old_string: 'export const a = 1;', new_string: 'export const a = 10;' } }], usage: { input: 30, output: 22, cacheRead: 1800 } },
      { text: 'Changed a.', usage: { input: 8, output: 4, cacheRead: 1850 } },
    ]);

    const first = await runClaude(repo, server.url, 'create src/feature.ts and build');
    expect(first.result.is_error).toBe(false);
    expect(repo.read('src/feature.ts')).toBe('export const a = 1;\nexport const b = 3;\n');
    expect(repo.read('build.log')).toBe('built\n');
    // The tool results Claude sent back: its tools really ran.
    expect(scenario.served.slice(1, 4).map((s) => toolResults(s.request).map((r) => r.is_error ?? false))).toEqual([[false], [false], [false]]);

    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const second = await runClaude(repo, server.url, 'set a to 10', { resume: first.result.session_id });
    expect(second.result.is_error).toBe(false);
    expect(second.result.session_id).toBe(first.result.session_id);
    expect(repo.read('src/feature.ts')).toBe('export const a = 10;\nexport const b = 3;\n// by hand\n');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted).toEqual([]);

    const commit = repo.commit('feature', ['src/feature.ts']);
    repo.git(['push', '-q', 'origin', 'main']);
    const { statement, sessions } = pushedSessions(repo, commit);
    const session = first.result.session_id;
    expect(linesOf(statement, 'src/feature.ts')).toEqual([
      { start: 1, end: 2, attribution: 'ai', session_id: session },
      { start: 3, end: 3, attribution: 'human' },
    ]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.session.id).toBe(session);
    expect(sessions[0]!.agent).toMatchObject({ name: 'claude-code', version: PINS['claude-code'].version });
    expect(sessions[0]!.model!.primary).toBe('claude-sonnet-4-6');
    expect(sessions[0]!.usage).toMatchObject(reported(first.result, second.result));
    // …which is what the server sent, reply by reply.
    expect(sessions[0]!.usage).toMatchObject({ input_tokens: 1333, output_tokens: 138, cache_read_input_tokens: 10000, cache_creation_input_tokens: 300 });
    expect(sessions[0]!.warnings ?? []).toEqual([]);
  });
});

describe('Claude Code, for real: more than one session, failures, subagents, slow hooks', () => {
  it('two sessions on one repository: each file to its own session, each usage as its run reported', async () => {
    const repo = makeRepo();
    const { server } = await serve([
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'one.ts'), content: 'export const one = 1;\n' } }], usage: { input: 100, output: 10 } },
      { text: 'one done', usage: { input: 5, output: 2 } },
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'two.ts'), content: 'export const two = 2;\nexport const three = 3;\n' } }], usage: { input: 200, output: 20 } },
      { text: 'two done', usage: { input: 7, output: 3 } },
    ]);
    const one = await runClaude(repo, server.url, 'write one.ts');
    const two = await runClaude(repo, server.url, 'write two.ts', { model: 'claude-opus-4-8' });
    expect(one.result.session_id).not.toBe(two.result.session_id);
    expect(server.unscripted).toEqual([]);
    const commit = repo.commit('both');
    repo.git(['push', '-q', 'origin', 'main']);
    const { statement, sessions } = pushedSessions(repo, commit);
    expect(linesOf(statement, 'one.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: one.result.session_id }]);
    expect(linesOf(statement, 'two.ts')).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: two.result.session_id }]);
    const byId = new Map(sessions.map((s) => [s.session.id, s]));
    expect([...byId.keys()].sort()).toEqual([one.result.session_id, two.result.session_id].sort());
    expect(byId.get(one.result.session_id)!.model!.primary).toBe('claude-sonnet-4-6');
    expect(byId.get(two.result.session_id)!.model!.primary).toBe('claude-opus-4-8');
    expect(byId.get(one.result.session_id)!.usage).toMatchObject(reported(one.result));
    expect(byId.get(two.result.session_id)!.usage).toMatchObject(reported(two.result));
    expect(byId.get(two.result.session_id)!.usage).toMatchObject({ input_tokens: 207, output_tokens: 23 });
  });

  it('failing tool calls: an Edit that finds nothing and a Bash that exits 3 after writing a file', async () => {
    const repo = makeRepo({ initialFiles: { 'keep.ts': 'export const keep = 1;\n' } });
    const { scenario, server } = await serve([
      { tools: [{ name: 'Read', input: { file_path: join(repo.dir, 'keep.ts') } }], usage: { input: 50, output: 5 } },
      { tools: [{ name: 'Edit', input: { file_path: join(repo.dir, 'keep.ts'), old_string: 'not in the file', new_string: 'x' } }], usage: { input: 60, output: 6 } },
      { tools: [{ name: 'Bash', input: { command: "printf 'partial\\n' > partial.txt; exit 3", description: 'Fail halfway' } }], usage: { input: 70, output: 7 } },
      { text: 'Both failed.', usage: { input: 80, output: 8 } },
    ]);
    const run = await runClaude(repo, server.url, 'try it');
    expect(run.result.is_error).toBe(false);
    expect(server.unscripted).toEqual([]);
    // Claude sent both failures back to the model as errors.
    expect(toolResults(scenario.served[2]!.request)).toEqual([expect.objectContaining({ is_error: true })]);
    expect(toolResults(scenario.served[3]!.request)).toEqual([expect.objectContaining({ is_error: true, content: expect.stringContaining('Exit code 3') as unknown })]);
    expect(repo.read('keep.ts')).toBe('export const keep = 1;\n');
    const commit = repo.commit('partial');
    repo.git(['push', '-q', 'origin', 'main']);
    const { statement, sessions } = pushedSessions(repo, commit);
    // The failed Bash call still wrote the file: its line is the session's.
    expect(linesOf(statement, 'partial.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.result.session_id }]);
    expect(sessions[0]!.usage).toMatchObject(reported(run.result));
  });

  it('a subagent (the Agent tool): its write is the session’s, its usage counted once', async () => {
    const repo = makeRepo();
    const subPrompt = 'Write sub.ts with one constant.';
    const isSubagent = (body: MessagesRequest) => JSON.stringify(body.messages[0]).includes(subPrompt);
    const { scenario, server } = await serve([
      { tools: [{ name: 'Agent', input: { description: 'Write sub.ts', prompt: subPrompt, subagent_type: 'general-purpose', run_in_background: false } }], usage: { input: 300, output: 30 }, accepts: (b) => !isSubagent(b) },
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'sub.ts'), content: 'export const sub = 1;\n' } }], usage: { input: 400, output: 40 }, accepts: isSubagent },
      { text: 'sub.ts written', usage: { input: 410, output: 4 }, accepts: isSubagent },
      { text: 'The subagent wrote sub.ts.', usage: { input: 320, output: 12 }, accepts: (b) => !isSubagent(b) },
    ]);
    const run = await runClaude(repo, server.url, 'delegate it');
    expect(server.unscripted.map((r) => r.raw.slice(0, 300))).toEqual([]);
    expect(scenario.remaining()).toBe(0);
    expect(repo.read('sub.ts')).toBe('export const sub = 1;\n');
    const commit = repo.commit('sub');
    repo.git(['push', '-q', 'origin', 'main']);
    const { statement, sessions } = pushedSessions(repo, commit);
    expect(linesOf(statement, 'sub.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.result.session_id }]);
    expect(sessions).toHaveLength(1);
    // Everything the server was asked for, main and subagent, once.
    expect(sessions[0]!.usage).toMatchObject({ input_tokens: 1430, output_tokens: 86 });
    const claudeTotals = Object.values(run.result.modelUsage).reduce((t, m) => ({ input: t.input + m.inputTokens, output: t.output + m.outputTokens }), { input: 0, output: 0 });
    expect(claudeTotals).toEqual({ input: 1430, output: 86 });
  });

  it('a trace that hangs never stalls Claude past the hook timeouts trace configures', async () => {
    const repo = makeRepo();
    shortenTimeouts(repo, '.claude/settings.json', /"timeout": \d+/g, '"timeout": 2');
    const slow = slowTrace(repo);
    const { server } = await serve([
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'slow.ts'), content: 'export const slow = 1;\n' } }], usage: { input: 10, output: 1 } },
      { text: 'written', usage: { input: 10, output: 1 } },
    ]);
    const run = await runClaude(repo, server.url, 'write slow.ts', { env: { PATH: slow.path }, timeoutMs: 55_000 });
    expect(run.result.is_error).toBe(false);
    expect(repo.read('slow.ts')).toBe('export const slow = 1;\n');
    // The hooks fired (session start, prompt, the guard before the Write — which has no capture pre hook: its
    // post hook carries the file before, and is a shell step that spools it without starting trace —; session
    // end as Claude exits): at most 2 s each, plus Claude's own time.
    expect(slow.calls()).toEqual(expect.arrayContaining(['hook claude session-start', 'hook claude user-prompt-submit', 'hook claude guard']));
    expect(slow.calls()).not.toContain('hook claude pre-tool-use');
    expect(slow.calls()).not.toContain('hook claude post-tool-use');
    expect(run.run.ms).toBeLessThan(5 * 2_000 + 15_000);
    // …and it did wait for them: the slow trace was the one on the PATH.
    expect(run.run.ms).toBeGreaterThanOrEqual(3 * 2_000);
    expect(server.unscripted).toEqual([]);
    // No trace hook ran to its end, but the Write's payload was spooled: the commit takes it in, and the line is the session's.
    const commit = repo.commit('slow');
    repo.git(['push', '-q', 'origin', 'main']);
    const { statement } = pushedSessions(repo, commit);
    expect(linesOf(statement, 'slow.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.result.session_id }]);
  });
});

describe('Claude Code, for real: the guard in enforce mode', () => {
  it('a Write to .env and a forced push are denied through PreToolUse: neither runs, Claude tells the model, the attestation records both', async () => {
    const repo = makeRepo();
    enforceGuard(repo);
    const remoteMain = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const { scenario, server } = await serve([
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, '.env'), content: SECRET } }], usage: { input: 100, output: 10 } },
      { tools: [{ name: 'Bash', input: { command: FORCE_PUSH, description: 'Push' } }], usage: { input: 110, output: 11 } },
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'ok.ts'), content: 'export const ok = 1;\n' } }], usage: { input: 120, output: 12 } },
      { text: 'Two calls were denied.', usage: { input: 130, output: 13 } },
    ]);
    const run = await runClaude(repo, server.url, 'set the secret and push');
    expect(run.result.is_error).toBe(false);
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted).toEqual([]);
    expectNothingRan(repo, remoteMain);
    expect(repo.read('ok.ts')).toBe('export const ok = 1;\n');
    // The denial reached the model as the tool's error, in the request after each denied call.
    expect(toolResults(scenario.served[1]!.request)).toEqual([expect.objectContaining({ is_error: true, content: expect.stringMatching(DENIED_ENV) as unknown })]);
    expect(toolResults(scenario.served[2]!.request)).toEqual([expect.objectContaining({ is_error: true, content: expect.stringMatching(DENIED_PUSH) as unknown })]);
    const { statement, sessions } = commitAndPush(repo, 'ok', ['ok.ts']);
    expect(linesOf(statement, 'ok.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.result.session_id }]);
    expect(sessions.map((s) => s.session.id)).toEqual([run.result.session_id]);
    expectGuardRecord(statement, run.result.session_id, { file: 'Write', shell: 'Bash' });
  });
});
