// `trace sessions [list]` and `trace sessions show`: every agent session recorded here, newest activity
// first, and one session as threads of prompts, model responses and tool calls.
import { existsSync } from 'node:fs';
import type { Agent } from '../agents/types.js';
import { hasQueued } from '../attribution/queued.js';
import { openCaptureStore } from '../capture/open.js';
import type { StepJson, ThreadJson, TokenUsageJson, CostJson } from '../core/threads.js';
import { errorMessage, TraceError } from '../errors.js';
import { decisionsFile } from '../guard/files.js';
import type { Outcome } from '../program.js';
import { findRepo, isInitialised, type Repo } from '../repo.js';
import { filterArgs, type FilterFlags } from '../sessions/filters.js';
import { NOTES_INDEX_REF, notesChanged } from '../sessions/notes-tip.js';
import { resolveSessionId, type SessionPage, type SessionRow, type SignerJson } from '../sessions/query.js';
import { pickFlags, sessionShow, sessionsPage, type RequestContext, type SessionShow } from '../sessions/requests.js';
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

export interface SessionsAgents {
  byName: (name: string) => Promise<Agent | undefined>;
  names: () => Promise<string[]>;
}

/** The agents' code, loaded only when a session's records must be read or an agent name checked. */
export const sessionsAgents: SessionsAgents = {
  byName: async (name) => (await import('../agents/index.js')).agentByName(name),
  names: async () => (await import('../agents/hooks.js')).AGENT_HOOKS.map((hooks) => hooks.name),
};

/** What freshening found: the identity it read of git (when a new row needed it), a problem with the notes. */
export interface Freshened {
  author?: Identity;
  notesProblem?: string;
}

/**
 * Brings the summary rows up to date before a read: the commits git's hooks queued are attributed (so
 * the AI lines of the sessions are current), the rows hooks wrote to are read from their agents'
 * records, and teammates' attested sessions are indexed when the notes ref moved. `me` is the identity
 * a new row is credited to (asked of git only when a row needs it).
 */
export async function freshenSessions(repo: Repo, store: Store, now: Date, me: () => Promise<Identity>): Promise<Freshened> {
  const freshened: Freshened = {};
  if (hasQueued(repo.stateDir)) await (await import('../attribution/queue.js')).settleAttributions(repo, store);
  // The guard's decisions the hook appended since (one stat when there are none): denied calls are steps.
  if (existsSync(decisionsFile(repo.stateDir))) (await import('../guard/log.js')).ingestGuardDecisions(store, repo);
  const dirty = store.db.prepare('SELECT 1 FROM session_summaries WHERE dirty > 0 LIMIT 1').get() !== undefined;
  if (dirty) {
    freshened.author = await me();
    await refreshSummaries(store, { agentByName: (await import('../agents/index.js')).agentByName, author: freshened.author, now });
  }
  // The indexer loads only when the notes ref moved since it last ran.
  const notes = notesChanged(repo, store);
  if (notes) {
    try {
      await (await import('../sessions/notes-index.js')).indexNotes(repo, store, { now, tip: notes.tip });
    } catch (error) {
      freshened.notesProblem = `the attested sessions in ${NOTES_INDEX_REF} were not read: ${errorMessage(error)}`;
    }
  }
  return freshened;
}

/** The repository where trace is set up, found without running git (a page of sessions must cost little more than starting node). */
export function sessionsRepo(cwd: string): Repo {
  const repo = findRepo(cwd);
  if (!repo) throw new TraceError('NOT_A_REPOSITORY', `${cwd} is not inside a git work tree`, { hint: 'run trace inside your repository' });
  if (!isInitialised(repo)) throw new TraceError('NOT_INITIALISED', `trace is not set up in ${repo.root}`, { hint: 'run `trace init` in the repository' });
  return repo;
}

/** The store with its summary rows brought up to date (see freshenSessions), for a sessions command. */
export async function openSessions(cwd: string, now: Date): Promise<{ repo: Repo; store: Store; me: Identity; agents: SessionsAgents; notesProblem?: string }> {
  const repo = sessionsRepo(cwd);
  const store = openCaptureStore(repo);
  try {
    const { author, notesProblem } = await freshenSessions(repo, store, now, () => gitIdentity(repo.root));
    return { repo, store, me: author ?? { name: null, email: null }, agents: sessionsAgents, ...(notesProblem ? { notesProblem } : {}) };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** What a request needs to check filters: the agents' names, and `me` (the identity freshening read, else git's). */
export function requestContext(repo: Repo, now: Date, me: Identity, agents: SessionsAgents): RequestContext {
  return { now, agentNames: agents.names, me: async () => me.email ?? (await gitIdentity(repo.root)).email };
}

export async function sessionsList(options: SessionsListOptions): Promise<Outcome> {
  const { repo, store, me, agents, notesProblem } = await openSessions(options.cwd, options.now);
  try {
    const flags = pickFlags(options);
    const page = await sessionsPage(store, flags, options, requestContext(repo, options.now, me, agents));
    const text = renderList(page, flags, options);
    return { json: page, text: notesProblem ? `${text}\n${options.style.warning(`warning: ${notesProblem}`)}` : text };
  } finally {
    store.close();
  }
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
  // The SOURCE column appears once the notes count: a session from them, or one attested there.
  const withSource = page.sessions.some((row) => row.source !== 'local' || row.attestation.status !== 'none');
  const rows = [['SESSION', 'LAST ACTIVE', 'AGENT', 'MODELS', 'THREADS', 'TOOLS', 'TOKENS', 'COST', 'AI LINES', 'COMMITS', ...(withSource ? ['SOURCE'] : []), 'LAST PROMPT']];
  for (const row of page.sessions) rows.push(listCells(row, options.now, withSource));
  const lines = table(rows, s);
  // An attestation that does not verify is said under the table, with its reason, never left to a mark.
  const unverified = page.sessions.filter((row) => row.attestation.status === 'unverified');
  if (unverified.length > 0) lines.push('');
  for (const row of unverified) lines.push(s.failed(`✗ ${row.id.slice(0, 8)}: attestation UNVERIFIED: ${row.attestation.reason ?? 'unknown reason'}`));
  const first = page.offset + 1;
  const last = page.offset + page.sessions.length;
  const total = page.count_is_capped ? `${grouped(page.count)}+` : grouped(page.count);
  const limit = options.limit !== undefined ? ['--limit', options.limit] : [];
  const next = page.next_cursor ? ` · next: ${['trace sessions', ...filterArgs(flags), ...limit, '--after', page.next_cursor].join(' ')}` : '';
  lines.push('', s.dim(`${grouped(first)}–${grouped(last)} of ${total}${next}`));
  return lines.join('\n');
}

function listCells(row: SessionRow, now: Date, withSource: boolean): string[] {
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
    ...(withSource ? [sourceCell(row)] : []),
    row.last_prompt ? oneLine(row.last_prompt, 60) : row.source === 'notes' ? '(attested: no prompts)' : '-',
  ];
}

/** `local`, `notes`, then ✓ and the signer when attested and verified, ✗ UNVERIFIED when not. */
function sourceCell(row: SessionRow): string {
  const a = row.attestation;
  if (a.status === 'none') return row.source;
  if (a.status === 'unverified') return `${row.source} ✗ UNVERIFIED`;
  return `${row.source} ✓ ${a.signer ? signerText(a.signer, true) : 'verified'}`;
}

export function signerText(signer: SignerJson, short = false): string {
  if (signer.kind === 'keyless') return short ? signer.subject : `${signer.subject} (issuer ${signer.issuer})`;
  const key = `key ${signer.key_id.slice(0, 16)}`;
  return signer.owner ? (short ? `${key} ${signer.owner.replace(/\s*<.*>$/, '')}` : `${key} of ${signer.owner}`) : key;
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

export async function sessionsShow(options: SessionsShowOptions): Promise<Outcome> {
  const { store, agents } = await openSessions(options.cwd, options.now);
  try {
    const id = resolveSessionId(store, options.id);
    const detail = await sessionShow(store, id, options, agents.byName);
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
  lines.push(attestationLine(detail, s));
  for (const warning of detail.warnings) lines.push(s.warning(`warning: ${warning}`));
  for (const thread of detail.threads) lines.push('', ...threadLines(thread, detail, options));
  if (detail.commits.length > 0) {
    lines.push('', s.dim('commits'));
    const unverified = detail.session.attestation.status === 'unverified';
    for (const c of detail.commits) lines.push(`  ${c.sha.slice(0, 12)}  AI lines ${c.ai_lines_added}/${c.lines_added}${c.attested ? (unverified ? s.failed('  attested (UNVERIFIED)') : s.ok('  attested')) : ''}`);
  }
  return lines.join('\n');
}

/** Whether the session is attested and verified, and by whom (from the notes ref's bundles). */
function attestationLine(detail: SessionShow, s: Style): string {
  const a = detail.session.attestation;
  const source = detail.session.source === 'notes' ? "a teammate's session, from the notes" : 'captured here';
  if (a.status === 'none') return s.dim(`${source} · not attested (no bundle in refs/notes/chainloop-trace names it${detail.commits.length ? ': push its commits' : ''})`);
  const bundles = detail.attestations.length;
  if (a.status === 'unverified') return s.failed(`${source} · attestation UNVERIFIED (${bundles} bundle(s)): ${a.reason ?? 'unknown reason'}`);
  const signers = [...new Set(detail.attestations.filter((b) => b.status === 'verified' && b.signer).map((b) => signerText(b.signer!)))];
  const bad = detail.attestations.filter((b) => b.status === 'unverified').length;
  return s.ok(`${source} · attested, verified · signed by ${signers.join(', ') || 'unknown'}`) + s.dim(` (${bundles} bundle(s)${bad ? `, ${bad} that do not verify` : ''})`);
}

function threadLines(thread: ThreadJson, detail: SessionShow, options: SessionsShowOptions): string[] {
  const s = options.style;
  const prompt = thread.prompt === null ? s.dim(detail.session.source === 'notes' ? '(the prompt is not in the attestation)' : '(before the first prompt trace knows of)') : options.full ? thread.prompt : oneLine(thread.prompt, 300);
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
    const status = step.status === 'ok' ? s.ok('✓') : step.status === 'pending' ? s.dim('…') : step.status === 'unknown' ? s.dim('?') : s.failed(step.status === 'denied' ? '✗ denied' : '✗');
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
