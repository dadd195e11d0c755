// Claude Code (`claude -p`) against the scripted Anthropic server.
import type { TestRepo } from '../../support/repo.js';
import { agentBinary, type AgentRun, offlineEnv, runAgent } from './runner.js';

export interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  session_id: string;
  num_turns: number;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
  modelUsage: Record<string, { inputTokens: number; outputTokens: number; cacheReadInputTokens: number; cacheCreationInputTokens: number }>;
}

export function claudeEnv(repo: TestRepo, serverUrl: string): NodeJS.ProcessEnv {
  return offlineEnv(repo, serverUrl, {
    ANTHROPIC_BASE_URL: serverUrl,
    ANTHROPIC_API_KEY: 'sk-ant-scripted',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_BUG_COMMAND: '1',
    DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
    CLAUDE_CODE_ENABLE_TELEMETRY: '0',
  });
}

/** One headless prompt; `resume` continues an earlier session. Throws unless Claude printed its JSON result. */
export async function runClaude(
  repo: TestRepo,
  serverUrl: string,
  prompt: string,
  options: { resume?: string; model?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ run: AgentRun; result: ClaudeResult }> {
  // acceptEdits lets file tools through; Bash needs its own allowance in headless mode.
  const args = ['-p', prompt, '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash', '--output-format', 'json', '--model', options.model ?? 'claude-sonnet-4-6'];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  const run = await runAgent(agentBinary('claude-code'), args, { cwd: repo.dir, env: { ...claudeEnv(repo, serverUrl), ...options.env }, timeoutMs: options.timeoutMs ?? 120_000 });
  let result: ClaudeResult;
  try {
    result = JSON.parse(run.stdout) as ClaudeResult;
  } catch {
    throw new Error(`claude printed no JSON result (exit ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  }
  return { run, result };
}
