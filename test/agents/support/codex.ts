// Codex CLI (`codex exec --json`) against the scripted Responses server, through a custom model provider
// in a CODEX_HOME of the test's own.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRepo } from '../../support/repo.js';
import { agentBinary, type AgentRun, offlineEnv, runAgent } from './runner.js';

export interface CodexEvent {
  type: string;
  thread_id?: string;
  usage?: { input_tokens: number; cached_input_tokens: number; output_tokens: number; reasoning_output_tokens?: number };
  item?: { id: string; type: string; text?: string; command?: string; exit_code?: number; status?: string; changes?: { path: string; kind: string }[] };
}

export function codexHome(repo: TestRepo): string {
  return join(repo.home, '.codex');
}

/** Writes config.toml: the scripted provider, no analytics, no update check, no feedback; `features` switched on or off. */
export function writeCodexConfig(repo: TestRepo, serverUrl: string, model = 'gpt-5.5', features: Record<string, boolean> = {}): void {
  const home = codexHome(repo);
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, 'config.toml'),
    [
      `model = "${model}"`,
      'model_provider = "scripted"',
      'check_for_update_on_startup = false',
      // Features that reach github.com and chatgpt.com at start-up (plugin marketplaces, apps).
      '[features]',
      'plugins = false',
      'remote_plugin = false',
      'plugin_sharing = false',
      'apps = false',
      ...Object.entries(features).map(([feature, on]) => `${feature} = ${on}`),
      '[analytics]',
      'enabled = false',
      '[feedback]',
      'enabled = false',
      '[model_providers.scripted]',
      'name = "Scripted"',
      `base_url = "${serverUrl}/v1"`,
      'env_key = "SCRIPTED_API_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      `[projects."${repo.dir}"]`,
      'trust_level = "trusted"',
      '',
    ].join('\n'),
  );
}

export async function runCodex(
  repo: TestRepo,
  serverUrl: string,
  prompt: string,
  options: { resume?: string; model?: string; features?: Record<string, boolean>; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ run: AgentRun; events: CodexEvent[]; threadId: string }> {
  writeCodexConfig(repo, serverUrl, options.model, options.features);
  // Hooks of a project run once the user trusted them in Codex; the flag stands in for that one approval.
  const flags = ['--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '--dangerously-bypass-hook-trust'];
  const args = options.resume === undefined ? ['exec', ...flags, prompt] : ['exec', 'resume', ...flags, options.resume, prompt];
  const env = offlineEnv(repo, serverUrl, { CODEX_HOME: codexHome(repo), SCRIPTED_API_KEY: 'sk-scripted', ...options.env });
  const run = await runAgent(agentBinary('codex'), args, { cwd: repo.dir, env, timeoutMs: options.timeoutMs ?? 120_000 });
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as CodexEvent);
  const threadId = events.find((e) => e.type === 'thread.started')?.thread_id;
  if (threadId === undefined) throw new Error(`codex started no thread (exit ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  return { run, events, threadId };
}

/** Codex's own usage report: its last `turn.completed`, a running total over the thread (a resumed run counts the earlier ones too). */
export function codexUsage(events: CodexEvent[]): { input: number; cached: number; output: number } {
  const last = events.filter((e) => e.type === 'turn.completed' && e.usage !== undefined).at(-1);
  if (last === undefined) throw new Error('codex reported no turn.completed usage');
  return { input: last.usage!.input_tokens, cached: last.usage!.cached_input_tokens, output: last.usage!.output_tokens };
}
