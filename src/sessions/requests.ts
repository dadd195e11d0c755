// Questions about sessions as people and clients ask them (text from command-line flags or query
// parameters), checked and answered. `trace sessions` (list, show, stats) and the servers call these,
// so the same question gets the same answer, and the same bad value the same error (BAD_ARGUMENT).
import type { Agent } from '../agents/types.js';
import { TraceError } from '../errors.js';
import type { Store } from '../store.js';
import type { SessionDetail } from './detail.js';
import { parseFilters, type FilterFlags } from './filters.js';
import type { AttestationBundleJson } from './notes-detail.js';
import { DEFAULT_LIMIT, listSessions, MAX_LIMIT, queryKey, summaryRow, type SessionFilters, type SessionPage } from './query.js';
import { sessionStats, STATS_BY, type StatsBy, type StatsResult } from './stats.js';

export interface RequestContext {
  now: Date;
  /** The agents' names (checked only when a request names an agent). */
  agentNames: () => Promise<string[]>;
  /** The git email `me` stands for (asked only when a request says `me`). */
  me: () => Promise<string | null>;
}

/** Page parameters as given: text. */
export interface PageText {
  limit?: string | undefined;
  after?: string | undefined;
  offset?: string | undefined;
}

export function parseCount(flag: string, value: string | undefined, min: number, max: number, example: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new TraceError('BAD_ARGUMENT', `--${flag}: ${JSON.stringify(value)} is not a whole number from ${min} to ${max}`, { hint: `e.g. --${flag} ${example}` });
  }
  return Number(value);
}

const FILTER_KEYS = ['source', 'agent', 'model', 'author', 'branch', 'commit', 'file', 'since', 'until', 'id', 'search'] as const;

/** The filter flags that were given, and nothing else: what a cursor is bound to. */
export function pickFlags(options: FilterFlags): FilterFlags {
  const flags: FilterFlags = {};
  for (const key of FILTER_KEYS) {
    if (options[key] !== undefined) flags[key] = options[key];
  }
  if (options.has && options.has.length > 0) flags.has = options.has;
  return flags;
}

async function filtersOf(flags: FilterFlags, context: RequestContext): Promise<SessionFilters> {
  const agents = flags.agent !== undefined ? await context.agentNames() : [];
  const email = flags.author === 'me' ? await context.me() : null;
  return parseFilters(flags, { now: context.now, agents, me: () => email });
}

/** A page of sessions (`trace sessions --json`, `GET /api/v1/sessions`). */
export async function sessionsPage(store: Store, options: FilterFlags, page: PageText, context: RequestContext): Promise<SessionPage> {
  const limit = parseCount('limit', page.limit, 1, MAX_LIMIT, '50') ?? DEFAULT_LIMIT;
  const offset = parseCount('offset', page.offset, 0, Number.MAX_SAFE_INTEGER, '50');
  if (page.after !== undefined && offset !== undefined) {
    throw new TraceError('BAD_ARGUMENT', '--after and --offset page in two ways: give one of them', { hint: 'e.g. `trace sessions --after <cursor>` or `trace sessions --offset 50`' });
  }
  const flags = pickFlags(options);
  const filters = await filtersOf(flags, context);
  return listSessions(store, filters, { limit, after: page.after, offset }, queryKey(flags));
}

/** With no since: the last 7 days. */
const DEFAULT_SPAN_MS = 7 * 86_400_000;

/** Totals of a period against the one before (`trace sessions stats --json`, `GET /api/v1/stats`). */
export async function sessionsStatsFor(store: Store, options: FilterFlags, by: string | undefined, context: RequestContext): Promise<StatsResult> {
  if (by !== undefined && !(STATS_BY as readonly string[]).includes(by)) {
    throw new TraceError('BAD_ARGUMENT', `--by: unknown breakdown ${JSON.stringify(by)}`, { hint: `use one of ${STATS_BY.join(', ')}, e.g. --by model` });
  }
  const filters = await filtersOf(pickFlags(options), context);
  const until = filters.until ?? context.now.toISOString();
  const since = filters.since ?? new Date(Date.parse(until) - DEFAULT_SPAN_MS).toISOString();
  if (since >= until) throw new TraceError('BAD_ARGUMENT', '--since must come before --until', { hint: 'e.g. --since 2026-11-01 --until 2026-11-30' });
  return sessionStats(store, filters, { since, until }, by as StatsBy | undefined);
}

export interface ShowRequest {
  /** One thread (1-based), as text. */
  thread?: string | undefined;
  /** Add each edit's unified diff. */
  diffs?: boolean | undefined;
  /** Keep the thinking the records hold. */
  full?: boolean | undefined;
  /** A window of threads (after `thread`): the servers page long sessions. */
  threads?: { offset: number; limit: number } | undefined;
}

/** Which threads an answer holds, when they were paged. */
export interface ThreadsPage {
  offset: number;
  limit: number;
  total: number;
}

export type SessionShow = SessionDetail & { diffs?: Record<string, string | null>; threads_page?: ThreadsPage; attestations: AttestationBundleJson[] };

/** One session in full (`trace sessions show --json`, `GET /api/v1/sessions/:id`); `id` exactly. */
export async function sessionShow(store: Store, id: string, request: ShowRequest, loadAgent: (name: string) => Promise<Agent | undefined>): Promise<SessionShow> {
  const { fileDiff, sessionDetail } = await import('./detail.js');
  const { attestationBundles, notesSessionDetail } = await import('./notes-detail.js');
  // A teammate's session has no capture here: it is what its attestation holds.
  const fromNotes = summaryRow(store, id)?.source === 'notes';
  const detail: SessionShow = { ...(fromNotes ? notesSessionDetail(store, id) : await sessionDetail(store, id, loadAgent)), attestations: attestationBundles(store, id) };
  if (request.thread !== undefined) {
    const n = parseCount('thread', request.thread, 1, Number.MAX_SAFE_INTEGER, '2')!;
    const thread = detail.threads.find((t) => t.idx === n);
    if (!thread) throw new TraceError('BAD_ARGUMENT', `--thread: session ${id.slice(0, 8)} has ${detail.threads.length} thread(s), not ${n}`, { hint: `give 1 to ${detail.threads.length}` });
    detail.threads = [thread];
  }
  if (request.threads) {
    const total = detail.threads.length;
    detail.threads = detail.threads.slice(request.threads.offset, request.threads.offset + request.threads.limit);
    detail.threads_page = { ...request.threads, total };
  }
  if (request.diffs) {
    detail.diffs = {};
    for (const step of detail.threads.flatMap((t) => t.steps)) {
      if (step.kind !== 'tool_call') continue;
      for (const file of step.files) detail.diffs[`${step.tool_use_id}:${file.path}`] = await fileDiff(store, file);
    }
  }
  if (!request.full) {
    for (const step of detail.threads.flatMap((t) => t.steps)) if (step.kind === 'assistant') step.thinking = null;
  }
  return detail;
}
