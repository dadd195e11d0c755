// Summary of a Cursor session from what Cursor writes: its agent transcript (JSONL of
// `{role, message:{content:[text|tool_use]}}`, no ids, no timestamps, no models, no usage) and the
// per-turn token counts its `stop` hook reports. Pure: the caller reads the files and the store.
//
// Token semantics: `stop` carries `input_tokens, output_tokens, cache_read_tokens, cache_write_tokens`
// for one turn (real: IDE 3.9.16; cursor-agent 2026.07.23 sends the first two). Each turn is summed
// once. Cursor does not document whether `input_tokens` includes the cache reads; they are counted
// apart, as Cursor's own usage dashboard does, and the summary says so when there are any.
import { estimateCost, roundUsd, type TokenUsage } from '../../core/prices.js';
import type { ConversationEntry, ModelUsageSummary, ToolUsageCount, TranscriptSummary, TurnUsage, UsageTotals } from '../types.js';

export interface CursorSessionInput {
  /** The agent transcript's text; null when it could not be read (the reader says why). */
  transcript: string | null;
  /** The turns' token counts, in order, as the stop hook reported them. */
  turns: TurnUsage[];
  /** The concrete model the hooks last named for the session, when any. */
  hookModel?: string | undefined;
  /** `cursor_version` from the hooks. */
  agentVersion?: string | undefined;
}

export interface CursorSummary {
  summary: TranscriptSummary;
  /** Prompts and tool calls in transcript order (tool calls get positional ids: Cursor writes none). */
  conversation: ConversationEntry[];
  /** The transcript's lines as parsed JSON. */
  records: unknown[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** What the person typed: the `<user_query>` Cursor wraps it in, else the text without the blocks Cursor injects. */
export function promptText(text: string): string {
  const query = /<user_query>\s*([\s\S]*?)\s*<\/user_query>/.exec(text);
  if (query) return query[1]!;
  const stripped = text.replace(/<(timestamp|external_links|attached_files|user_info|system_reminder)>[\s\S]*?<\/\1>/g, '').trim();
  return stripped === '' ? text.trim() : stripped;
}

function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, totalTokens: 0 };
}

function add(totals: UsageTotals, turn: TurnUsage): void {
  totals.inputTokens += turn.inputTokens;
  totals.outputTokens += turn.outputTokens;
  totals.cacheReadInputTokens += turn.cacheReadTokens;
  totals.cacheCreationInputTokens += turn.cacheWriteTokens;
  totals.cacheCreation5mInputTokens += turn.cacheWriteTokens;
  totals.totalTokens += turn.inputTokens + turn.outputTokens + turn.cacheReadTokens + turn.cacheWriteTokens;
}

/** A turn in the price table's terms (Cursor bills cache writes at the short-TTL rate). */
function tokenUsage(turn: TurnUsage): TokenUsage {
  return { input: turn.inputTokens, output: turn.outputTokens, cacheRead: turn.cacheReadTokens, cacheWrite5m: turn.cacheWriteTokens, cacheWrite1h: 0 };
}

/** `MCP:<tool>` or `MCP:<server>:<tool>`: the server when the name has one. */
function mcpServerOf(name: string): string | undefined {
  return /^MCP:([^:]+):./.exec(name)?.[1];
}

const byCountThenName = <T extends { name: string; count: number }>(a: T, b: T) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function summarizeCursorSession(input: CursorSessionInput): CursorSummary {
  const warnings: string[] = [];
  const warn = (w: string) => {
    if (!warnings.includes(w)) warnings.push(w);
  };

  // The transcript: messages, prompts, tool calls.
  const records: unknown[] = [];
  const conversation: ConversationEntry[] = [];
  const toolCounts = new Map<string, number>();
  let users = 0;
  let assistants = 0;
  let invalidLines = 0;
  let lastInvalid = false;
  for (const line of (input.transcript ?? '').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    const record = obj(value);
    if (record === undefined) {
      invalidLines++;
      lastInvalid = true;
      continue;
    }
    lastInvalid = false;
    records.push(record);
    const blocks = arr(obj(record.message)?.content).map(obj);
    if (record.role === 'user') {
      const text = blocks.flatMap((b) => (b?.type === 'text' && typeof b.text === 'string' ? [b.text] : [])).join('\n');
      if (text.trim() === '') continue;
      users++;
      conversation.push({ type: 'prompt', text: promptText(text) });
    } else if (record.role === 'assistant') {
      assistants++;
      for (const block of blocks) {
        const name = str(block?.name);
        if (block?.type !== 'tool_use' || name === undefined) continue;
        toolCounts.set(name, (toolCounts.get(name) ?? 0) + 1);
        conversation.push({ type: 'tool_call', id: `cursor-tool-${conversation.filter((e) => e.type === 'tool_call').length + 1}`, name, input: block.input ?? null });
      }
    }
  }
  if (invalidLines > 0) warn(`Cursor transcript: skipped ${invalidLines} line(s) that are not JSON objects${lastInvalid ? ' (the last line is incomplete: the file may still be being written)' : ''}`);

  // Tokens: one entry per turn the stop hook reported.
  const totals = emptyTotals();
  const perModel = new Map<string, { usage: UsageTotals; turns: TurnUsage[] }>();
  let unmodelled = 0;
  for (const turn of input.turns) {
    add(totals, turn);
    if (turn.model === undefined) {
      unmodelled++;
      continue;
    }
    const entry = perModel.get(turn.model) ?? { usage: emptyTotals(), turns: [] };
    add(entry.usage, turn);
    entry.turns.push(turn);
    perModel.set(turn.model, entry);
  }
  let costUsd = 0;
  let anyPriced = false;
  let costComplete = unmodelled === 0;
  const usageByModel: ModelUsageSummary[] = [];
  for (const [model, entry] of perModel) {
    let modelCost = 0;
    let priced = true;
    for (const turn of entry.turns) {
      const estimate = estimateCost(model, tokenUsage(turn));
      if (estimate.warning !== undefined) warn(estimate.warning);
      if (estimate.usd === undefined) priced = false;
      else modelCost += estimate.usd;
    }
    if (priced) {
      costUsd += modelCost;
      anyPriced = true;
    } else costComplete = false;
    usageByModel.push({
      model,
      responses: entry.turns.length,
      inputTokens: entry.usage.inputTokens,
      outputTokens: entry.usage.outputTokens,
      cacheReadInputTokens: entry.usage.cacheReadInputTokens,
      cacheCreation5mInputTokens: entry.usage.cacheCreation5mInputTokens,
      cacheCreation1hInputTokens: 0,
      estimatedCostUsd: priced ? roundUsd(modelCost) : undefined,
    });
  }
  usageByModel.sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));

  if (input.turns.length === 0) {
    warn("Cursor reported no token counts for this session (its stop hook sends them from IDE 3.x and cursor-agent 2026.07; older releases, or a stop hook that did not run, leave usage and cost unknown)");
  }
  if (unmodelled > 0) warn(`${unmodelled} turn(s) ran on Cursor's Auto model ("default"), which the hooks do not name: their tokens are counted but not priced`);
  if (!costComplete && anyPriced) warn('estimated cost leaves out usage of models without a price');
  if (totals.cacheReadInputTokens > 0) warn("Cursor does not document whether input_tokens includes cache reads: they are counted apart, as Cursor's usage dashboard does");
  if (input.transcript !== null && toolCounts.size > 0) warn("Cursor's transcript writes no tool results: tool counts are the calls the agent made, failed ones included");

  const tools: ToolUsageCount[] = [...toolCounts]
    .map(([name, count]) => {
      const server = mcpServerOf(name);
      return server === undefined ? { name, count } : { name, count, mcpServer: server };
    })
    .sort(byCountThenName);
  const servers = new Map<string, number>();
  for (const tool of tools) if (tool.mcpServer !== undefined) servers.set(tool.mcpServer, (servers.get(tool.mcpServer) ?? 0) + tool.count);

  const primaryModel = usageByModel[0]?.model ?? input.hookModel;
  const modelsUsed = usageByModel.map((m) => m.model);
  if (modelsUsed.length === 0 && input.hookModel !== undefined) modelsUsed.push(input.hookModel);
  const summary: TranscriptSummary = {
    modelsUsed,
    usageByModel,
    usage: totals,
    estimatedCostUsd: anyPriced ? roundUsd(costUsd) : undefined,
    costComplete: costComplete && input.turns.length > 0,
    tools,
    mcpServers: [...servers].map(([name, count]) => ({ name, count })).sort(byCountThenName).map(({ name, count }) => ({ server: name, count })),
    totalToolInvocations: [...toolCounts.values()].reduce((a, b) => a + b, 0),
    messages: { user: users, assistant: assistants, total: users + assistants },
    subagents: [],
    compactions: 0,
    invalidLines,
    warnings,
  };
  if (primaryModel !== undefined) summary.primaryModel = primaryModel;
  if (input.agentVersion !== undefined) summary.version = input.agentVersion;
  return { summary, conversation, records };
}
