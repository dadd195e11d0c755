// Gemini CLI itself (pinned in test/agents/agents.json) driven by a scripted Gemini API server.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { commitAndPush, linesOf } from './support/attested.js';
import { deniedWrite, DENIED_PUSH, enforceGuard, expectGuardRecord, expectNothingRan, FORCE_PUSH, SECRET } from './support/guarded.js';
import { shortenTimeouts, slowTrace } from './support/slow-trace.js';
import { functionResponses, type GeminiReply, geminiScenario, type GenerateContentRequest } from './support/gemini-api.js';
import { geminiUsage, runGemini } from './support/gemini-cli.js';
import { type ModelServer, startModelServer } from './support/model-server.js';

afterAll(cleanupTemps);
const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function serve(replies: GeminiReply[]) {
  const scenario = geminiScenario(replies);
  const server = await startModelServer(scenario.route);
  servers.push(server);
  return { scenario, server };
}

describe('Gemini CLI, for real', () => {
  it('write_file, replace and run_shell_command in one session, a human edit, a resumed prompt', async () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    const file = join(repo.dir, 'src', 'feature.ts');
    const { scenario, server } = await serve([
      { text: 'Writing it.', tools: [{ name: 'write_file', args: { file_path: file, content: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, candidates: 40 } },
      { tools: [{ name: 'replace', args: { file_path: file, instruction: 'set b to 3', old_string: 'export const b = 2;', new_string: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, candidates: 30 } },
      { tools: [{ name: 'run_shell_command', args: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, candidates: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, candidates: 5 } },
      { tools: [{ name: 'replace', args: { file_path: file, instruction: 'set a to 10', old_string: 'export const a = 1;', new_string: 'export const a = 10;' } }], usage: { prompt: 1500, cached: 1200, candidates: 25 } },
      { text: 'Changed a.', usage: { prompt: 1600, cached: 1500, candidates: 4 } },
    ]);
    const first = await runGemini(repo, server.url, 'create src/feature.ts and build');
    expect(repo.read('src/feature.ts')).toBe('export const a = 1;\nexport const b = 3;\n');
    expect(repo.read('build.log')).toBe('built\n');
    expect(functionResponses(scenario.served[1]!.request).map((r) => r.name)).toEqual(['write_file']);
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    expect(first.result.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const second = await runGemini(repo, server.url, 'set a to 10', { resume: first.result.session_id! });
    expect(second.result.session_id).toBe(first.result.session_id);
    expect(repo.read('src/feature.ts')).toBe('export const a = 10;\nexport const b = 3;\n// by hand\n');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(geminiUsage(first.result)).toEqual({ prompt: 4600, cached: 3000, candidates: 95 });
    // Gemini's report covers only the run's own calls, resumed or not.
    expect(geminiUsage(second.result)).toEqual({ prompt: 3100, cached: 2700, candidates: 29 });
  });
});


describe('Gemini CLI capture, in the pushed attestation', () => {
  it('write_file and replace lines to the Gemini session, a human line to the human, usage as Gemini reported', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const file = join(repo.dir, 'src', 'feature.ts');
    const { server } = await serve([
      { tools: [{ name: 'write_file', args: { file_path: file, content: 'export const a = 1;\nexport const b = 2;\n' } }], usage: { prompt: 1000, candidates: 40 } },
      { tools: [{ name: 'replace', args: { file_path: file, instruction: 'set b to 3', old_string: 'export const b = 2;', new_string: 'export const b = 3;' } }], usage: { prompt: 1100, cached: 900, candidates: 30 } },
      { tools: [{ name: 'run_shell_command', args: { command: "printf 'built\\n' > build.log", description: 'Build' } }], usage: { prompt: 1200, cached: 1000, candidates: 20 } },
      { text: 'Done.', usage: { prompt: 1300, cached: 1100, candidates: 5 } },
    ]);
    const run = await runGemini(repo, server.url, 'create src/feature.ts and build');
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const sessionId = run.result.session_id!;
    repo.write('src/feature.ts', `${repo.read('src/feature.ts')}// by hand\n`);
    const { statement, sessions } = commitAndPush(repo, 'feature', ['src/feature.ts', 'build.log']);
    expect(linesOf(statement, 'src/feature.ts')).toEqual([
      { start: 1, end: 2, attribution: 'ai', session_id: sessionId },
      { start: 3, end: 3, attribution: 'human' },
    ]);
    expect(linesOf(statement, 'build.log')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([sessionId]);
    const session = sessions[0]!;
    expect(session.agent).toMatchObject({ name: 'gemini-cli' });
    expect(session.model!.primary).toBe('gemini-2.5-pro');
    // Gemini counts cached tokens inside the prompt; the session object counts them apart.
    const reported = geminiUsage(run.result);
    expect(reported).toEqual({ prompt: 4600, cached: 3000, candidates: 95 });
    expect(session.usage).toMatchObject({ output_tokens: reported.candidates, cache_read_input_tokens: reported.cached, input_tokens: reported.prompt - reported.cached });
  });

  it('a trace that hangs never stalls the agent past the hook timeouts trace configures', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    shortenTimeouts(repo, '.gemini/settings.json', /"timeout": \d+/g, '"timeout": 2000');
    const slow = slowTrace(repo);
    const { server } = await serve([
      { tools: [{ name: 'write_file', args: { file_path: join(repo.dir, 'slow.ts'), content: 'export const slow = 1;\n' } }], usage: { prompt: 10, candidates: 1 } },
      { text: 'written', usage: { prompt: 10, candidates: 1 } },
    ]);
    const run = await runGemini(repo, server.url, 'write slow.ts', { env: { PATH: slow.path }, timeoutMs: 100_000 });
    expect(run.result.session_id).toBeTruthy();
    expect(repo.read('slow.ts')).toBe('export const slow = 1;\n');
    const calls = slow.calls();
    // At least the tool hooks fired, each waited on for at most its 2 s: never the 30 s trace installs.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(run.run.ms).toBeLessThan(calls.length * 2_000 + 40_000);
    expect(run.run.ms).toBeGreaterThanOrEqual(2_000);
  });

  it('failing calls: a replace that finds nothing and a command that exits 3 after writing a file', async () => {
    const repo = makeRepo({ initialFiles: { 'keep.ts': 'export const keep = 1;\n' } });
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const { scenario, server } = await serve([
      { tools: [{ name: 'replace', args: { file_path: join(repo.dir, 'keep.ts'), instruction: 'x', old_string: 'not in the file', new_string: 'x' } }], usage: { prompt: 100, candidates: 10 } },
      { tools: [{ name: 'run_shell_command', args: { command: "printf 'partial\\n' > partial.txt; exit 3", description: 'Fail halfway' } }], usage: { prompt: 200, candidates: 20 } },
      { text: 'Both failed.', usage: { prompt: 300, candidates: 3 } },
    ]);
    const run = await runGemini(repo, server.url, 'try it');
    expect(server.unscripted).toEqual([]);
    expect(JSON.stringify(functionResponses(scenario.served[1]!.request))).toMatch(/error|could not find|0 occurrences/i);
    expect(JSON.stringify(functionResponses(scenario.served[2]!.request))).toMatch(/exit code: 3|\b3\b/i);
    expect(repo.read('keep.ts')).toBe('export const keep = 1;\n');
    const { statement } = commitAndPush(repo, 'partial', ['partial.txt']);
    expect(linesOf(statement, 'partial.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: run.result.session_id }]);
  });
});

describe('Gemini CLI, for real: the guard in enforce mode', () => {
  it('a write_file to deploy.key and a forced push are denied through BeforeTool: neither runs, Gemini tells the model, the attestation records both', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    enforceGuard(repo);
    const remoteMain = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    // Gemini itself refuses to write .env (outside its workspace, it says) before any hook: a key file instead.
    const { scenario, server } = await serve([
      { tools: [{ name: 'write_file', args: { file_path: join(repo.dir, 'deploy.key'), content: SECRET } }], usage: { prompt: 100, candidates: 10 } },
      { tools: [{ name: 'run_shell_command', args: { command: FORCE_PUSH, description: 'Push' } }], usage: { prompt: 110, candidates: 11 } },
      { tools: [{ name: 'write_file', args: { file_path: join(repo.dir, 'ok.ts'), content: 'export const ok = 1;\n' } }], usage: { prompt: 120, candidates: 12 } },
      { text: 'Two calls were denied.', usage: { prompt: 130, candidates: 13 } },
    ]);
    const run = await runGemini(repo, server.url, 'set the secret and push');
    expect(scenario.remaining()).toBe(0);
    expect(server.unscripted.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expectNothingRan(repo, remoteMain, 'deploy.key');
    expect(repo.read('ok.ts')).toBe('export const ok = 1;\n');
    // The denial reached the model as the call's response, in the request after each denied call.
    expect(JSON.stringify(functionResponses(scenario.served[1]!.request))).toMatch(deniedWrite('deploy.key'));
    expect(JSON.stringify(functionResponses(scenario.served[2]!.request))).toMatch(DENIED_PUSH);
    const sessionId = run.result.session_id!;
    const { statement, sessions } = commitAndPush(repo, 'ok', ['ok.ts']);
    expect(linesOf(statement, 'ok.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([sessionId]);
    expectGuardRecord(statement, sessionId, { file: 'write_file', shell: 'run_shell_command' });
  });
});

describe('Gemini CLI, for real: a subagent', () => {
  it('invoke_agent (the generalist): its write is the session’s, its usage counted once', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--gemini', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const subPrompt = 'Write sub.ts with one constant.';
    const firstUser = (b: GenerateContentRequest) => JSON.stringify(b.contents.find((c) => c.role === 'user')?.parts ?? []);
    const isSubagent = (b: GenerateContentRequest) => firstUser(b).includes(subPrompt);
    const { scenario, server } = await serve([
      { tools: [{ name: 'invoke_agent', args: { agent_name: 'generalist', prompt: subPrompt } }], usage: { prompt: 300, candidates: 30 }, accepts: (b) => !isSubagent(b) },
      { tools: [{ name: 'write_file', args: { file_path: join(repo.dir, 'sub.ts'), content: 'export const sub = 1;\n' } }], usage: { prompt: 400, candidates: 40 }, accepts: isSubagent },
      // A Gemini subagent ends only by calling complete_task (a text reply makes it ask again).
      { tools: [{ name: 'complete_task', args: { result: { response: 'sub.ts written' } } }], usage: { prompt: 410, candidates: 4 }, accepts: isSubagent },
      { text: 'The subagent wrote sub.ts.', usage: { prompt: 320, candidates: 12 }, accepts: (b) => !isSubagent(b) },
    ]);
    const run = await runGemini(repo, server.url, 'delegate it');
    expect(server.unscripted.map((r) => `${r.method} ${r.url} ${r.raw.slice(0, 200)}`)).toEqual([]);
    expect(scenario.remaining()).toBe(0);
    expect(repo.read('sub.ts')).toBe('export const sub = 1;\n');
    const sessionId = run.result.session_id!;
    const { statement, sessions } = commitAndPush(repo, 'sub', ['sub.ts']);
    expect(linesOf(statement, 'sub.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: sessionId }]);
    expect(sessions.map((s) => s.session.id)).toEqual([sessionId]);
    const session = sessions[0]!;
    expect(session.model!.primary).toBe('gemini-2.5-pro');
    expect(session.subagents).toHaveLength(1);
    // Every response the server sent, the main chat's and the subagent's, once.
    expect(session.usage).toMatchObject({ input_tokens: 1430, output_tokens: 86 });
    expect(geminiUsage(run.result)).toEqual({ prompt: 1430, cached: 0, candidates: 86 });
  });
});
