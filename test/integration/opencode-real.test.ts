// The real OpenCode binary driving trace's plugin, when OPENCODE_BIN names one (the npm package
// opencode-linux-x64 ships it as bin/opencode); skipped otherwise. A scripted OpenAI-compatible
// endpoint on 127.0.0.1 plays the model: it asks for a file write, an edit and a shell command, then
// answers. No network: OpenCode's models.dev fetch fails and it goes on without it.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo, type RunResult, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

const OPENCODE = process.env.OPENCODE_BIN;

type Chunk = Record<string, unknown>;
const chunk = (delta: Chunk, finish: string | null = null, usage?: Chunk): Chunk => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: Math.floor(Date.now() / 1000),
  model: 'scripted',
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...(usage ? { usage } : {}),
});
/** OpenAI usage: prompt tokens include the cached ones, completion tokens the reasoning ones. */
const usage = (prompt: number, completion: number, cached: number, reasoning: number): Chunk => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached },
  completion_tokens_details: { reasoning_tokens: reasoning },
});
const toolCall = (id: string, name: string, args: unknown, u: Chunk): Chunk[] => [
  chunk({ role: 'assistant', tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(args) } }] }),
  chunk({}, 'tool_calls', u),
];

/**
 * The model's script: one step per request that offers tools; the title request gets a title. The
 * main agent (offered `task`) writes, edits, runs a command and hands a subagent a task; the subagent
 * (not offered `task`) runs one command.
 */
function scriptedModel(dir: string): Promise<Server> {
  let step = 0;
  let subagentStep = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => (body += data.toString('utf8')));
    request.on('end', () => {
      const tools = ((JSON.parse(body || '{}') as { tools?: { function?: { name?: string } }[] }).tools ?? []).map((tool) => tool.function?.name);
      let chunks: Chunk[];
      if (!tools.includes('bash')) chunks = [chunk({ role: 'assistant', content: 'Greeting' }), chunk({}, 'stop', usage(50, 3, 0, 0))];
      else if (!tools.includes('task')) {
        chunks =
          ++subagentStep === 1
            ? toolCall('call_sub_4', 'bash', { command: "printf 'sub\\n' > sub.txt", description: 'Writes sub.txt' }, usage(300, 20, 0, 0))
            : [chunk({ role: 'assistant', content: 'Sub done.' }), chunk({}, 'stop', usage(320, 4, 0, 0))];
      } else if (++step === 1) chunks = toolCall('call_write_1', 'write', { filePath: join(dir, 'hello.ts'), content: 'export const hello = 1;\nexport const world = 2;\n' }, usage(1200, 40, 1000, 16));
      else if (step === 2) chunks = toolCall('call_edit_2', 'edit', { filePath: join(dir, 'hello.ts'), oldString: 'hello = 1', newString: 'hello = 3' }, usage(1300, 30, 1200, 8));
      else if (step === 3) chunks = toolCall('call_bash_3', 'bash', { command: "printf 'generated\\n' > gen.txt", description: 'Writes gen.txt' }, usage(1400, 20, 1300, 4));
      else if (step === 4) chunks = toolCall('call_task_4', 'task', { description: 'Write sub.txt', prompt: 'write sub.txt with the shell', subagent_type: 'general' }, usage(1450, 10, 1400, 0));
      else chunks = [chunk({ role: 'assistant', content: 'Done.' }), chunk({}, 'stop', usage(1500, 5, 1400, 0))];
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const c of chunks) response.write(`data: ${JSON.stringify(c)}\n\n`);
      response.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function opencodeRun(repo: TestRepo, message: string): Promise<RunResult> {
  const home = repo.home;
  const env = { ...repo.env, XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CACHE_HOME: join(home, '.cache'), XDG_STATE_HOME: join(home, '.local', 'state') };
  return new Promise((resolve) => {
    const child = spawn(OPENCODE!, ['run', message], { cwd: repo.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (data: Buffer) => out.push(data));
    child.stderr.on('data', (data: Buffer) => err.push(data));
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 1 }));
  });
}

describe.skipIf(OPENCODE === undefined)('the real OpenCode with trace\'s plugin', () => {
  it('attests the lines OpenCode wrote under its session, with the model and its usage', async () => {
    const repo = makeRepo({ init: false, initialFiles: { 'README.md': '# p\n' } });
    expect(repo.trace(['init', '--opencode', '--yes']).code).toBe(0);
    const server = await scriptedModel(repo.dir);
    try {
      const port = (server.address() as AddressInfo).port;
      repo.write(
        'opencode.json',
        JSON.stringify({
          $schema: 'https://opencode.ai/config.json',
          provider: { scripted: { npm: '@ai-sdk/openai-compatible', name: 'Scripted', options: { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'none' }, models: { 'claude-sonnet-4-6': { name: 'claude-sonnet-4-6' } } } },
          model: 'scripted/claude-sonnet-4-6',
          small_model: 'scripted/claude-sonnet-4-6',
          autoupdate: false,
          share: 'disabled',
        }),
      );
      repo.commit('opencode set up');
      repo.git(['push', '-q', 'origin', 'main']);
      const run = await opencodeRun(repo, 'write a greeting');
      expect(run.code, run.stderr).toBe(0);
    } finally {
      server.close();
    }
    expect(repo.read('hello.ts')).toBe('export const hello = 3;\nexport const world = 2;\n');
    const sha = repo.commit('greeting');
    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === sha)!;
    const session = statement.predicate.sessions[0] as unknown as {
      session: { id: string };
      agent: { name: string; version: string };
      model: { primary: string };
      usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number };
    };
    expect(session.session.id).toMatch(/^ses_/);
    expect(session.agent.name).toBe('opencode');
    expect(session.agent.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(session.model.primary).toBe('claude-sonnet-4-6');
    // Five responses of the main agent and two of the subagent: input without the cached part, output with the reasoning.
    expect(session.usage).toMatchObject({
      input_tokens: 200 + 100 + 100 + 50 + 100 + 300 + 320,
      output_tokens: 40 + 30 + 20 + 10 + 5 + 20 + 4,
      cache_read_input_tokens: 1000 + 1200 + 1300 + 1400 + 1400,
    });
    // The subagent ran in a child session: its command is the parent session's, one session in all.
    expect(statement.predicate.sessions).toHaveLength(1);
    for (const path of ['hello.ts', 'gen.txt', 'sub.txt']) {
      expect(commit.files.find((f) => f.path === path)!.lines.every((range) => range.attribution === 'ai' && range.session_id === session.session.id)).toBe(true);
    }
  });
});
