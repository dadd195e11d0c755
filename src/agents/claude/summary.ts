// Summary of a Claude Code session transcript (JSONL, "internal, may change"): usage per model,
// cost, tools, message counts and subagents. Pure: the caller reads the files.
//
// Rules (reference agent-hooks.md §1.7, §9):
// - Each API response is written as one line per content block sharing `message.id`, with a growing
//   usage snapshot; responses are keyed by `message.id` (else `requestId`, else the line `uuid`) across
//   ALL files, keeping the snapshot with the most output tokens. The file that first shows a response
//   owns it (main first, then subagents), so a subagent's tokens are deduped against the main file.
// - Subagent responses are also embedded in the parent file as `progress` lines with
//   `data.type: "agent_progress"` (CC 2.1.x): they count as the subagent's (`data.agentId`), deduped by
//   `message.id` like any other line, so subagents show without their own files. An `Agent`/`Task`
//   tool result's `usage`/`totalTokens` is the subagent's LAST API call only and is never used as its spend.
// - Claude Code 2.1.7-2.1.42 write only the streaming-start usage of a response (output 1-8 tokens),
//   never the final one: output tokens and cost of their responses are lower bounds, and say so.
// - Fast mode (`usage.speed: "fast"`) is priced at the model's fast rates.
// - `<synthetic>` responses (API-error placeholders) are skipped.
// - Primary model: the model with the most output tokens over main-thread responses (ties: more
//   responses, then name); over all responses when the main thread has none.
// - User messages are human prompts: main-thread `user` lines, deduped by uuid, that are not meta,
//   compact summaries, tool results, slash-command / local-command wrappers or interruption notices,
//   and that carry text. Assistant messages are unique main-thread responses. Total is their sum.

import { estimateCost, roundUsd, withoutContextTag, type TokenUsage } from '../../core/prices.js';
import type { ConversationEntry, ModelUsageSummary, SubagentSummary, ToolUsageCount, TranscriptSummary, UsageTotals } from '../types.js';
import { parseJsonLines } from '../records.js';

export interface ClaudeTranscriptInput {
  main: string;
  subagents: { agentId: string; text: string; meta?: unknown }[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Tool name as reported: the subagent tool was renamed from `Task` to `Agent` in v2.1.63. */
export function normalizeToolName(name: string): string {
  return name === 'Task' ? 'Agent' : name;
}

export function mcpServerOf(name: string): string | undefined {
  const m = /^mcp__(.+?)__/.exec(name);
  return m?.[1];
}

const WRAPPER_PREFIXES = [
  '<command-name>',
  '<command-message>',
  '<command-args>',
  '<local-command-stdout>',
  '<local-command-stderr>',
  '<local-command-caveat>',
  '[Request interrupted by user',
];

/** The text of a human prompt, or undefined when the line is anything else (see the rule at the top). */
export function humanPromptText(record: Json): string | undefined {
  if (record.type !== 'user') return undefined;
  if (record.isMeta === true || record.isCompactSummary === true || record.isSidechain === true) return undefined;
  const message = obj(record.message);
  if (message === undefined) return undefined;
  let text: string | undefined;
  if (typeof message.content === 'string') {
    text = message.content;
  } else {
    const blocks = arr(message.content).map(obj);
    if (blocks.some((b) => b?.type === 'tool_result') && !blocks.some((b) => b?.type === 'text')) return undefined;
    const texts = blocks.flatMap((b) => (b?.type === 'text' && typeof b.text === 'string' ? [b.text] : []));
    if (texts.length === 0) return undefined;
    text = texts.join('\n');
  }
  const trimmed = text.trimStart();
  if (trimmed === '' || WRAPPER_PREFIXES.some((p) => trimmed.startsWith(p))) return undefined;
  return text;
}

export function readUsage(usage: Json | undefined): TokenUsage {
  if (usage === undefined) return { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
  const flat = count(usage.cache_creation_input_tokens);
  const split = obj(usage.cache_creation);
  let cacheWrite5m = flat;
  let cacheWrite1h = 0;
  if (split !== undefined) {
    cacheWrite1h = count(split.ephemeral_1h_input_tokens);
    // Trust the flat counter when present; the 5m share is what the 1h share leaves of it.
    cacheWrite5m = flat > 0 ? Math.max(flat - cacheWrite1h, 0) : count(split.ephemeral_5m_input_tokens);
  }
  return {
    input: count(usage.input_tokens),
    output: count(usage.output_tokens),
    cacheRead: count(usage.cache_read_input_tokens),
    cacheWrite5m,
    cacheWrite1h,
  };
}

const MAIN = '';

interface Response {
  model: string | undefined;
  usage: TokenUsage;
  /** '' for the main file, else the subagent's id. */
  owner: string;
  mainThread: boolean;
  /** `usage.speed === "fast"` on one of its lines. */
  fast: boolean;
  /** Versions of Claude Code that wrote its lines without the final usage (see `writesNoFinalUsage`). */
  lowerBoundBy: string | undefined;
}

interface AgentCall {
  toolUseId: string;
  type?: string;
  description?: string;
  agentId?: string;
}

/**
 * Claude Code 2.1.7 to 2.1.42 keep the streaming-start usage on every line of a response and never write
 * the final one (455 real transcripts; from 2.1.77 every line has the final usage; 1.0.x and 2.0.x grow
 * the snapshot, kept by the max-output rule).
 */
export function writesNoFinalUsage(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (m === null) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return major === 2 && minor === 1 && patch >= 7 && patch <= 42;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function emptyTotals(): UsageTotals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheCreation5mInputTokens: 0,
    cacheCreation1hInputTokens: 0,
    totalTokens: 0,
  };
}

function addUsage(totals: UsageTotals, u: TokenUsage): void {
  totals.inputTokens += u.input;
  totals.outputTokens += u.output;
  totals.cacheReadInputTokens += u.cacheRead;
  totals.cacheCreation5mInputTokens += u.cacheWrite5m;
  totals.cacheCreation1hInputTokens += u.cacheWrite1h;
  totals.cacheCreationInputTokens += u.cacheWrite5m + u.cacheWrite1h;
  totals.totalTokens += u.input + u.output + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
}

function byCountThenName<T extends { name: string; count: number }>(a: T, b: T): number {
  return b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Cost of a set of responses: per response (long-context tiers are per prompt), summed. */
function costOf(responses: Iterable<Response>, warn: (w: string) => void): { usd: number | undefined; complete: boolean } {
  let usd = 0;
  let priced = false;
  let complete = true;
  for (const r of responses) {
    if (r.model === undefined) continue;
    const estimate = estimateCost(r.model, r.usage, { fast: r.fast });
    if (estimate.warning !== undefined) warn(estimate.warning);
    if (estimate.usd === undefined) {
      complete = false;
    } else {
      usd += estimate.usd;
      priced = true;
    }
  }
  return { usd: priced ? roundUsd(usd) : complete ? 0 : undefined, complete };
}

export function summarizeClaudeTranscript(input: ClaudeTranscriptInput): TranscriptSummary {
  const warnings: string[] = [];
  const warningSet = new Set<string>();
  const warn = (w: string): void => {
    if (!warningSet.has(w)) {
      warningSet.add(w);
      warnings.push(w);
    }
  };

  const meta: Pick<TranscriptSummary, 'sessionId' | 'cwd' | 'gitBranch' | 'version' | 'slug'> = {};
  let earliest: { ms: number; text: string } | undefined;
  let latest: { ms: number; text: string } | undefined;
  const responses = new Map<string, Response>();
  const toolUses = new Map<string, string>();
  const agentCalls = new Map<string, AgentCall>();
  const agentIdToToolUse = new Map<string, string>();
  /** Subagents seen in `progress` lines, with the parent's tool_use id that spawned them. */
  const progressAgents = new Map<string, string | undefined>();
  const promptUuids = new Set<string>();
  let userMessages = 0;
  let compactions = 0;
  let invalidLines = 0;

  /** One line of an API response: the response keeps the snapshot with the most output tokens. */
  const takeResponse = (key: string, message: Json, version: string | undefined, owner: string, mainThread: boolean): void => {
    const rawModel = str(message.model);
    if (rawModel === '<synthetic>') return;
    const model = rawModel === undefined ? undefined : withoutContextTag(rawModel);
    const rawUsage = obj(message.usage);
    const usage = readUsage(rawUsage);
    const fast = rawUsage?.speed === 'fast';
    const lowerBoundBy = writesNoFinalUsage(version) ? version : undefined;
    const seen = responses.get(key);
    if (seen === undefined) {
      responses.set(key, { model, usage, owner, mainThread, fast, lowerBoundBy });
    } else {
      if (usage.output >= seen.usage.output) seen.usage = usage;
      seen.model ??= model;
      seen.fast ||= fast;
      seen.lowerBoundBy ??= lowerBoundBy;
    }
    arr(message.content).forEach((raw, blockIndex) => {
      const block = obj(raw);
      if (block?.type !== 'tool_use') return;
      const rawName = str(block.name);
      if (rawName === undefined) return;
      const id = str(block.id) ?? `${key}#${blockIndex}`;
      if (toolUses.has(id)) return;
      const name = normalizeToolName(rawName);
      toolUses.set(id, name);
      if (name === 'Agent') {
        const toolInput = obj(block.input);
        const call: AgentCall = { toolUseId: id };
        const type = str(toolInput?.subagent_type);
        const description = str(toolInput?.description);
        if (type !== undefined) call.type = type;
        if (description !== undefined) call.description = description;
        agentCalls.set(id, call);
      }
    });
  };

  const files = [
    { owner: MAIN, label: 'main transcript', text: input.main },
    ...[...input.subagents]
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
      .map((s) => ({ owner: s.agentId, label: `subagent ${s.agentId} transcript`, text: s.text })),
  ];

  for (const file of files) {
    const parsed = parseJsonLines(file.text);
    invalidLines += parsed.invalid;
    if (parsed.invalid > 0) {
      const tail = parsed.lastLineInvalid ? ' (the last line is incomplete: the file may still be being written)' : '';
      warn(`${file.label}: skipped ${parsed.invalid} line(s) that are not JSON objects${tail}`);
    }

    parsed.records.forEach((record, index) => {
      const timestamp = str(record.timestamp);
      if (timestamp !== undefined) {
        const ms = Date.parse(timestamp);
        if (Number.isFinite(ms)) {
          if (earliest === undefined || ms < earliest.ms) earliest = { ms, text: timestamp };
          if (latest === undefined || ms > latest.ms) latest = { ms, text: timestamp };
        }
      }
      if (file.owner === MAIN || meta.sessionId === undefined) {
        meta.sessionId ??= str(record.sessionId);
        meta.cwd ??= str(record.cwd);
        meta.gitBranch ??= str(record.gitBranch);
        meta.version ??= str(record.version);
        meta.slug ??= str(record.slug);
      }
      const mainThread = file.owner === MAIN && record.isSidechain !== true;

      if (record.type === 'system' && record.subtype === 'compact_boundary') compactions++;

      if (record.type === 'assistant') {
        const message = obj(record.message);
        if (message === undefined) return;
        const key = str(message.id) ?? str(record.requestId) ?? str(record.uuid) ?? `${file.owner}:${index}`;
        takeResponse(key, message, str(record.version), file.owner, mainThread);
        return;
      }

      if (record.type === 'progress') {
        // A subagent's own messages, embedded in its parent's file while it runs.
        const data = obj(record.data);
        const agentId = str(data?.agentId);
        const inner = obj(data?.message);
        if (data?.type !== 'agent_progress' || agentId === undefined) return;
        if (progressAgents.get(agentId) === undefined) progressAgents.set(agentId, str(record.parentToolUseID));
        const message = obj(inner?.message);
        if (inner?.type !== 'assistant' || message === undefined) return;
        const key = str(message.id) ?? str(inner.requestId) ?? str(inner.uuid) ?? `${file.owner}:${index}:progress`;
        takeResponse(key, message, str(record.version), agentId, false);
        return;
      }

      if (record.type === 'user') {
        linkAgentResult(record, agentCalls, agentIdToToolUse);
        if (!mainThread) return;
        if (humanPromptText(record) === undefined) return;
        const uuid = str(record.uuid);
        if (uuid !== undefined) {
          if (promptUuids.has(uuid)) return;
          promptUuids.add(uuid);
        }
        userMessages++;
      }
    });
  }

  // Per-model usage and cost.
  const perModel = new Map<string, { usage: UsageTotals; responses: Response[] }>();
  const lowerBoundVersions = new Set<string>();
  let lowerBoundResponses = 0;
  const totals = emptyTotals();
  let unmodelled = 0;
  for (const r of responses.values()) {
    addUsage(totals, r.usage);
    if (r.lowerBoundBy !== undefined) {
      lowerBoundResponses++;
      lowerBoundVersions.add(r.lowerBoundBy);
    }
    if (r.model === undefined) {
      unmodelled++;
      continue;
    }
    let entry = perModel.get(r.model);
    if (entry === undefined) {
      entry = { usage: emptyTotals(), responses: [] };
      perModel.set(r.model, entry);
    }
    addUsage(entry.usage, r.usage);
    entry.responses.push(r);
  }
  if (unmodelled > 0) warn(`${unmodelled} assistant response(s) carry no model; their tokens are counted but not priced`);

  let costUsd = 0;
  let anyPriced = false;
  let costComplete = unmodelled === 0;
  const usageByModel: ModelUsageSummary[] = [];
  for (const [model, entry] of perModel) {
    const cost = costOf(entry.responses, warn);
    if (cost.usd !== undefined) {
      costUsd += cost.usd;
      anyPriced = true;
    }
    if (!cost.complete) costComplete = false;
    const fastResponses = entry.responses.filter((r) => r.fast).length;
    usageByModel.push({
      model,
      responses: entry.responses.length,
      inputTokens: entry.usage.inputTokens,
      outputTokens: entry.usage.outputTokens,
      cacheReadInputTokens: entry.usage.cacheReadInputTokens,
      cacheCreation5mInputTokens: entry.usage.cacheCreation5mInputTokens,
      cacheCreation1hInputTokens: entry.usage.cacheCreation1hInputTokens,
      estimatedCostUsd: cost.usd,
      ...(fastResponses > 0 ? { fastResponses } : {}),
    });
  }
  usageByModel.sort(
    (a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0),
  );
  if (!costComplete && anyPriced) warn('estimated cost leaves out usage of models without a price');
  if (lowerBoundResponses > 0) {
    const versions = [...lowerBoundVersions].sort(compareVersions);
    const named = versions.length === 1 ? versions[0] : `${versions[0]}-${versions[versions.length - 1]}`;
    warn(
      `Claude Code ${named} never writes a response's final usage, only its streaming start: output tokens and estimated cost of ${lowerBoundResponses} of ${responses.size} responses are lower bounds`,
    );
  }

  const primaryModel = pickPrimaryModel([...responses.values()]);

  // Tools.
  const toolCounts = new Map<string, number>();
  const serverCounts = new Map<string, number>();
  for (const name of toolUses.values()) {
    toolCounts.set(name, (toolCounts.get(name) ?? 0) + 1);
    const server = mcpServerOf(name);
    if (server !== undefined) serverCounts.set(server, (serverCounts.get(server) ?? 0) + 1);
  }
  const tools: ToolUsageCount[] = [...toolCounts]
    .map(([name, n]) => {
      const server = mcpServerOf(name);
      return server === undefined ? { name, count: n } : { name, count: n, mcpServer: server };
    })
    .sort(byCountThenName);
  const mcpServers = [...serverCounts]
    .map(([name, n]) => ({ name, count: n }))
    .sort(byCountThenName)
    .map(({ name, count: n }) => ({ server: name, count: n }));

  const subagents = summarizeSubagents(input.subagents, responses, agentCalls, agentIdToToolUse, progressAgents, warn);

  let assistantMessages = 0;
  for (const r of responses.values()) if (r.owner === MAIN && r.mainThread) assistantMessages++;

  if (meta.version !== undefined && !/^2\./.test(meta.version)) {
    warn(`transcript written by Claude Code ${meta.version}; this parser follows the 2.x format`);
  }
  if (responses.size === 0) warn('the transcript has no assistant responses');

  const summary: TranscriptSummary = {
    ...meta,
    modelsUsed: usageByModel.map((m) => m.model),
    usageByModel,
    usage: totals,
    estimatedCostUsd: anyPriced ? roundUsd(costUsd) : responses.size === 0 ? 0 : undefined,
    costComplete,
    tools,
    mcpServers,
    totalToolInvocations: toolUses.size,
    messages: { user: userMessages, assistant: assistantMessages, total: userMessages + assistantMessages },
    subagents,
    compactions,
    invalidLines,
    warnings,
  };
  if (lowerBoundResponses > 0) summary.outputTokensLowerBound = true;
  if (earliest !== undefined) summary.startedAt = earliest.text;
  if (latest !== undefined) summary.endedAt = latest.text;
  if (primaryModel !== undefined) summary.primaryModel = primaryModel;
  return summary;
}

/** Links an Agent tool_result back to its tool_use: `toolUseResult.agentId`, else "agentId: …" in the text. */
function linkAgentResult(record: Json, agentCalls: Map<string, AgentCall>, agentIdToToolUse: Map<string, string>): void {
  const message = obj(record.message);
  const blocks = arr(message?.content).map(obj);
  for (const block of blocks) {
    if (block?.type !== 'tool_result') continue;
    const toolUseId = str(block.tool_use_id);
    const call = toolUseId === undefined ? undefined : agentCalls.get(toolUseId);
    if (call === undefined) continue;
    const result = obj(record.toolUseResult);
    let agentId = str(result?.agentId);
    if (agentId === undefined) {
      const text =
        typeof block.content === 'string'
          ? block.content
          : arr(block.content)
              .map((c) => str(obj(c)?.text) ?? '')
              .join('\n');
      agentId = /agentId:\s*([\w-]+)/.exec(text)?.[1];
    }
    if (agentId !== undefined) {
      call.agentId = agentId;
      agentIdToToolUse.set(agentId, call.toolUseId);
    }
    // `result.usage` / `totalTokens` are the subagent's last API call only: never its spend.
  }
}

function pickPrimaryModel(all: Response[]): string | undefined {
  const main = all.filter((r) => r.mainThread && r.model !== undefined);
  const pool = main.length > 0 ? main : all;
  const score = new Map<string, { output: number; responses: number }>();
  for (const r of pool) {
    if (r.model === undefined) continue;
    const s = score.get(r.model) ?? { output: 0, responses: 0 };
    s.output += r.usage.output;
    s.responses += 1;
    score.set(r.model, s);
  }
  let best: [string, { output: number; responses: number }] | undefined;
  for (const entry of score) {
    if (
      best === undefined ||
      entry[1].output > best[1].output ||
      (entry[1].output === best[1].output &&
        (entry[1].responses > best[1].responses || (entry[1].responses === best[1].responses && entry[0] < best[0])))
    ) {
      best = entry;
    }
  }
  return best?.[0];
}

function summarizeSubagents(
  files: ClaudeTranscriptInput['subagents'],
  responses: Map<string, Response>,
  agentCalls: Map<string, AgentCall>,
  agentIdToToolUse: Map<string, string>,
  progressAgents: Map<string, string | undefined>,
  warn: (w: string) => void,
): SubagentSummary[] {
  const out: SubagentSummary[] = [];
  const seen = new Set<string>();
  const ignore = (): void => undefined;
  // A call whose result is not written yet (the subagent still runs) is linked by its progress lines.
  for (const [agentId, toolUseId] of progressAgents) {
    if (toolUseId === undefined || agentIdToToolUse.has(agentId)) continue;
    agentIdToToolUse.set(agentId, toolUseId);
    const call = agentCalls.get(toolUseId);
    if (call !== undefined) call.agentId ??= agentId;
  }

  const summarize = (id: string, transcriptFound: boolean, meta: Json | undefined): void => {
    seen.add(id);
    const toolUseId = str(meta?.toolUseId) ?? agentIdToToolUse.get(id);
    const call = toolUseId === undefined ? undefined : agentCalls.get(toolUseId);
    const owned = [...responses.values()].filter((r) => r.owner === id);
    const models: string[] = [];
    let usage: UsageTotals | undefined;
    if (transcriptFound || owned.length > 0) {
      usage = emptyTotals();
      for (const r of owned) {
        addUsage(usage, r.usage);
        if (r.model !== undefined && !models.includes(r.model)) models.push(r.model);
      }
    } else {
      warn(`subagent ${id}: no transcript file and no progress lines in its parent; its tokens are unknown and not in the session totals`);
    }
    const summary: SubagentSummary = {
      id,
      transcriptFound,
      models,
      usage,
      estimatedCostUsd: usage === undefined ? undefined : costOf(owned, ignore).usd,
    };
    const type = str(meta?.agentType) ?? call?.type;
    const description = str(meta?.description) ?? call?.description;
    if (type !== undefined) summary.type = type;
    if (description !== undefined) summary.description = description;
    if (toolUseId !== undefined) summary.toolUseId = toolUseId;
    out.push(summary);
  };

  for (const file of [...files].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))) {
    if (!seen.has(file.agentId)) summarize(file.agentId, true, obj(file.meta));
  }
  // Subagents without a file (Entire does not archive them; rotated; not yet flushed): from the parent's lines.
  for (const call of agentCalls.values()) {
    if (out.some((s) => s.toolUseId === call.toolUseId) || (call.agentId !== undefined && seen.has(call.agentId))) continue;
    if (call.agentId === undefined) warn(`Agent tool call ${call.toolUseId} has no linked subagent; its tokens are not counted`);
    else summarize(call.agentId, false, undefined);
  }
  for (const id of progressAgents.keys()) if (!seen.has(id)) summarize(id, false, undefined);
  return out;
}

/** Human prompts and tool calls of the main thread, in transcript order (for transcript retention). */
export function promptsAndToolCalls(main: string): ConversationEntry[] {
  const entries: ConversationEntry[] = [];
  const promptUuids = new Set<string>();
  const toolIds = new Set<string>();
  for (const record of parseJsonLines(main).records) {
    if (record.isSidechain === true) continue;
    const timestamp = str(record.timestamp);
    if (record.type === 'user') {
      const text = humanPromptText(record);
      if (text === undefined) continue;
      const uuid = str(record.uuid);
      if (uuid !== undefined) {
        if (promptUuids.has(uuid)) continue;
        promptUuids.add(uuid);
      }
      entries.push(timestamp === undefined ? { type: 'prompt', text } : { type: 'prompt', text, timestamp });
    } else if (record.type === 'assistant') {
      const message = obj(record.message);
      if (message === undefined || message.model === '<synthetic>') continue;
      for (const raw of arr(message.content)) {
        const block = obj(raw);
        const id = str(block?.id);
        const name = str(block?.name);
        if (block?.type !== 'tool_use' || id === undefined || name === undefined || toolIds.has(id)) continue;
        toolIds.add(id);
        const call: ConversationEntry = { type: 'tool_call', id, name: normalizeToolName(name), input: block.input ?? null };
        if (timestamp !== undefined) call.timestamp = timestamp;
        entries.push(call);
      }
    }
  }
  return entries;
}
