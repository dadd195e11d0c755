// Copilot CLI (`copilot -p … --output-format json`) with its own BYOK switches (COPILOT_PROVIDER_BASE_URL,
// COPILOT_OFFLINE) against the scripted Chat Completions server: no GitHub login is needed.
import type { TestRepo } from '../../support/repo.js';
import { agentBinary, type AgentRun, offlineEnv, runAgent } from './runner.js';

export interface CopilotEvent {
  type: string;
  sessionId?: string;
  exitCode?: number;
  data?: Record<string, unknown>;
}

export async function runCopilot(
  repo: TestRepo,
  serverUrl: string,
  prompt: string,
  options: { resume?: string; model?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ run: AgentRun; events: CopilotEvent[]; sessionId: string }> {
  const args = ['-p', prompt, '--allow-all', '--output-format', 'json', '--no-auto-update', '--no-ask-user', ...(options.resume === undefined ? [] : ['--resume', options.resume])];
  const env = offlineEnv(repo, serverUrl, {
    COPILOT_OFFLINE: 'true',
    COPILOT_PROVIDER_BASE_URL: `${serverUrl}/v1`,
    COPILOT_PROVIDER_TYPE: 'openai',
    COPILOT_PROVIDER_API_KEY: 'scripted-provider-key',
    // A Claude model id: Copilot then offers its create/edit tools (with a GPT id it offers apply_patch).
    COPILOT_MODEL: options.model ?? 'claude-sonnet-4.6',
    COPILOT_AUTO_UPDATE: 'false',
    // Exactly "true" also trusts the working directory, so Copilot loads the repository's hooks.
    COPILOT_ALLOW_ALL: 'true',
    ...options.env,
  });
  const run = await runAgent(agentBinary('copilot'), args, { cwd: repo.dir, env, timeoutMs: options.timeoutMs ?? 120_000 });
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as CopilotEvent);
  const sessionId = events.find((e) => e.type === 'result')?.sessionId;
  if (sessionId === undefined) throw new Error(`copilot printed no result (exit ${run.code}, signal ${run.signal}):\n${run.stdout.slice(-4000)}\n${run.stderr}`);
  return { run, events, sessionId };
}
