// Two real agents on one repository, in one commit: Claude Code and Codex CLI, each against its own
// scripted server. Every line goes to the agent and session that wrote it.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupTemps, makeRepo } from '../support/repo.js';
import { anthropicScenario } from './support/anthropic.js';
import { commitAndPush, linesOf } from './support/attested.js';
import { runClaude } from './support/claude-code.js';
import { runCodex } from './support/codex.js';
import { type ModelServer, startModelServer } from './support/model-server.js';
import { responsesScenario } from './support/openai-responses.js';

afterAll(cleanupTemps);
const servers: ModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});


describe('Claude Code and Codex CLI in one commit', () => {
  it('each line to its own agent and session, one file edited by both', async () => {
    const repo = makeRepo();
    const init = repo.trace(['init', '--codex', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    repo.commit('trace set up');
    const claude = anthropicScenario([
      { tools: [{ name: 'Write', input: { file_path: join(repo.dir, 'shared.ts'), content: 'export const fromClaude = 1;\n' } }], usage: { input: 100, output: 10 } },
      { text: 'done', usage: { input: 5, output: 1 } },
    ]);
    const codex = responsesScenario([
      { tools: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: shared.ts\n@@\n export const fromClaude = 1;\n+export const fromCodex = 2;\n*** End Patch\n' }], usage: { input: 300, cached: 100, output: 30 } },
      { text: 'done', usage: { input: 320, cached: 300, output: 2 } },
    ]);
    const claudeServer = await startModelServer(claude.route);
    const codexServer = await startModelServer(codex.route);
    servers.push(claudeServer, codexServer);
    const claudeRun = await runClaude(repo, claudeServer.url, 'start shared.ts');
    const codexRun = await runCodex(repo, codexServer.url, 'add to shared.ts');
    expect(repo.read('shared.ts')).toBe('export const fromClaude = 1;\nexport const fromCodex = 2;\n');
    expect([...claudeServer.unscripted, ...codexServer.unscripted]).toEqual([]);
    const { statement, sessions } = commitAndPush(repo, 'both agents', ['shared.ts']);
    expect(linesOf(statement, 'shared.ts')).toEqual([
      { start: 1, end: 1, attribution: 'ai', session_id: claudeRun.result.session_id },
      { start: 2, end: 2, attribution: 'ai', session_id: codexRun.threadId },
    ]);
    const agents = new Map(sessions.map((s) => [s.session.id, s.agent.name]));
    expect(agents).toEqual(new Map([[claudeRun.result.session_id, 'claude-code'], [codexRun.threadId, 'codex']]));
  });
});
