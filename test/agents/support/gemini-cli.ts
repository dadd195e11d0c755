// Gemini CLI (`gemini -p … --output-format json`) against the scripted Gemini API server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRepo } from '../../support/repo.js';
import { agentBinary, type AgentRun, offlineEnv, runAgent } from './runner.js';

export interface GeminiResult {
  session_id?: string;
  response?: string;
  stats: { models: Record<string, { tokens: { input: number; prompt: number; candidates: number; total: number; cached: number; thoughts: number } }> };
  error?: unknown;
}

/** User settings: API-key auth, no usage statistics, telemetry, update checks. */
export function writeGeminiSettings(repo: TestRepo): void {
  const dir = join(repo.home, '.gemini');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      security: { auth: { selectedType: 'gemini-api-key' } },
    }),
  );
}

export async function runGemini(
  repo: TestRepo,
  serverUrl: string,
  prompt: string,
  options: { resume?: string; model?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ run: AgentRun; result: GeminiResult }> {
  writeGeminiSettings(repo);
  // An explicit model: the default "auto" first asks a flash-lite model to route the prompt.
  const args = ['-m', options.model ?? 'gemini-2.5-pro', '--approval-mode', 'yolo', '--output-format', 'json', '-p', prompt];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  const env = offlineEnv(repo, serverUrl, { GEMINI_API_KEY: 'scripted', GOOGLE_GEMINI_BASE_URL: serverUrl, GEMINI_CLI_TRUST_WORKSPACE: 'true', ...options.env });
  const run = await runAgent(agentBinary('gemini-cli'), args, { cwd: repo.dir, env, timeoutMs: options.timeoutMs ?? 120_000 });
  const start = run.stdout.indexOf('{');
  let result: GeminiResult;
  try {
    result = JSON.parse(run.stdout.slice(start)) as GeminiResult;
  } catch {
    throw new Error(`gemini printed no JSON result (exit ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  }
  return { run, result };
}

/** Gemini's own report: the token figures of every model in its stats. */
export function geminiUsage(result: GeminiResult): { prompt: number; candidates: number; cached: number } {
  return Object.values(result.stats.models).reduce((t, m) => ({ prompt: t.prompt + m.tokens.prompt, candidates: t.candidates + m.tokens.candidates, cached: t.cached + m.tokens.cached }), { prompt: 0, candidates: 0, cached: 0 });
}
