// Claude Code itself (pinned in test/agents/agents.json) driven by a scripted Anthropic server: its
// real tools fire trace's installed hooks, and the pushed attestation must name its session, model,
// lines and the usage Claude reported.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { type AnthropicReply, anthropicScenario, toolResults } from './support/anthropic.js';
import { type ClaudeResult, runClaude } from './support/claude-code.js';
import { type ModelServer, startModelServer } from './support/model-server.js';

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

interface SessionObject {
  session: { id: string };
  agent: { name: string; version?: string };
  model?: { primary: string; models_used: string[] };
  usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
  warnings?: string[];
}

function pushedSessions(repo: TestRepo, commit: string) {
  const lines = remoteNoteLines(repo, commit);
  expect(lines).toHaveLength(1);
  const statement = decodeStatement(lines[0]!);
  return { statement, sessions: statement.predicate.sessions as unknown as SessionObject[] };
}

function linesOf(statement: ReturnType<typeof decodeStatement>, path: string) {
  return statement.predicate.commits.flatMap((c) => c.files.filter((f) => f.path === path).flatMap((f) => f.lines));
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
    expect(sessions[0]!.agent.name).toBe('claude-code');
    expect(sessions[0]!.model!.primary).toBe('claude-sonnet-4-6');
    expect(sessions[0]!.usage).toMatchObject(reported(first.result, second.result));
    // …which is what the server sent, reply by reply.
    expect(sessions[0]!.usage).toMatchObject({ input_tokens: 1333, output_tokens: 138, cache_read_input_tokens: 10000, cache_creation_input_tokens: 300 });
    expect(sessions[0]!.warnings ?? []).toEqual([]);
  });
});
