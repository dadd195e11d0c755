// One Chainloop "AI coding session" object (schemas/chainloop-ai-coding-session-0.1.schema.json) per
// agent session: who, when, what it changed in the pushed commits, which models, tokens, cost, tools.
// The schema forbids extra keys at the top level and in `agent` and `session`; elsewhere this adds a
// few documented fields (cache split, per-model usage, price date, MCP servers, compactions, whether
// output tokens are a lower bound, fast-mode responses).
//
// Times: the session's start and end are its transcript's first and last line when it has timestamps,
// else when trace's hooks saw it start and end. The transcript is the session as the agent ran it (the
// schema's "when the session started"); the hooks see it only once trace is installed, and SessionStart
// runs before the first line is written. Both ends come from one source, so the duration is one span.

import { PRICES_AS_OF, modelProvider, withoutContextTag } from './prices.js';
import type { TranscriptSummary } from '../agents/types.js';
import type { ThreadUsage } from './threads.js';
import type { FileAttribution, LineRange } from './types.js';

export const SESSION_SCHEMA_VERSION = '0.1';

/** The stored record of a session, as far as the session object needs it. */
export interface SessionInfo {
  id: string;
  /** Chainloop's agent name: `claude-code`, `cursor`, ... (see `AgentName`); older stores said `claude`. */
  agent: string;
  agentVersion?: string | null;
  /** Model from the hook payloads, used when there is no transcript (a `[1m]` context tag is dropped). */
  model?: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
  cwd?: string | null;
  /** Prompts the agent's prompt hook (UserPromptSubmit) saw; the transcript counts them too, see `conversation`. */
  prompts?: number | null;
}

export interface SessionGitContext {
  /** Remote URL or name; left out when unknown. */
  repository?: string;
  branch?: string;
  /** Local working directory; only included when the caller passes it (it can name the user). */
  workDir?: string;
  /** Commits of this session in the push, oldest first. */
  commits: string[];
}

/** A file of one of this session's commits, its ranges and counts already restricted to this session. */
export type SessionFileChange = FileAttribution & { commit?: string };

export interface BuildSessionInput {
  session: SessionInfo;
  transcript: TranscriptSummary | null;
  /** In commit order, oldest first; a path may repeat across commits. */
  files: SessionFileChange[];
  git: SessionGitContext;
  warnings?: string[];
  /** Retained conversation keyed by thread name (e.g. `{ main: [...] }`), already redacted. */
  rawSession?: Record<string, unknown[]>;
  /** Per-thread usage (core/threads.ts), from the agent's per-response records: `usage.by_thread`. */
  threads?: ThreadUsage[];
}

export interface AiCodingSessionFile {
  path: string;
  status: string;
  lines_added: number;
  lines_removed: number;
  /** `ai`, `human`, or `mixed` when the session's commits hold lines of both. */
  attribution: 'ai' | 'human' | 'mixed';
  /** AI-written ranges of this session, in the last commit of the session that touched the file. */
  line_ranges: { start: number; end: number }[];
  session_ids: string[];
  old_path?: string;
  binary?: boolean;
  generated?: boolean;
}

export interface AiCodingSession {
  schema_version: string;
  agent: { name: string; version?: string };
  session: { id: string; slug?: string; started_at: string; ended_at?: string; duration_seconds: number };
  git_context: {
    repository?: string;
    branch?: string;
    work_dir?: string;
    commit_start?: string;
    commit_end?: string;
    commits: string[];
    commit_count: number;
  };
  code_changes: {
    files_modified: number;
    files_created: number;
    files_deleted: number;
    lines_added: number;
    lines_removed: number;
    ai_lines_added: number;
    ai_lines_removed: number;
    human_lines_added: number;
    human_lines_removed: number;
    files: AiCodingSessionFile[];
  };
  model?: { primary: string; provider?: string; models_used: string[] };
  usage?: {
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
    cache_read_input_tokens: number;
    cache_creation_input_tokens: number;
    cache_creation_5m_input_tokens: number;
    cache_creation_1h_input_tokens: number;
    estimated_cost_usd?: number;
    cost_is_estimate: true;
    /** Set when the agent never wrote some responses' final usage: output tokens and cost are lower bounds. */
    output_tokens_lower_bound?: true;
    prices_as_of: string;
    by_model: {
      model: string;
      responses: number;
      input_tokens: number;
      output_tokens: number;
      cache_read_input_tokens: number;
      cache_creation_input_tokens: number;
      estimated_cost_usd?: number;
      /** Responses in fast mode, priced at the fast rates. */
      fast_responses?: number;
    }[];
    /** One entry per thread (human prompt and the loop after it), when the agent's records give per-response usage. */
    by_thread?: ThreadUsage[];
  };
  tools_used?: {
    summary: { tool_name: string; invocation_count: number }[];
    total_invocations: number;
    mcp_servers: { server: string; invocation_count: number }[];
  };
  /** Without a transcript only `user_messages` is known (the prompts the hooks saw). */
  conversation?: { total_messages?: number; user_messages: number; assistant_messages?: number; compactions?: number };
  subagents?: {
    id: string;
    type?: string;
    description?: string;
    /** input = every prompt-side token (uncached + cache read + cache write), output = output tokens; absent when unknown. */
    tokens?: { input: number; output: number };
    models?: string[];
    estimated_cost_usd?: number;
    transcript_found?: false;
  }[];
  raw_session?: Record<string, unknown[]>;
  warnings: string[];
}

/** Names earlier versions stored, and the hook CLI's short names, to Chainloop's (which map to themselves). */
const AGENT_NAMES: Record<string, string> = {
  claude: 'claude-code',
  cursor: 'cursor',
  codex: 'codex',
  gemini: 'gemini-cli',
  copilot: 'copilot',
  opencode: 'opencode',
};

const nonEmpty = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The earliest (or latest) of some ISO timestamps; unparsable ones are ignored. */
function pickTime(values: (string | null | undefined)[], latest: boolean): { text: string; ms: number } | undefined {
  let best: { text: string; ms: number } | undefined;
  for (const text of values) {
    if (typeof text !== 'string') continue;
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) continue;
    if (best === undefined || (latest ? ms > best.ms : ms < best.ms)) best = { text, ms };
  }
  return best;
}

function mergeRanges(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: { start: number; end: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

function aggregateFiles(sessionId: string, changes: SessionFileChange[]): AiCodingSession['code_changes'] {
  const byPath = new Map<string, SessionFileChange[]>();
  for (const change of changes) {
    const list = byPath.get(change.path);
    if (list === undefined) byPath.set(change.path, [change]);
    else list.push(change);
  }
  const totals: AiCodingSession['code_changes'] = {
    files_modified: 0,
    files_created: 0,
    files_deleted: 0,
    lines_added: 0,
    lines_removed: 0,
    ai_lines_added: 0,
    ai_lines_removed: 0,
    human_lines_added: 0,
    human_lines_removed: 0,
    files: [],
  };
  for (const [path, list] of byPath) {
    const first = list[0];
    const last = list[list.length - 1];
    if (first === undefined || last === undefined) continue;
    // Created earlier in the session stays "created" unless the session ends by deleting it.
    const status = last.status === 'deleted' ? 'deleted' : first.status === 'created' ? 'created' : last.status;
    const sum = (key: 'lines_added' | 'lines_removed' | 'ai_lines_added' | 'ai_lines_removed' | 'human_lines_added' | 'human_lines_removed'): number =>
      list.reduce((n, f) => n + f[key], 0);
    const ai = sum('ai_lines_added') + sum('ai_lines_removed');
    // Lines of unknown author are not the session's own, so the file is mixed.
    const human = sum('human_lines_added') + sum('human_lines_removed') + list.reduce((n, f) => n + (f.unknown_lines_added ?? 0), 0);
    // Ranges of different commits number different file versions: keep the newest commit's.
    const newest = list.filter((f) => f.commit === undefined || f.commit === last.commit);
    const ranges = newest
      .flatMap((f) => f.lines)
      .filter((l: LineRange) => l.attribution === 'ai' && (l.session_id === undefined || l.session_id === sessionId));
    const file: AiCodingSessionFile = {
      path,
      status,
      lines_added: sum('lines_added'),
      lines_removed: sum('lines_removed'),
      attribution: ai > 0 && human > 0 ? 'mixed' : ai > 0 ? 'ai' : 'human',
      line_ranges: mergeRanges(ranges),
      session_ids: [sessionId],
    };
    const oldPath = list.find((f) => f.old_path !== undefined)?.old_path;
    if (oldPath !== undefined) file.old_path = oldPath;
    if (list.some((f) => f.binary === true)) file.binary = true;
    const generated = list.some((f) => f.generated === true);
    if (generated) file.generated = true;
    totals.files.push(file);

    if (status === 'created') totals.files_created++;
    else if (status === 'deleted') totals.files_deleted++;
    else totals.files_modified++;
    // Generated files are listed but kept out of the line totals.
    if (!generated) {
      totals.lines_added += file.lines_added;
      totals.lines_removed += file.lines_removed;
      totals.ai_lines_added += sum('ai_lines_added');
      totals.ai_lines_removed += sum('ai_lines_removed');
      totals.human_lines_added += sum('human_lines_added');
      totals.human_lines_removed += sum('human_lines_removed');
    }
  }
  totals.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return totals;
}

export function buildSessionObject(input: BuildSessionInput): AiCodingSession {
  const { session, transcript, git } = input;
  const warnings: string[] = [];
  const seen = new Set<string>();
  const warn = (w: string): void => {
    if (!seen.has(w)) {
      seen.add(w);
      warnings.push(w);
    }
  };
  if (transcript === null) {
    warn(`no transcript for ${session.agent} session ${session.id}: token usage, cost, tools and conversation are unknown`);
  }
  for (const w of transcript?.warnings ?? []) warn(w);
  for (const w of input.warnings ?? []) warn(w);

  const fromTranscript = pickTime([transcript?.startedAt], false) !== undefined;
  const start = pickTime(fromTranscript ? [transcript?.startedAt] : [session.startedAt], false);
  const end = pickTime(fromTranscript ? [transcript?.endedAt] : [session.endedAt], true);
  let startedAt = start?.text;
  if (startedAt === undefined) {
    startedAt = end?.text ?? 'unknown';
    warn(`start time of session ${session.id} is unknown`);
  }
  const durationSeconds = start !== undefined && end !== undefined ? Math.max(0, Math.floor((end.ms - start.ms) / 1000)) : 0;

  const agentVersion = nonEmpty(session.agentVersion) ?? transcript?.version;
  const hookPrompts = typeof session.prompts === 'number' && session.prompts > 0 ? Math.floor(session.prompts) : 0;
  const out: AiCodingSession = {
    schema_version: SESSION_SCHEMA_VERSION,
    agent: { name: AGENT_NAMES[session.agent] ?? session.agent, ...(agentVersion === undefined ? {} : { version: agentVersion }) },
    session: {
      id: session.id,
      ...(transcript?.slug === undefined ? {} : { slug: transcript.slug }),
      started_at: startedAt,
      ...(end === undefined ? {} : { ended_at: end.text }),
      duration_seconds: durationSeconds,
    },
    git_context: { commits: [...git.commits], commit_count: git.commits.length },
    code_changes: aggregateFiles(session.id, input.files),
    warnings,
  };

  const branch = nonEmpty(git.branch) ?? transcript?.gitBranch;
  if (git.repository !== undefined) out.git_context.repository = git.repository;
  if (branch !== undefined) out.git_context.branch = branch;
  if (git.workDir !== undefined) out.git_context.work_dir = git.workDir;
  const [firstCommit] = git.commits;
  const lastCommit = git.commits[git.commits.length - 1];
  if (firstCommit !== undefined) out.git_context.commit_start = firstCommit;
  if (lastCommit !== undefined) out.git_context.commit_end = lastCommit;

  const hookModel = nonEmpty(session.model);
  const primary = transcript?.primaryModel ?? (hookModel === undefined ? undefined : nonEmpty(withoutContextTag(hookModel)));
  if (primary !== undefined) {
    const used = transcript !== null && transcript.modelsUsed.length > 0 ? transcript.modelsUsed : [primary];
    const provider = modelProvider(primary);
    out.model = { primary, ...(provider === undefined ? {} : { provider }), models_used: [...used] };
  }

  if (transcript !== null) {
    const u = transcript.usage;
    out.usage = {
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      total_tokens: u.totalTokens,
      cache_read_input_tokens: u.cacheReadInputTokens,
      cache_creation_input_tokens: u.cacheCreationInputTokens,
      cache_creation_5m_input_tokens: u.cacheCreation5mInputTokens,
      cache_creation_1h_input_tokens: u.cacheCreation1hInputTokens,
      ...(transcript.estimatedCostUsd === undefined ? {} : { estimated_cost_usd: transcript.estimatedCostUsd }),
      cost_is_estimate: true,
      ...(transcript.outputTokensLowerBound === true ? { output_tokens_lower_bound: true as const } : {}),
      prices_as_of: PRICES_AS_OF,
      by_model: transcript.usageByModel.map((m) => ({
        model: m.model,
        responses: m.responses,
        input_tokens: m.inputTokens,
        output_tokens: m.outputTokens,
        cache_read_input_tokens: m.cacheReadInputTokens,
        cache_creation_input_tokens: m.cacheCreation5mInputTokens + m.cacheCreation1hInputTokens,
        ...(m.estimatedCostUsd === undefined ? {} : { estimated_cost_usd: m.estimatedCostUsd }),
        ...(m.fastResponses === undefined ? {} : { fast_responses: m.fastResponses }),
      })),
      ...(input.threads === undefined || input.threads.length === 0 ? {} : { by_thread: input.threads }),
    };
    out.tools_used = {
      summary: transcript.tools.map((t) => ({ tool_name: t.name, invocation_count: t.count })),
      total_invocations: transcript.totalToolInvocations,
      mcp_servers: transcript.mcpServers.map((s) => ({ server: s.server, invocation_count: s.count })),
    };
    // Each count misses prompts the other sees (hooks installed mid-session; transcript lines lost): the larger.
    const userMessages = Math.max(transcript.messages.user, hookPrompts);
    out.conversation = {
      total_messages: userMessages + transcript.messages.assistant,
      user_messages: userMessages,
      assistant_messages: transcript.messages.assistant,
      compactions: transcript.compactions,
    };
    out.subagents = transcript.subagents.map((s) => ({
      id: s.id,
      ...(s.type === undefined ? {} : { type: s.type }),
      ...(s.description === undefined ? {} : { description: s.description }),
      ...(s.usage === undefined
        ? {}
        : {
            tokens: {
              input: s.usage.inputTokens + s.usage.cacheReadInputTokens + s.usage.cacheCreationInputTokens,
              output: s.usage.outputTokens,
            },
          }),
      ...(s.models.length === 0 ? {} : { models: [...s.models] }),
      ...(s.estimatedCostUsd === undefined ? {} : { estimated_cost_usd: s.estimatedCostUsd }),
      ...(s.transcriptFound ? {} : { transcript_found: false as const }),
    }));
  }

  if (transcript === null && hookPrompts > 0) out.conversation = { user_messages: hookPrompts };

  if (input.rawSession !== undefined) out.raw_session = input.rawSession;
  return out;
}
