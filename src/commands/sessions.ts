// `trace sessions [list]` and `trace sessions show`: every agent session recorded here, newest activity
// first, and one session as threads of prompts, model responses and tool calls.
import type { Agent } from '../agents/types.js';
import { hasQueued } from '../attribution/queued.js';
import { openCaptureStore } from '../capture/open.js';
import type { StepJson, ThreadJson, TokenUsageJson, CostJson } from '../core/threads.js';
import { TraceError } from '../errors.js';
import type { Outcome } from '../program.js';
import { findRepo, isInitialised, type Repo } from '../repo.js';
import type { SessionDetail } from '../sessions/detail.js';
import { filterArgs, parseFilters, type FilterFlags } from '../sessions/filters.js';
import { DEFAULT_LIMIT, listSessions, MAX_LIMIT, queryKey, resolveSessionId, type SessionPage, type SessionRow } from '../sessions/query.js';
import { refreshSummaries, type Identity } from '../sessions/refresh.js';
import type { Store } from '../store.js';
import type { Style } from '../terminal.js';

export interface SessionsListOptions extends FilterFlags {
  cwd: string;
  now: Date;
  style: Style;
  limit?: string;
  after?: string;
  offset?: string;
}

export async function gitIdentity(root: string): Promise<Identity> {
  const { gitRaw } = await import('../git.js');
  const read = async (key: string) => {
    const result = await gitRaw(['config', '--get', key], { cwd: root, okCodes: [1] });
    const value = result.stdout.toString('utf8').trim();
    return result.code === 0 && value !== '' ? value : null;
  };
  const [name, email] = await Promise.all([read('user.name'), read('user.email')]);
  return { name, email };
}

/** The store with its summary rows brought up to date (see sessions/refresh.ts), for a sessions command. */
export async function openSessions(cwd: string, now: Date): Promise<{ repo: Repo; store: Store; me: Identity; agents: { byName: (name: string) => Promise<Agent | undefined>; names: () => Promise<string[]> } }> {
  // Found without running git: a page of sessions must cost little more than starting node.
  const repo = findRepo(cwd);
  if (!repo) throw new TraceError('NOT_A_REPOSITORY', `${cwd} is not inside a git work tree`, { hint: 'run trace inside your repository' });
  if (!isInitialised(repo)) throw new TraceError('NOT_INITIALISED', `trace is not set up in ${repo.root}`, { hint: 'run `trace init` in the repository' });
  const store = openCaptureStore(repo);
  // The agents' cold side (install code, parsers) is loaded only when records must be read.
  const byName = async (name: string) => (await import('../agents/index.js')).agentByName(name);
  try {
    // Commits git's hooks queued are attributed first, so the AI lines of the sessions are current.
    if (hasQueued(repo.stateDir)) await (await import('../attribution/queue.js')).settleAttributions(repo, store);
    // The guard's decisions the hook appended since (a cheap stat when there are none): denied calls are steps.
    (await import('../guard/log.js')).ingestGuardDecisions(store, repo);
    const dirty = store.db.prepare('SELECT 1 FROM session_summaries WHERE dirty > 0 LIMIT 1').get() !== undefined;
    const me = dirty ? await gitIdentity(repo.root) : { name: null, email: null };
    if (dirty) await refreshSummaries(store, { agentByName: (await import('../agents/index.js')).agentByName, author: me, now });
    const names = async () => (await import('../agents/hooks.js')).AGENT_HOOKS.map((hooks) => hooks.name);
    return { repo, store, me, agents: { byName, names } };
  } catch (error) {
    store.close();
    throw error;
  }
}

function parseCount(flag: string, value: string | undefined, min: number, max: number, example: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new TraceError('BAD_ARGUMENT', `--${flag}: ${JSON.stringify(value)} is not a whole number from ${min} to ${max}`, { hint: `e.g. --${flag} ${example}` });
  }
  return Number(value);
}

export async function sessionsList(options: SessionsListOptions): Promise<Outcome> {
  const limit = parseCount('limit', options.limit, 1, MAX_LIMIT, '50') ?? DEFAULT_LIMIT;
  const offset = parseCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER, '50');
  if (options.after !== undefined && offset !== undefined) {
    throw new TraceError('BAD_ARGUMENT', '--after and --offset page in two ways: give one of them', { hint: 'e.g. `trace sessions --after <cursor>` or `trace sessions --offset 50`' });
  }
  const { repo, store, me, agents } = await openSessions(options.cwd, options.now);
  try {
    const flags: FilterFlags = pickFlags(options);
    const email = options.author === 'me' ? (me.email ?? (await gitIdentity(repo.root)).email) : null;
    const filters = parseFilters(flags, { now: options.now, agents: flags.agent !== undefined ? await agents.names() : [], me: () => email });
    const page = listSessions(store, filters, { limit, after: options.after, offset }, queryKey(flags));
    return { json: page, text: renderList(page, flags, options) };
  } finally {
    store.close();
  }
}

function pickFlags(options: FilterFlags): FilterFlags {
  const flags: FilterFlags = {};
  for (const key of ['agent', 'model', 'author', 'branch', 'commit', 'file', 'since', 'until', 'id', 'search'] as const) {
    if (options[key] !== undefined) flags[key] = options[key];
  }
  if (options.has && options.has.length > 0) flags.has = options.has;
  return flags;
}

// ---- text ----

const grouped = (n: number) => n.toLocaleString('en-US');

export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 999_500) return `${(n / 1000).toFixed(n < 9_950 ? 1 : 0).replace(/\.0$/, '')}k`;
  if (n < 999_500_000) return `${(n / 1e6).toFixed(n < 9_950_000 ? 1 : 0).replace(/\.0$/, '')}M`;
  return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}B`;
}

export function tokensText(t: TokenUsageJson): string {
  return `in ${compact(t.input)} · cache ${compact(t.cache_read)}/${compact(t.cache_write)} · out ${compact(t.output)}`;
}

export function costText(cost: CostJson): string {
  if (cost.usd === null) return cost.unpriced ? 'unpriced' : '$0';
  const usd = cost.usd < 0.01 && cost.usd > 0 ? '<$0.01' : `$${cost.usd.toFixed(2)}`;
  return cost.unpriced ? `~${usd}` : usd;
}

function ago(at: string, now: Date): string {
  const ms = now.getTime() - Date.parse(at);
  if (!Number.isFinite(ms)) return at;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.round(hours / 24)}d ago`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function table(rows: string[][], style: Style): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...row[i]!].length)));
  return rows.map((row, r) => {
    const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  ').trimEnd();
    return r === 0 ? style.dim(line) : line;
  });
}

function renderList(page: SessionPage, flags: FilterFlags, options: SessionsListOptions): string {
  const s = options.style;
  if (page.sessions.length === 0) {
    const any = Object.keys(flags).length > 0;
    return any ? 'No session matches these filters (exit 0). Drop a filter, or widen --since/--until.' : 'No sessions recorded yet: work with an agent in this repository (its hooks record each session), then run `trace sessions` again.';
  }
  const rows = [['SESSION', 'LAST ACTIVE', 'AGENT', 'MODELS', 'THREADS', 'TOOLS', 'TOKENS', 'COST', 'AI LINES', 'COMMITS', 'LAST PROMPT']];
  for (const row of page.sessions) rows.push(listCells(row, options.now));
  const lines = table(rows, s);
  const first = page.offset + 1;
  const last = page.offset + page.sessions.length;
  const total = page.count_is_capped ? `${grouped(page.count)}+` : grouped(page.count);
  const limit = options.limit !== undefined ? ['--limit', options.limit] : [];
  const next = page.next_cursor ? ` · next: ${['trace sessions', ...filterArgs(flags), ...limit, '--after', page.next_cursor].join(' ')}` : '';
  lines.push('', s.dim(`${grouped(first)}–${grouped(last)} of ${total}${next}`));
  return lines.join('\n');
}

function listCells(row: SessionRow, now: Date): string[] {
  return [
    row.id.slice(0, 8),
    ago(row.last_active_at, now),
    row.agent.name,
    row.models.join(',') || '-',
    String(row.threads),
    row.tool_calls.errors > 0 ? `${row.tool_calls.total} (${row.tool_calls.errors} err)` : String(row.tool_calls.total),
    tokensText(row.token_usage),
    costText(row.cost),
    `${row.code.ai_lines_added}/${row.code.lines_added}`,
    String(row.code.commits),
    row.last_prompt ? oneLine(row.last_prompt, 60) : '-',
  ];
}

// ---- show ----

export interface SessionsShowOptions {
  cwd: string;
  now: Date;
  style: Style;
  id: string;
  thread?: string;
  diffs?: boolean;
  full?: boolean;
}

export type SessionShow = SessionDetail & { diffs?: Record<string, string | null> };

export async function sessionsShow(options: SessionsShowOptions): Promise<Outcome> {
  const { store, agents } = await openSessions(options.cwd, options.now);
  try {
    const id = resolveSessionId(store, options.id);
    const { fileDiff, sessionDetail } = await import('../sessions/detail.js');
    const detail: SessionShow = await sessionDetail(store, id, agents.byName);
    if (options.thread !== undefined) {
      const n = parseCount('thread', options.thread, 1, Number.MAX_SAFE_INTEGER, '2');
      const thread = detail.threads.find((t) => t.idx === n);
      if (!thread) throw new TraceError('BAD_ARGUMENT', `--thread: session ${id.slice(0, 8)} has ${detail.threads.length} thread(s), not ${n}`, { hint: `give 1 to ${detail.threads.length}` });
      detail.threads = [thread];
    }
    if (options.diffs) {
      detail.diffs = {};
      for (const step of detail.threads.flatMap((t) => t.steps)) {
        if (step.kind !== 'tool_call') continue;
        for (const file of step.files) detail.diffs[`${step.tool_use_id}:${file.path}`] = await fileDiff(store, file);
      }
    }
    if (!options.full) {
      for (const step of detail.threads.flatMap((t) => t.steps)) if (step.kind === 'assistant') step.thinking = null;
    }
    return { json: detail, text: renderShow(detail, options) };
  } finally {
    store.close();
  }
}

function clock(at: string | null): string {
  return at ? (at.slice(11, 19) || at) : '--:--:--';
}

function duration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return minutes < 60 ? `${minutes}m ${Math.round((ms % 60_000) / 1000)}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** One line of a tool call's input: the command, the path, or the JSON. */
function inputSummary(step: Extract<StepJson, { kind: 'tool_call' }>, max: number): string {
  const input = step.input as Record<string, unknown> | null;
  const pick = input && typeof input === 'object' ? (input.command ?? input.file_path ?? input.path ?? input.pattern ?? input.url ?? input.description) : undefined;
  const text = typeof pick === 'string' ? pick : JSON.stringify(step.input) ?? '';
  return max === Infinity ? text : oneLine(text, max);
}

function renderShow(detail: SessionShow, options: SessionsShowOptions): string {
  const s = options.style;
  const row = detail.session;
  const lines: string[] = [];
  lines.push(s.bold(`session ${row.id}`) + `  ${row.agent.name}${row.agent.version ? ` ${row.agent.version}` : ''}  ${row.models.join(', ') || '-'}`);
  const who = row.initiator.email ?? row.initiator.name;
  lines.push(
    [
      `${row.started_at ?? '?'} → ${row.last_active_at}${row.duration_s !== null ? ` (${duration(row.duration_s * 1000)})` : ''}`,
      who ? `by ${who}` : undefined,
      row.branch ? `on ${row.branch}` : undefined,
    ]
      .filter(Boolean)
      .join('  '),
  );
  const attested = detail.commits.filter((c) => c.attested).length;
  lines.push(
    `${row.threads} thread(s) · ${row.tool_calls.total} tool call(s)${row.tool_calls.errors ? s.failed(` (${row.tool_calls.errors} errors)`) : ''} · ${tokensText(row.token_usage)} · ${costText(row.cost)} · AI lines ${row.code.ai_lines_added}/${row.code.lines_added} · ${row.code.commits} commit(s)${detail.commits.length ? `, ${attested} attested` : ''}`,
  );
  for (const warning of detail.warnings) lines.push(s.warning(`warning: ${warning}`));
  for (const thread of detail.threads) lines.push('', ...threadLines(thread, detail, options));
  if (detail.commits.length > 0) {
    lines.push('', s.dim('commits'));
    for (const c of detail.commits) lines.push(`  ${c.sha.slice(0, 12)}  AI lines ${c.ai_lines_added}/${c.lines_added}${c.attested ? s.ok('  attested') : ''}`);
  }
  return lines.join('\n');
}

function threadLines(thread: ThreadJson, detail: SessionShow, options: SessionsShowOptions): string[] {
  const s = options.style;
  const prompt = thread.prompt === null ? s.dim('(before the first prompt trace knows of)') : options.full ? thread.prompt : oneLine(thread.prompt, 300);
  const lines = [
    s.bold(`thread ${thread.idx}`) + s.dim(`  ${clock(thread.prompt_at)}  ${duration(thread.duration_ms)}  ${tokensText(thread.token_usage)}  ${costText(thread.cost)}  ${thread.tool_calls.total} tool call(s)`),
    `  ${s.human('>')} ${prompt}`,
  ];
  for (const step of thread.steps) {
    const sub = step.subagent ? s.dim(` [${step.subagent.slice(0, 12)}]`) : '';
    if (step.kind === 'assistant') {
      lines.push(`  ${clock(step.at)}  ${s.ai('assistant')}  ${step.model ?? '?'}  ${tokensText(step.token_usage)}  ${costText(step.cost)}${sub}`);
      if (options.full && step.thinking) lines.push(...step.thinking.split('\n').map((line) => s.dim(`      ${line}`)));
      continue;
    }
    const status = step.status === 'ok' ? s.ok('✓') : step.status === 'pending' ? s.dim('…') : s.failed(step.status === 'denied' ? '✗ denied' : '✗');
    const guarded = step.guard !== null && step.guard.outcome !== 'deny';
    const error = step.guard?.outcome === 'deny' ? ` ${s.failed(`by trace guard [${step.guard.rule}]`)}` : step.error ? ` ${s.failed(oneLine(step.error, 80))}` : '';
    lines.push(`  ${clock(step.at)}  ${step.tool}  ${status}${error}  ${duration(step.duration_ms)}  ${inputSummary(step, options.full ? Infinity : 80)}${sub}`);
    if (step.guard !== null) {
      const what = guarded ? `trace guard [${step.guard.rule}] ${step.guard.decision}, the agent was told ${step.guard.outcome}` : `trace guard [${step.guard.rule}]`;
      lines.push(s.warning(`      ${what}: ${oneLine(step.guard.message, options.full ? Infinity : 120)}`));
    }
    for (const file of step.files) {
      lines.push(s.dim(`      ${file.path}  +${file.lines_added} -${file.lines_removed}`));
      const diff = detail.diffs?.[`${step.tool_use_id}:${file.path}`];
      if (diff) lines.push(...diffLinesText(diff, s));
      else if (detail.diffs && diff === null) lines.push(s.dim('      (contents not held in the store)'));
    }
  }
  return lines;
}

function diffLinesText(diff: string, s: Style): string[] {
  return diff
    .split('\n')
    .slice(2)
    .filter((line) => line !== '\\ No newline at end of file')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? s.ok(`      ${line}`) : line.startsWith('-') && !line.startsWith('---') ? s.failed(`      ${line}`) : s.dim(`      ${line}`)));
}
