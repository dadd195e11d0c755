// OpenCode (`opencode run --format json`) against the scripted Chat Completions server, through a
// provider of its own in the repository's opencode.json.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRepo } from '../../support/repo.js';
import { agentBinary, type AgentRun, offlineEnv, runAgent } from './runner.js';

export interface OpenCodeEvent {
  type: string;
  sessionID?: string;
  part?: { type: string; text?: string; tool?: string; state?: { status: string; error?: string }; tokens?: { input: number; output: number; reasoning: number; cache: { read: number; write: number } } };
}

/** Merges the scripted provider into opencode.json (keeping what `trace init` or the test put there). */
export function writeOpenCodeConfig(repo: TestRepo, serverUrl: string): void {
  const path = join(repo.dir, 'opencode.json');
  const config = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  Object.assign(config, {
    autoupdate: false,
    share: 'disabled',
    model: 'scripted/scripted-model',
    provider: {
      scripted: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted',
        options: { baseURL: `${serverUrl}/v1`, apiKey: 'scripted' },
        models: { 'scripted-model': { name: 'Scripted model' } },
      },
    },
  });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

export async function runOpenCode(
  repo: TestRepo,
  serverUrl: string,
  prompt: string,
  options: { session?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ run: AgentRun; events: OpenCodeEvent[]; sessionId: string }> {
  writeOpenCodeConfig(repo, serverUrl);
  const args = ['run', '--format', 'json', ...(options.session === undefined ? [] : ['--session', options.session]), prompt];
  const env = offlineEnv(repo, serverUrl, {
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_TERMINAL_TITLE: '1',
    ...options.env,
  });
  const run = await runAgent(agentBinary('opencode'), args, { cwd: repo.dir, env, timeoutMs: options.timeoutMs ?? 120_000 });
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as OpenCodeEvent);
  const sessionId = events.find((e) => e.sessionID !== undefined)?.sessionID;
  if (sessionId === undefined) throw new Error(`opencode reported no session (exit ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  return { run, events, sessionId };
}

/** OpenCode's own report: the tokens of its step_finish events. */
export function openCodeUsage(events: OpenCodeEvent[]): { input: number; output: number; cacheRead: number } {
  return events
    .filter((e) => e.type === 'step_finish' && e.part?.tokens !== undefined)
    .reduce((t, e) => ({ input: t.input + e.part!.tokens!.input, output: t.output + e.part!.tokens!.output, cacheRead: t.cacheRead + e.part!.tokens!.cache.read }), { input: 0, output: 0, cacheRead: 0 });
}
