// `trace status`: what is recorded, what was skipped, what went wrong, and whether the hooks are in place.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRepo, requireInitialised } from '../context.js';
import { dirtyPaths } from '../git.js';
import { hasTraceHooks, parseSettings } from '../install/claude-settings.js';
import { GIT_HOOKS, hooksDirectory, installedGitHooks } from '../install/git-hooks.js';
import { type LogEntry, logPath, parseLog } from '../log.js';
import type { Outcome } from '../program.js';
import { openCaptureStore } from '../capture/open.js';
import { readClaudeTranscript } from '../agents/claude-transcript.js';

export interface StatusOptions {
  cwd: string;
  now: Date;
}

export interface SessionStatus {
  id: string;
  agent: string;
  model: string | null;
  active: boolean;
  started_at: string | null;
  ended_at: string | null;
  prompts: number;
  tool_calls: number;
  file_edits: number;
  files: string[];
  /** From the agent's transcript, when it can be read. */
  usage: { models: string[]; input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; estimated_cost_usd: number | null } | null;
  warnings: string[];
}

export interface StatusResult {
  repository: string;
  hooks: { claude: boolean; git: Record<string, boolean> };
  sessions: SessionStatus[];
  uncommitted_ai_files: string[];
  pending_commits: string[];
  skipped: { path: string; session_id: string; tool: string; reason: string; at: string | null }[];
  problems: LogEntry[];
}

const ACTIVE_WINDOW_MS = 6 * 60 * 60 * 1000;

export async function status(options: StatusOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  requireInitialised(repo);
  const store = openCaptureStore(repo);
  try {
    const settingsFile = join(repo.root, '.claude', 'settings.json');
    let claude = false;
    try {
      claude = existsSync(settingsFile) && hasTraceHooks(parseSettings(readFileSync(settingsFile, 'utf8'), settingsFile));
    } catch {
      claude = false;
    }
    const installed = installedGitHooks(await hooksDirectory(repo.root));
    const sessions: SessionStatus[] = [];
    for (const session of store.sessions()) {
      const calls = store.toolCalls(session.id);
      const changes = store.changesForSession(session.id);
      const last = Date.parse(session.updated_at);
      const transcript = session.transcript_path ? await readClaudeTranscript(session.transcript_path) : { summary: null, warnings: ['no transcript path recorded'] };
      const summary = transcript.summary;
      sessions.push({
        id: session.id,
        agent: session.agent,
        model: session.model ?? summary?.primaryModel ?? null,
        active: session.ended_at === null && options.now.getTime() - last < ACTIVE_WINDOW_MS,
        started_at: session.started_at,
        ended_at: session.ended_at,
        prompts: store.prompts(session.id).length,
        tool_calls: calls.length,
        file_edits: changes.filter((change) => change.after_state !== 'pending').length,
        files: [...new Set(changes.map((change) => change.path))].sort(),
        usage: summary && {
          models: summary.modelsUsed,
          input_tokens: summary.usage.inputTokens,
          output_tokens: summary.usage.outputTokens,
          cache_read_input_tokens: summary.usage.cacheReadInputTokens,
          cache_creation_input_tokens: summary.usage.cacheCreationInputTokens,
          estimated_cost_usd: summary.estimatedCostUsd ?? null,
        },
        warnings: [...transcript.warnings, ...(summary?.warnings ?? [])],
      });
    }
    const dirty = await dirtyPaths(repo.root);
    const captured = new Set(store.capturedPaths());
    const pending = store.db.prepare('SELECT sha FROM commits WHERE attested_at IS NULL ORDER BY attributed_at').all() as { sha: string }[];
    const skipped = store.skippedChanges().map((change) => ({
      path: change.path,
      session_id: change.session_id,
      tool: change.tool_name,
      reason: change.skipped ?? '',
      at: change.started_at,
    }));
    const log = existsSync(logPath(repo.stateDir)) ? parseLog(readFileSync(logPath(repo.stateDir), 'utf8')) : [];
    const result: StatusResult = {
      repository: repo.root,
      hooks: { claude, git: Object.fromEntries(GIT_HOOKS.map((name) => [name, installed.includes(name)])) },
      sessions,
      uncommitted_ai_files: [...dirty].filter((path) => captured.has(path)).sort(),
      pending_commits: pending.map((row) => row.sha),
      skipped,
      problems: log.filter((entry) => entry.level !== 'info').slice(-20),
    };
    return { json: result, text: renderStatus(result) };
  } finally {
    store.close();
  }
}

function renderStatus(result: StatusResult): string {
  const lines: string[] = [`trace status for ${result.repository}`, ''];
  const missingHooks = Object.entries(result.hooks.git).filter(([, ok]) => !ok).map(([name]) => name);
  lines.push(`hooks: Claude Code ${result.hooks.claude ? 'installed' : 'MISSING'}; git ${missingHooks.length === 0 ? 'installed' : `MISSING ${missingHooks.join(', ')}`}`);
  if (!result.hooks.claude || missingHooks.length > 0) lines.push('  → run `trace init` to install them');
  lines.push('', `sessions (${result.sessions.length}):`);
  if (result.sessions.length === 0) lines.push('  none recorded yet');
  for (const s of result.sessions.slice(-10)) {
    lines.push(
      `  ${s.active ? '●' : '○'} ${s.id}  ${s.agent}${s.model ? ` ${s.model}` : ''}  ${s.file_edits} edit${s.file_edits === 1 ? '' : 's'} in ${s.files.length} file${s.files.length === 1 ? '' : 's'}, ${s.prompts} prompt${s.prompts === 1 ? '' : 's'}${s.active ? '  (active)' : ''}`,
    );
    if (s.usage) {
      const cost = s.usage.estimated_cost_usd === null ? 'cost unknown' : `~$${s.usage.estimated_cost_usd.toFixed(4)} estimated`;
      lines.push(`      tokens: ${s.usage.input_tokens} in, ${s.usage.output_tokens} out, ${s.usage.cache_read_input_tokens} cache read, ${s.usage.cache_creation_input_tokens} cache write; ${cost}`);
    }
  }
  lines.push('', `files with uncommitted AI changes (${result.uncommitted_ai_files.length}):`, ...result.uncommitted_ai_files.map((f) => `  ${f}`));
  lines.push('', `commits awaiting attestation: ${result.pending_commits.length}`);
  if (result.skipped.length > 0) {
    lines.push('', `skipped captures (${result.skipped.length}):`, ...result.skipped.slice(-10).map((s) => `  ${s.path}: ${s.reason} (${s.tool}, session ${s.session_id})`));
  }
  if (result.problems.length > 0) {
    lines.push('', `recent problems (${result.problems.length}, from .git/chainloop-trace/log.txt):`, ...result.problems.slice(-10).map((p) => `  ${p.at} ${p.level}: ${p.message}`));
  }
  return lines.join('\n');
}
