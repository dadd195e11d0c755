// Summary of a Codex rollout (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): usage per model, cost,
// tools, messages. Pure: text in, summary out.
//
// Rules (reference agent-hooks.md §3.5, checked against real rollouts, agent-hooks-real-data.md):
// - `event_msg` `token_count` `info.total_token_usage` is cumulative per thread and never decreases:
//   the session's usage is the LAST total, never a sum. A token_count whose total equals the previous
//   one is a repeat and adds nothing.
// - `input_tokens` includes `cached_input_tokens`: uncached input = input − cached, cache read = cached.
//   `output_tokens` includes `reasoning_output_tokens`.
// - Per model and for cost, each new total's `last_token_usage` (one request; long-context rates apply
//   per request) is credited to the model of the latest `turn_context` (the model can change per turn).
// - `session_meta` is repeated (Codex Desktop rewrites it on resume) with the same id: the first wins.
// - Tools: `response_item` `function_call` / `custom_tool_call` (apply_patch), unique by `call_id`.
// - Messages: `event_msg` `user_message` (the person's prompts; developer/AGENTS.md injections are
//   `response_item` messages and are not counted) and `agent_message`.
import { estimateCost, roundUsd, type TokenUsage } from '../../core/prices.js';
import type { ConversationEntry, ModelUsageSummary, TranscriptSummary, UsageTotals } from '../types.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/** One rollout line's parts that the summary uses. */
interface RolloutLine {
  timestamp: string | undefined;
  type: string | undefined;
  payload: Json;
}

export interface ParsedRollout {
  lines: RolloutLine[];
  /** Every line that is a JSON object, as it is (for `full` retention). */
  records: Json[];
  invalid: number;
  lastLineInvalid: boolean;
}

export function parseRollout(text: string): ParsedRollout {
  const lines: RolloutLine[] = [];
  const records: Json[] = [];
  let invalid = 0;
  let lastLineInvalid = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let record: Json | undefined;
    try {
      record = obj(JSON.parse(line));
    } catch {
      record = undefined;
    }
    if (record === undefined) {
      invalid++;
      lastLineInvalid = true;
      continue;
    }
    lastLineInvalid = false;
    records.push(record);
    lines.push({ timestamp: str(record.timestamp), type: str(record.type), payload: obj(record.payload) ?? {} });
  }
  return { lines, records, invalid, lastLineInvalid };
}

/** Codex's usage counters (`total_token_usage` / `last_token_usage`). */
interface CodexUsage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  /** `cache_write_input_tokens`, newer builds, for models that bill cache writes (not seen in real rollouts). */
  cacheWrite: number;
}

function readCodexUsage(value: unknown): CodexUsage | undefined {
  const usage = obj(value);
  if (usage === undefined) return undefined;
  return {
    input: count(usage.input_tokens),
    cached: count(usage.cached_input_tokens),
    output: count(usage.output_tokens),
    reasoning: count(usage.reasoning_output_tokens),
    cacheWrite: count(usage.cache_write_input_tokens),
  };
}

const sameUsage = (a: CodexUsage, b: CodexUsage): boolean => a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning && a.cacheWrite === b.cacheWrite;
const minus = (a: CodexUsage, b: CodexUsage): CodexUsage => ({ input: a.input - b.input, cached: a.cached - b.cached, output: a.output - b.output, reasoning: a.reasoning - b.reasoning, cacheWrite: a.cacheWrite - b.cacheWrite });
const plus = (a: CodexUsage, b: CodexUsage): CodexUsage => ({ input: a.input + b.input, cached: a.cached + b.cached, output: a.output + b.output, reasoning: a.reasoning + b.reasoning, cacheWrite: a.cacheWrite + b.cacheWrite });
const ZERO: CodexUsage = { input: 0, cached: 0, output: 0, reasoning: 0, cacheWrite: 0 };

/**
 * In trace's (Anthropic's) terms: input without cache reads or writes. Codex counts cache writes inside
 * input like cache reads [inferred: no real rollout has them], so both come off.
 */
export function tokenUsage(usage: CodexUsage): TokenUsage {
  return { input: Math.max(usage.input - usage.cached - usage.cacheWrite, 0), output: usage.output, cacheRead: usage.cached, cacheWrite5m: usage.cacheWrite, cacheWrite1h: 0 };
}

function totalsOf(usage: CodexUsage): UsageTotals {
  const t = tokenUsage(usage);
  return {
    inputTokens: t.input,
    outputTokens: t.output,
    cacheReadInputTokens: t.cacheRead,
    cacheCreationInputTokens: t.cacheWrite5m,
    cacheCreation5mInputTokens: t.cacheWrite5m,
    cacheCreation1hInputTokens: 0,
    totalTokens: t.input + t.output + t.cacheRead + t.cacheWrite5m,
  };
}

function mcpServerOf(name: string): string | undefined {
  return /^mcp__(.+?)__/.exec(name)?.[1];
}

function byCountThenName<T extends { name: string; count: number }>(a: T, b: T): number {
  return b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** A tool call's input as the rollout holds it: function_call `arguments` (a JSON string) parsed, custom_tool_call `input` as is. */
function toolInput(payload: Json): unknown {
  if (payload.type === 'custom_tool_call') return payload.input ?? null;
  const args = payload.arguments;
  if (typeof args !== 'string') return args ?? null;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

export interface CodexRolloutSummary {
  summary: TranscriptSummary;
  /** The person's prompts and the tool calls, in order (for `prompts` retention). */
  conversation: ConversationEntry[];
  /** Reasoning tokens, part of the output tokens (the summary has no field of its own for them). */
  reasoningOutputTokens: number;
}

export function summarizeCodexRollout(rollout: string | ParsedRollout): CodexRolloutSummary {
  const parsed = typeof rollout === 'string' ? parseRollout(rollout) : rollout;
  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  if (parsed.invalid > 0) {
    const tail = parsed.lastLineInvalid ? ' (the last line is incomplete: the file may still be being written)' : '';
    warn(`rollout: skipped ${parsed.invalid} line(s) that are not JSON objects${tail}`);
  }

  let sessionId: string | undefined;
  let cwd: string | undefined;
  let gitBranch: string | undefined;
  let version: string | undefined;
  let subagentOf: string | undefined;
  let earliest: { ms: number; text: string } | undefined;
  let latest: { ms: number; text: string } | undefined;
  let model: string | undefined;
  let previous: CodexUsage | undefined;
  /** Totals of earlier counters, when the totals ever went down (not seen in real rollouts). */
  let before: CodexUsage = ZERO;
  let unmodelled: CodexUsage = ZERO;
  const perModel = new Map<string, { usage: CodexUsage; responses: TokenUsage[] }>();
  const tools = new Map<string, string>();
  const conversation: ConversationEntry[] = [];
  let userMessages = 0;
  let agentMessages = 0;
  let compactions = 0;
  let tokenEvents = 0;
  let spawnedAgents = 0;

  parsed.lines.forEach(({ timestamp, type, payload }, index) => {
    if (timestamp !== undefined) {
      const ms = Date.parse(timestamp);
      if (Number.isFinite(ms)) {
        if (earliest === undefined || ms < earliest.ms) earliest = { ms, text: timestamp };
        if (latest === undefined || ms > latest.ms) latest = { ms, text: timestamp };
      }
    }
    if (type === 'session_meta') {
      const id = str(payload.id);
      if (sessionId === undefined) {
        sessionId = id;
        cwd = str(payload.cwd);
        version = str(payload.cli_version);
        gitBranch = str(obj(payload.git)?.branch);
        const spawn = obj(obj(obj(payload.source)?.subagent)?.thread_spawn);
        subagentOf = str(spawn?.parent_thread_id);
      } else if (id !== undefined && id !== sessionId) {
        warn(`rollout holds session_meta of another thread (${id}) after ${sessionId}; its lines are counted with this session`);
      }
      return;
    }
    if (type === 'turn_context') {
      model = str(payload.model) ?? model;
      return;
    }
    if (type === 'compacted') {
      compactions++;
      return;
    }
    if (type === 'response_item') {
      if (payload.type !== 'function_call' && payload.type !== 'custom_tool_call') return;
      const name = str(payload.name);
      if (name === undefined) return;
      const id = str(payload.call_id) ?? `line-${index}`;
      if (tools.has(id)) return;
      tools.set(id, name);
      if (name === 'spawn_agent') spawnedAgents++;
      const call: ConversationEntry = { type: 'tool_call', id, name, input: toolInput(payload) };
      if (timestamp !== undefined) call.timestamp = timestamp;
      conversation.push(call);
      return;
    }
    if (type !== 'event_msg') return;
    if (payload.type === 'user_message') {
      userMessages++;
      const message = typeof payload.message === 'string' ? payload.message : '';
      conversation.push(timestamp === undefined ? { type: 'prompt', text: message } : { type: 'prompt', text: message, timestamp });
      return;
    }
    if (payload.type === 'agent_message') {
      agentMessages++;
      return;
    }
    if (payload.type !== 'token_count') return;
    const info = obj(payload.info);
    const current = readCodexUsage(info?.total_token_usage);
    if (current === undefined) return;
    tokenEvents++;
    if (previous !== undefined && sameUsage(current, previous)) return;
    let request = previous === undefined ? current : minus(current, previous);
    if (previous !== undefined && (current.input < previous.input || current.output < previous.output)) {
      warn('token_count totals went down in the rollout (a new thread?); usage after that point is counted from zero');
      before = plus(before, previous);
      request = current;
    }
    previous = current;
    // The request's own counts when they account for the step; the step itself otherwise.
    const last = readCodexUsage(info?.last_token_usage);
    const response = last !== undefined && sameUsage(last, request) ? last : request;
    if (model === undefined) {
      unmodelled = plus(unmodelled, response);
      return;
    }
    let entry = perModel.get(model);
    if (entry === undefined) {
      entry = { usage: ZERO, responses: [] };
      perModel.set(model, entry);
    }
    entry.usage = plus(entry.usage, response);
    entry.responses.push(tokenUsage(response));
  });

  const total = previous === undefined ? undefined : plus(before, previous);
  const usageByModel: ModelUsageSummary[] = [];
  let costUsd = 0;
  let anyPriced = false;
  let costComplete = unmodelled.input + unmodelled.output === 0;
  for (const [name, entry] of perModel) {
    let usd = 0;
    let priced = true;
    for (const response of entry.responses) {
      const estimate = estimateCost(name, response);
      if (estimate.warning !== undefined) warn(estimate.warning);
      if (estimate.usd === undefined) priced = false;
      else usd += estimate.usd;
    }
    if (priced) {
      costUsd += usd;
      anyPriced = true;
    } else costComplete = false;
    const t = tokenUsage(entry.usage);
    usageByModel.push({
      model: name,
      responses: entry.responses.length,
      inputTokens: t.input,
      outputTokens: t.output,
      cacheReadInputTokens: t.cacheRead,
      cacheCreation5mInputTokens: t.cacheWrite5m,
      cacheCreation1hInputTokens: 0,
      estimatedCostUsd: priced ? roundUsd(usd) : undefined,
    });
  }
  usageByModel.sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  if (unmodelled.input + unmodelled.output > 0) warn('some token usage comes before any turn_context names a model; it is counted but not priced');
  if (!costComplete && anyPriced) warn('estimated cost leaves out usage of models without a price');
  if (tokenEvents === 0) warn('the rollout has no token_count with usage; session usage is unknown');
  if (spawnedAgents > 0) warn(`${spawnedAgents} subagent(s) spawned: Codex writes each to its own rollout, whose tokens are not in these totals`);
  if (subagentOf !== undefined) warn(`this rollout is a subagent thread of ${subagentOf}`);

  const toolCounts = new Map<string, number>();
  const serverCounts = new Map<string, number>();
  for (const name of tools.values()) {
    toolCounts.set(name, (toolCounts.get(name) ?? 0) + 1);
    const server = mcpServerOf(name);
    if (server !== undefined) serverCounts.set(server, (serverCounts.get(server) ?? 0) + 1);
  }

  const summary: TranscriptSummary = {
    modelsUsed: usageByModel.map((m) => m.model),
    usageByModel,
    usage: totalsOf(total ?? ZERO),
    estimatedCostUsd: anyPriced ? roundUsd(costUsd) : tokenEvents === 0 ? 0 : undefined,
    costComplete,
    tools: [...toolCounts].map(([name, n]) => {
      const server = mcpServerOf(name);
      return server === undefined ? { name, count: n } : { name, count: n, mcpServer: server };
    }).sort(byCountThenName),
    mcpServers: [...serverCounts].map(([name, n]) => ({ name, count: n })).sort(byCountThenName).map(({ name, count: n }) => ({ server: name, count: n })),
    totalToolInvocations: tools.size,
    messages: { user: userMessages, assistant: agentMessages, total: userMessages + agentMessages },
    subagents: [],
    compactions,
    invalidLines: parsed.invalid,
    warnings,
  };
  if (sessionId !== undefined) summary.sessionId = sessionId;
  if (cwd !== undefined) summary.cwd = cwd;
  if (gitBranch !== undefined) summary.gitBranch = gitBranch;
  if (version !== undefined) summary.version = version;
  if (earliest !== undefined) summary.startedAt = earliest.text;
  if (latest !== undefined) summary.endedAt = latest.text;
  if (usageByModel[0] !== undefined) summary.primaryModel = usageByModel[0].model;
  return { summary, conversation, reasoningOutputTokens: total?.reasoning ?? 0 };
}
