// `trace status`: what is recorded, what was skipped, what went wrong, and whether the hooks are in place.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitsToAttest, pushedUnattested } from '../attest/plan.js';
import { openRepo, requireInitialised } from '../context.js';
import { commitId, dirtyPaths, git, gitRaw } from '../git.js';
import { agentByName, AGENTS } from '../agents/index.js';
import { GIT_HOOKS, hooksDirectory, installedGitHooks } from '../install/git-hooks.js';
import { type LogEntry, logPath, parseLog } from '../log.js';
import type { Outcome } from '../program.js';
import { openSettledStore } from '../capture/open.js';
import type { Style } from '../terminal.js';

export interface StatusOptions {
  cwd: string;
  now: Date;
  /** Colours for the text; none when absent. */
  style?: Style;
}

export interface SessionStatus {
  id: string;
  agent: string;
  model: string | null;
  /** No end event and an event within the last ACTIVE_WINDOW_MS. */
  active: boolean;
  started_at: string | null;
  ended_at: string | null;
  /** The session's last recorded event. */
  last_activity_at: string;
  prompts: number;
  tool_calls: number;
  /** File changes by tool calls that did not fail (see `Store.finishToolCall`); kept after a push. */
  file_edits: number;
  files: string[];
  /** From the agent's transcript, when it can be read. */
  usage: { models: string[]; input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; estimated_cost_usd: number | null } | null;
  warnings: string[];
}

export interface StatusResult {
  repository: string;
  /** `agents`: each agent whose config file is here, and whether trace's hooks in it are complete and current. */
  hooks: { agents: Record<string, boolean>; git: Record<string, boolean> };
  sessions: SessionStatus[];
  uncommitted_ai_files: string[];
  /** The remote a push would go to (null: none configured), and the commits of HEAD it would attest there. */
  remote: string | null;
  pending_commits: string[];
  /** Commits attributed here that reached the remote without an attestation (a push whose signing failed): the next push, or `trace attest`, attests them. */
  pushed_unattested: string[];
  skipped: { path: string; session_id: string; tool: string; reason: string; at: string | null }[];
  problems: LogEntry[];
  /**
   * The guard: its mode (`invalid`: .chainloop.yml does not validate, see `trace guard check`), and for each
   * agent whose config is here whether its decisions are honoured (`guarded`), only shown and recorded
   * because the agent cannot be told (`warn-only`), or whether its guard hook is missing.
   */
  guard: { mode: 'off' | 'warn' | 'enforce' | 'invalid'; agents: Record<string, GuardedAgent> };
}

export interface GuardedAgent {
  status: 'guarded' | 'warn-only' | 'not-installed';
  /** The agent can ask the person; else an ask is decided by trace.guard.headlessAsk. */
  can_ask: boolean;
}

/** Whether the agent's config text holds trace's guard hook (`trace hook <agent> guard`). */
export function guardInstalled(text: string, hookName: string): boolean {
  return new RegExp(`\\bhook ${hookName} guard\\b`).test(text);
}

async function guardMode(root: string): Promise<StatusResult['guard']['mode']> {
  try {
    const { loadConfig } = await import('../config.js');
    return loadConfig(root).trace.guard.mode;
  } catch {
    return 'invalid';
  }
}

/** A session without an end event counts as active this long after its last event. */
export const ACTIVE_WINDOW_MS = 30 * 60 * 1000;

/** The remote `git push` would use from this branch: its push remote, the default push remote, its upstream's remote, else origin or the only one. */
export async function pushRemote(cwd: string): Promise<string | null> {
  const remotes = (await git(['remote'], { cwd })).split('\n').filter(Boolean);
  if (remotes.length === 0) return null;
  const branch = (await gitRaw(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd, okCodes: [1, 128] })).stdout.toString('utf8').trim();
  const keys = [...(branch ? [`branch.${branch}.pushRemote`] : []), 'remote.pushDefault', ...(branch ? [`branch.${branch}.remote`] : [])];
  for (const key of keys) {
    const value = (await gitRaw(['config', '--get', key], { cwd, okCodes: [1] })).stdout.toString('utf8').trim();
    if (value && remotes.includes(value)) return value;
  }
  return remotes.includes('origin') ? 'origin' : remotes[0]!;
}

/** What pre-push would attest if HEAD were pushed now: HEAD's commits not on the remote and not attested. */
export async function commitsAwaitingAttestation(cwd: string, remote: string | null): Promise<string[]> {
  if (remote === null) return [];
  const head = await commitId(cwd, 'HEAD');
  if (!head) return [];
  const { commits } = await commitsToAttest(cwd, remote, [{ localRef: 'HEAD', localSha: head, remoteRef: 'refs/heads/(status)', remoteSha: '0'.repeat(40) }]);
  return commits;
}


/** A log message as one line: its first line (a logged stack trace is joined with ` | `), at most 200 characters. */
export function problemLine(message: string): string {
  const first = message.split(/\s\|\s/)[0]!.trim();
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

/** `3h ago`, `5 min ago`, `just now`. */
export function ago(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export async function status(options: StatusOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  requireInitialised(repo);
  const store = await openSettledStore(repo);
  try {
    // The agents whose config is here, and whether trace's hooks are in it.
    const agentHooks: Record<string, boolean> = {};
    const guarded: Record<string, GuardedAgent> = {};
    for (const agent of AGENTS) {
      const file = join(repo.root, agent.configFile);
      if (!existsSync(file)) continue;
      try {
        const text = readFileSync(file, 'utf8');
        agentHooks[agent.hooks.name] = agent.hooksInstalled(text, file);
        const guard = agent.hooks.guard;
        guarded[agent.hooks.name] = {
          status: !guardInstalled(text, agent.hooks.hookName) ? 'not-installed' : guard?.canDeny ? 'guarded' : 'warn-only',
          can_ask: guard?.canAsk ?? false,
        };
      } catch {
        agentHooks[agent.hooks.name] = false;
        guarded[agent.hooks.name] = { status: 'not-installed', can_ask: false };
      }
    }
    const installed = installedGitHooks(await hooksDirectory(repo.root));
    const sessions: SessionStatus[] = [];
    for (const session of store.sessions()) {
      const calls = store.toolCalls(session.id);
      const edits = store.sessionEdits(session.id);
      const last = Date.parse(session.updated_at);
      const transcript = (await agentByName(session.agent)?.readSession(session, store)) ?? { summary: null, warnings: [`sessions of agent ${session.agent} cannot be read by this version of trace`] };
      const summary = transcript.summary;
      sessions.push({
        id: session.id,
        agent: session.agent,
        model: session.model ?? summary?.primaryModel ?? null,
        active: session.ended_at === null && options.now.getTime() - last < ACTIVE_WINDOW_MS,
        started_at: session.started_at,
        ended_at: session.ended_at,
        last_activity_at: session.updated_at,
        prompts: store.prompts(session.id).length,
        tool_calls: calls.length,
        file_edits: edits.reduce((sum, file) => sum + file.edits, 0),
        files: edits.map((file) => file.path),
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
    const remote = await pushRemote(repo.root);
    const pending = await commitsAwaitingAttestation(repo.root, remote);
    // Attributed here, not attested, already on the remote: a push went through while signing failed.
    const pushed = remote === null ? [] : await pushedUnattested(repo.root, remote, store, new Set(pending));
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
      hooks: { agents: agentHooks, git: Object.fromEntries(GIT_HOOKS.map((name) => [name, installed.includes(name)])) },
      sessions,
      uncommitted_ai_files: [...dirty].filter((path) => captured.has(path)).sort(),
      remote,
      pending_commits: pending,
      pushed_unattested: pushed,
      skipped,
      problems: log.filter((entry) => entry.level !== 'info').slice(-20),
      guard: { mode: await guardMode(repo.root), agents: guarded },
    };
    return { json: result, text: renderStatus(result, options.now, options.style) };
  } finally {
    store.close();
  }
}

const PLAIN = (text: string) => text;

function guardLines(guard: StatusResult['guard'], c: { ok: (t: string) => string; failed: (t: string) => string; warning: (t: string) => string; dim: (t: string) => string }): string[] {
  const mode =
    guard.mode === 'invalid'
      ? c.failed('config invalid') + c.dim(' (run `trace guard check`; in enforce mode every guarded call is denied until fixed)')
      : guard.mode === 'enforce'
        ? c.ok('enforce')
        : guard.mode === 'warn'
          ? `${c.warning('warn')}${c.dim(' (decisions are recorded and shown, nothing is blocked)')}`
          : c.dim('off');
  const agents = Object.entries(guard.agents).map(([name, a]) =>
    a.status === 'guarded' ? `${name} ${c.ok('guarded')}${c.dim(a.can_ask ? ' (deny, ask)' : ' (deny only: an ask follows trace.guard.headlessAsk)')}` : a.status === 'warn-only' ? `${name} ${c.warning('warn-only')}${c.dim(' (the agent cannot be told)')}` : `${name} ${c.failed('no guard hook')}`,
  );
  const lines = [`guard: mode ${mode}${agents.length > 0 ? `; ${agents.join(', ')}` : ''}`];
  if (guard.mode !== 'off' && Object.values(guard.agents).some((a) => a.status === 'not-installed')) lines.push('  → run `trace init` to install the guard hook');
  return lines;
}

function renderStatus(result: StatusResult, now: Date, style?: Style): string {
  const c = {
    ok: style?.ok ?? PLAIN,
    failed: style?.failed ?? PLAIN,
    warning: style?.warning ?? PLAIN,
    dim: style?.dim ?? PLAIN,
    bold: style?.bold ?? PLAIN,
    ai: style?.ai ?? PLAIN,
  };
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines: string[] = [c.bold(`trace status for ${result.repository}`), ''];
  const missingHooks = Object.entries(result.hooks.git).filter(([, ok]) => !ok).map(([name]) => name);
  const agents = Object.entries(result.hooks.agents);
  const agentsOk = agents.length > 0 && agents.every(([, ok]) => ok);
  const agentText = agents.length === 0 ? `agents ${c.failed('MISSING')}` : agents.map(([name, ok]) => `${name} ${ok ? c.ok('installed') : c.failed('MISSING')}`).join(', ');
  lines.push(`hooks: ${agentText}; git ${missingHooks.length === 0 ? c.ok('installed') : c.failed(`MISSING ${missingHooks.join(', ')}`)}`);
  if (!agentsOk || missingHooks.length > 0) lines.push('  → run `trace init` to install them');
  lines.push(...guardLines(result.guard, c));
  lines.push('', c.bold(`sessions (${result.sessions.length}):`));
  if (result.sessions.length === 0) lines.push('  none recorded yet');
  for (const s of result.sessions.slice(-10)) {
    const when = s.active ? c.ok('active') : s.ended_at ? c.dim(`ended ${ago(new Date(s.ended_at), now)}`) : c.dim(`last active ${ago(new Date(s.last_activity_at), now)}`);
    lines.push(
      `  ${s.active ? c.ok('●') : '○'} ${s.id}  ${c.ai(s.agent)}${s.model ? ` ${s.model}` : ''}  ${plural(s.file_edits, 'edit')} in ${plural(s.files.length, 'file')}, ${plural(s.prompts, 'prompt')}  (${when})`,
    );
    if (s.usage) {
      const cost = s.usage.estimated_cost_usd === null ? 'cost unknown' : `~$${s.usage.estimated_cost_usd.toFixed(4)} estimated`;
      lines.push(c.dim(`      tokens: ${s.usage.input_tokens} in, ${s.usage.output_tokens} out, ${s.usage.cache_read_input_tokens} cache read, ${s.usage.cache_creation_input_tokens} cache write; ${cost}`));
    }
  }
  lines.push('', c.bold(`files with uncommitted AI changes (${result.uncommitted_ai_files.length}):`), ...result.uncommitted_ai_files.map((f) => `  ${f}`));
  lines.push(
    '',
    result.remote === null
      ? `commits awaiting attestation: ${c.dim('none (no remote to push to)')}`
      : `commits awaiting attestation: ${result.pending_commits.length}${result.pending_commits.length > 0 ? c.dim(` (attested when pushed to ${result.remote})`) : ''}`,
  );
  if (result.pushed_unattested.length > 0) {
    const last = result.pushed_unattested.at(-1)!.slice(0, 12);
    lines.push(
      c.warning(`pushed without attestation: ${result.pushed_unattested.length}`) + c.dim(` (already on ${result.remote ?? 'the remote'}: the next push attests them with its own commits)`),
      ...result.pushed_unattested.slice(-10).map((sha) => `  ${sha.slice(0, 12)}`),
      `  → \`trace attest\` attests them now (\`trace attest ${last}\` one commit, \`trace attest A..B\` a range)`,
    );
  }
  if (result.skipped.length > 0) {
    lines.push('', c.warning(`skipped captures (${result.skipped.length}):`), ...result.skipped.slice(-10).map((s) => `  ${s.path}: ${s.reason} (${s.tool}, session ${s.session_id})`));
  }
  if (result.problems.length > 0) {
    lines.push(
      '',
      c.warning(`recent problems (${result.problems.length}, from .git/chainloop-trace/log.txt):`),
      ...result.problems.slice(-10).map((p) => `  ${c.dim(p.at)} ${p.level === 'error' ? c.failed(p.level) : c.warning(p.level)}: ${problemLine(p.message)}`),
    );
  }
  return lines.join('\n');
}
