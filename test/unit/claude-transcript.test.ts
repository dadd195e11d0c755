import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readClaudeTranscript } from '../../src/agents/claude/transcript.js';
import { promptsAndToolCalls, summarizeClaudeTranscript } from '../../src/agents/claude/summary.js';

const SESSION = '00893aaf-19fa-41d2-8238-13269b9b3ca0';
const AGENT = 'a4f2c1e9b07d';
const projectDir = fileURLToPath(new URL('../fixtures/claude/projects/-Users-ana-src-acme/', import.meta.url));
const mainPath = join(projectDir, `${SESSION}.jsonl`);
const subagentPath = join(projectDir, SESSION, 'subagents', `agent-${AGENT}.jsonl`);

async function fixtureInput() {
  return {
    main: await readFile(mainPath, 'utf8'),
    subagents: [
      {
        agentId: AGENT,
        text: await readFile(subagentPath, 'utf8'),
        meta: JSON.parse(await readFile(subagentPath.replace(/\.jsonl$/, '.meta.json'), 'utf8')) as unknown,
      },
    ],
  };
}

describe('summarizeClaudeTranscript on the fixture session', () => {
  it('reads session metadata from the first line carrying it and spans all timestamps', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s).toMatchObject({
      sessionId: SESSION,
      cwd: '/Users/ana/src/acme',
      gitBranch: 'main',
      version: '2.1.240',
      slug: 'brave-purple-otter',
      startedAt: '2026-11-20T10:01:02.123Z',
      endedAt: '2026-11-20T10:32:00.000Z',
    });
  });

  it('dedupes responses globally by message.id keeping max output, skipping <synthetic>', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.usageByModel.map((m) => [m.model, m.responses])).toEqual([
      ['claude-opus-4-8', 4],
      ['claude-sonnet-4-6', 1],
      ['claude-haiku-4-5-20251001', 2],
    ]);
    expect(s.usageByModel[0]).toEqual({
      model: 'claude-opus-4-8',
      responses: 4,
      inputTokens: 23,
      outputTokens: 1037,
      cacheReadInputTokens: 105_140,
      cacheCreation5mInputTokens: 2320,
      cacheCreation1hInputTokens: 1500,
      estimatedCostUsd: 0.10811,
    });
    expect(s.usage).toEqual({
      inputTokens: 63,
      outputTokens: 1877,
      cacheReadInputTokens: 113_140,
      cacheCreationInputTokens: 7820,
      cacheCreation5mInputTokens: 6320,
      cacheCreation1hInputTokens: 1500,
      totalTokens: 122_900,
    });
    expect(s.modelsUsed).toEqual(['claude-opus-4-8', 'claude-sonnet-4-6', 'claude-haiku-4-5-20251001']);
    expect(s.modelsUsed).not.toContain('<synthetic>');
    expect(s.primaryModel).toBe('claude-opus-4-8');
  });

  it('estimates cost per model and in total, to the cent and below', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.usageByModel.map((m) => m.estimatedCostUsd)).toEqual([0.10811, 0.01281, 0.00577]);
    expect(s.estimatedCostUsd).toBe(0.12669);
    expect(s.estimatedCostUsd?.toFixed(2)).toBe('0.13');
    expect(s.costComplete).toBe(true);
  });

  it('counts unique tool calls by name, Task as Agent, MCP grouped by server', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.tools).toEqual([
      { name: 'Agent', count: 1 },
      { name: 'Bash', count: 1 },
      { name: 'Edit', count: 1 },
      { name: 'Grep', count: 1 },
      { name: 'Read', count: 1 },
      { name: 'mcp__github__create_issue', count: 1, mcpServer: 'github' },
      { name: 'mcp__github__list_issues', count: 1, mcpServer: 'github' },
    ]);
    expect(s.mcpServers).toEqual([{ server: 'github', count: 2 }]);
    expect(s.totalToolInvocations).toBe(7);
  });

  it('counts human prompts and main-thread responses only', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.messages).toEqual({ user: 3, assistant: 5, total: 8 });
    expect(s.compactions).toBe(1);
  });

  it('links the subagent through meta and tool result, with tokens deduped against main', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.subagents).toEqual([
      {
        id: AGENT,
        type: 'Explore',
        description: 'Find JSON printers',
        toolUseId: 'toolu_03',
        transcriptFound: true,
        models: ['claude-haiku-4-5-20251001'],
        usage: {
          inputTokens: 20,
          outputTokens: 340,
          cacheReadInputTokens: 3000,
          cacheCreationInputTokens: 3000,
          cacheCreation5mInputTokens: 3000,
          cacheCreation1hInputTokens: 0,
          totalTokens: 6360,
        },
        estimatedCostUsd: 0.00577,
      },
    ]);
  });

  it('links a subagent without meta through toolUseResult.agentId', async () => {
    const input = await fixtureInput();
    const s = summarizeClaudeTranscript({ main: input.main, subagents: [{ agentId: AGENT, text: input.subagents[0]!.text }] });
    expect(s.subagents[0]).toMatchObject({ id: AGENT, type: 'Explore', description: 'Find JSON printers', toolUseId: 'toolu_03' });
  });

  it('reports a subagent whose file is missing with unknown tokens, never the tool result\'s last-call usage', async () => {
    const input = await fixtureInput();
    const s = summarizeClaudeTranscript({ main: input.main, subagents: [] });
    expect(s.subagents).toEqual([
      expect.objectContaining({ id: AGENT, type: 'Explore', toolUseId: 'toolu_03', transcriptFound: false, models: [], usage: undefined }),
    ]);
    expect(s.usage.outputTokens).toBe(1037 + 500);
    expect(s.warnings.some((w) => w.includes(`subagent ${AGENT}: no transcript file and no progress lines`))).toBe(true);
  });

  it('warns about the truncated last line and counts it', async () => {
    const s = summarizeClaudeTranscript(await fixtureInput());
    expect(s.invalidLines).toBe(1);
    expect(s.warnings).toEqual([expect.stringMatching(/main transcript: skipped 1 line.*last line is incomplete/)]);
  });
});

describe('summarizeClaudeTranscript on hostile or odd input', () => {
  it('never throws on garbage and reports it', () => {
    const main = [
      'not json',
      'null',
      '[1,2]',
      '42',
      '{"type":"assistant"}',
      '{"type":"assistant","message":"oops"}',
      '{"type":"assistant","message":{"id":7,"model":["x"],"usage":{"input_tokens":"9","output_tokens":-5},"content":{"type":"tool_use"}}}',
      '{"type":"user","message":{"content":[null,{"type":"text","text":42}]}}',
      '{"type":"assistant","message":{"content":[{"type":"tool_use","name":{"x":1}}]},"timestamp":"yesterday"}',
      '\u0000\u0001',
    ].join('\n');
    const s = summarizeClaudeTranscript({ main, subagents: [{ agentId: 'x', text: '{', meta: 'nope' }] });
    expect(s.invalidLines).toBe(6);
    expect(s.usage.totalTokens).toBe(0);
    expect(s.messages.user).toBe(0);
    expect(s.startedAt).toBeUndefined();
    expect(s.warnings.length).toBeGreaterThan(0);
  });

  it('returns an empty summary for an empty transcript', () => {
    const s = summarizeClaudeTranscript({ main: '', subagents: [] });
    expect(s).toMatchObject({ modelsUsed: [], estimatedCostUsd: 0, totalToolInvocations: 0, messages: { user: 0, assistant: 0, total: 0 } });
    expect(s.primaryModel).toBeUndefined();
    expect(s.warnings).toEqual(['the transcript has no assistant responses']);
  });

  it('gives no cost for an unknown model and says so', () => {
    const main = JSON.stringify({
      type: 'assistant',
      timestamp: '2026-11-20T10:00:00.000Z',
      message: { id: 'm1', model: 'claude-nimbus-9', usage: { input_tokens: 10, output_tokens: 20 }, content: [] },
    });
    const s = summarizeClaudeTranscript({ main, subagents: [] });
    expect(s.estimatedCostUsd).toBeUndefined();
    expect(s.costComplete).toBe(false);
    expect(s.usageByModel[0]?.estimatedCostUsd).toBeUndefined();
    expect(s.warnings.some((w) => w.includes('claude-nimbus-9'))).toBe(true);
  });

  it('treats cache_creation without split as 5m', () => {
    const main = JSON.stringify({
      type: 'assistant',
      message: { id: 'm1', model: 'claude-opus-4-8', usage: { cache_creation_input_tokens: 1000 }, content: [] },
    });
    const s = summarizeClaudeTranscript({ main, subagents: [] });
    expect(s.usage.cacheCreation5mInputTokens).toBe(1000);
    expect(s.estimatedCostUsd).toBe(0.00625);
  });

  it('warns on a transcript format version it does not know', () => {
    const main = JSON.stringify({ type: 'user', version: '3.0.1', message: { content: 'hi' } });
    expect(summarizeClaudeTranscript({ main, subagents: [] }).warnings[0]).toMatch(/Claude Code 3\.0\.1/);
  });
});

describe('promptsAndToolCalls', () => {
  it('lists human prompts and tool calls in order, once each', async () => {
    const entries = promptsAndToolCalls(await readFile(mainPath, 'utf8'));
    expect(entries.map((e) => (e.type === 'prompt' ? `prompt:${e.text}` : `tool:${e.name}:${e.id}`))).toEqual([
      'prompt:Add a --json flag to the CLI',
      'tool:Read:toolu_01',
      'tool:Edit:toolu_02',
      'prompt:Also find every place that prints JSON and use the new helper',
      'tool:Agent:toolu_03',
      'tool:mcp__github__create_issue:toolu_04',
      'tool:mcp__github__list_issues:toolu_05',
      'tool:Bash:toolu_06',
      'prompt:thanks',
    ]);
    expect(entries[2]).toEqual({
      type: 'tool_call',
      id: 'toolu_02',
      name: 'Edit',
      timestamp: '2026-11-20T10:01:12.000Z',
      input: {
        file_path: '/Users/ana/src/acme/src/cli.ts',
        old_string: "program.option('-v')",
        new_string: "program.option('-v').option('--json')",
        replace_all: false,
      },
    });
  });
});

describe('readClaudeTranscript', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('reads the main file with its subagent files and metadata', async () => {
    const { summary, warnings } = await readClaudeTranscript(mainPath);
    expect(warnings).toEqual([]);
    expect(summary).toEqual(summarizeClaudeTranscript(await fixtureInput()));
  });

  it('turns a missing transcript into a warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trace-claude-'));
    dirs.push(dir);
    const result = await readClaudeTranscript(join(dir, 'gone.jsonl'));
    expect(result.summary).toBeNull();
    expect(result.warnings).toEqual([expect.stringMatching(/gone\.jsonl not found/)]);
  });

  it('works without a subagents directory and warns about bad metadata', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trace-claude-'));
    dirs.push(dir);
    await writeFile(join(dir, 's1.jsonl'), '{"type":"user","sessionId":"s1","message":{"content":"hi"}}\n');
    const lone = await readClaudeTranscript(join(dir, 's1.jsonl'));
    expect(lone.warnings).toEqual([]);
    expect(lone.summary?.messages.user).toBe(1);

    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 's1', 'subagents', 'workflows', 'wf1'), { recursive: true });
    await writeFile(join(dir, 's1', 'subagents', 'workflows', 'wf1', 'agent-w1.jsonl'), '');
    await writeFile(join(dir, 's1', 'subagents', 'workflows', 'wf1', 'agent-w1.meta.json'), '{bad');
    const nested = await readClaudeTranscript(join(dir, 's1.jsonl'));
    expect(nested.warnings).toEqual([expect.stringMatching(/ignoring unreadable subagent metadata .*agent-w1\.meta\.json/)]);
    expect(nested.summary?.subagents.map((s) => s.id)).toEqual(['w1']);
  });
});
