// What OpenCode's records say of a session. Two sources, one set of rules:
// - the turn usage trace's plugin reported (one `turn-usage` per assistant message, stored by the
//   hook): what `readSession` uses, since OpenCode keeps its own records in a database of its own;
// - `opencode export <session>` JSON ({info, messages: [{info, parts}]}): the same figures as OpenCode
//   writes them, summarised the same way (tests check the plugin's figures against real exports).
//
// OpenCode's token semantics (real exports of 1.2, and 1.18.33 run against a scripted endpoint):
// `tokens.input` excludes cache reads and writes, `tokens.output` excludes `reasoning`, and OpenCode's
// own `cost` bills output + reasoning at the output rate. (`tokens.total` leaves reasoning out in 1.2
// and counts it in 1.18: trace does not read it.) trace counts output the Anthropic
// way (reasoning included), so its cost estimate is OpenCode's. A subagent (`task` tool) runs in a
// child session whose `info.parentID` names the parent.
import { estimateCost, roundUsd, type TokenUsage } from '../../core/prices.js';
import type { AgentSessionRead, ConversationEntry, TranscriptSummary, TurnUsage } from '../types.js';

type UsageTotals = TranscriptSummary['usage'];
type ModelUsageSummary = TranscriptSummary['usageByModel'][number];
type SubagentSummary = TranscriptSummary['subagents'][number];

/** One turn's usage as the store keeps it; `agentId` is the subagent's child session, when known. */
export type StoredTurn = TurnUsage & { at: string; agentId?: string | null };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

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

/** OpenCode reports one cache-write figure; it is priced as the short-TTL write. */
function tokenUsage(turn: TurnUsage): TokenUsage {
  return { input: turn.inputTokens, output: turn.outputTokens, cacheRead: turn.cacheReadTokens, cacheWrite5m: turn.cacheWriteTokens, cacheWrite1h: 0 };
}

const isEmpty = (turn: TurnUsage) => turn.inputTokens + turn.outputTokens + turn.cacheReadTokens + turn.cacheWriteTokens === 0;

interface Priced {
  byModel: ModelUsageSummary[];
  usage: UsageTotals;
  usd: number | undefined;
  complete: boolean;
  warnings: string[];
}

/** Usage per model and cost, summed per response (long-context tiers apply per prompt). */
function price(turns: TurnUsage[]): Priced {
  const byModel = new Map<string, ModelUsageSummary>();
  const usage = emptyTotals();
  const warnings = new Set<string>();
  let usd: number | undefined;
  let complete = true;
  for (const turn of turns) {
    add(usage, turn);
    if (isEmpty(turn)) continue;
    const model = turn.model ?? 'unknown';
    let entry = byModel.get(model);
    if (!entry) {
      entry = { model, responses: 0, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, estimatedCostUsd: 0 };
      byModel.set(model, entry);
    }
    entry.responses++;
    entry.inputTokens += turn.inputTokens;
    entry.outputTokens += turn.outputTokens;
    entry.cacheReadInputTokens += turn.cacheReadTokens;
    entry.cacheCreation5mInputTokens += turn.cacheWriteTokens;
    const cost = estimateCost(model, tokenUsage(turn));
    if (cost.warning) warnings.add(cost.warning);
    if (cost.usd === undefined) {
      entry.estimatedCostUsd = undefined;
      complete = false;
    } else {
      if (entry.estimatedCostUsd !== undefined) entry.estimatedCostUsd += cost.usd;
      usd = (usd ?? 0) + cost.usd;
    }
  }
  const models = [...byModel.values()].sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || a.model.localeCompare(b.model));
  for (const entry of models) if (entry.estimatedCostUsd !== undefined) entry.estimatedCostUsd = roundUsd(entry.estimatedCostUsd);
  return { byModel: models, usage, usd: usd === undefined ? undefined : roundUsd(usd), complete, warnings: [...warnings] };
}

function subagentSummary(id: string, turns: TurnUsage[], extra: Partial<SubagentSummary> = {}): SubagentSummary {
  const priced = price(turns);
  // No usage of its own reported: its spend is unknown, not zero.
  const usage = turns.length > 0 ? priced.usage : undefined;
  return { id, transcriptFound: turns.length > 0, models: priced.byModel.map((m) => m.model), usage, estimatedCostUsd: priced.usd, ...extra };
}

function toolCounts(names: string[]): TranscriptSummary['tools'] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.entries()].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

export interface TurnUsageInput {
  sessionId: string;
  turns: StoredTurn[];
  /** The prompts the plugin reported. */
  prompts: { at: string; text: string }[];
  /** The edit and shell calls trace captured (the plugin reports no other tool). */
  toolCalls: { tool_use_id: string; agent_id: string | null; tool_name: string; started_at: string | null }[];
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  version?: string | undefined;
}

/** The session from the turn usage trace's plugin reported. Pure. */
export function summarizeTurnUsage(input: TurnUsageInput): TranscriptSummary {
  const main = input.turns.filter((turn) => !turn.agentId);
  const byAgent = new Map<string, StoredTurn[]>();
  for (const turn of input.turns) if (turn.agentId) byAgent.set(turn.agentId, [...(byAgent.get(turn.agentId) ?? []), turn]);
  for (const call of input.toolCalls) if (call.agent_id && !byAgent.has(call.agent_id)) byAgent.set(call.agent_id, []);
  const all = price(input.turns);
  const mainPriced = price(main);
  const warnings = [
    'OpenCode: usage is what trace\'s plugin reported for each response (OpenCode\'s own records are not read); responses while trace was not installed or not on the PATH are missing',
    'OpenCode: tools lists only the edit and shell calls trace captured',
    ...all.warnings,
  ];
  const subagents = [...byAgent.entries()].map(([id, turns]) => subagentSummary(id, turns));
  // A store that keeps no subagent with the usage has every response in the main thread's figures.
  const perAgent = input.turns.some((turn) => turn.agentId !== undefined);
  if (subagents.some((s) => !s.transcriptFound)) {
    warnings.push(
      perAgent
        ? 'OpenCode: some subagents reported no usage of their own; their tokens are not in the totals'
        : 'OpenCode: subagents\' responses are counted in the session totals and assistant messages, not per subagent',
    );
  }
  const times = [...input.turns.map((t) => t.at), ...input.prompts.map((p) => p.at)].sort();
  const primary = (mainPriced.byModel.length > 0 ? mainPriced : all).byModel[0]?.model;
  const assistant = main.length;
  return {
    sessionId: input.sessionId,
    ...(input.version ? { version: input.version } : {}),
    ...((input.startedAt ?? times[0]) ? { startedAt: input.startedAt ?? times[0] } : {}),
    ...((input.endedAt ?? times.at(-1)) ? { endedAt: input.endedAt ?? times.at(-1) } : {}),
    ...(primary ? { primaryModel: primary } : {}),
    modelsUsed: all.byModel.map((m) => m.model),
    usageByModel: all.byModel,
    usage: all.usage,
    estimatedCostUsd: all.usd,
    costComplete: all.complete,
    tools: toolCounts(input.toolCalls.map((call) => call.tool_name)),
    mcpServers: [],
    totalToolInvocations: input.toolCalls.length,
    messages: { user: input.prompts.length, assistant, total: input.prompts.length + assistant },
    subagents,
    compactions: 0,
    invalidLines: 0,
    warnings,
  };
}

/** One assistant message of an export as trace's turn usage, converted as the plugin's payload is. */
export function turnFromTokens(model: string | undefined, tokens: unknown): TurnUsage | undefined {
  const t = obj(tokens);
  if (!t) return undefined;
  const cache = obj(t.cache) ?? {};
  return { model, inputTokens: num(t.input), outputTokens: num(t.output) + num(t.reasoning), cacheReadTokens: num(cache.read), cacheWriteTokens: num(cache.write) };
}

export interface ExportSummary extends TranscriptSummary {
  /** The sum of OpenCode's own `cost` over assistant messages (USD, as OpenCode computed it). */
  openCodeCostUsd: number;
  /** The child sessions the session's `task` calls ran in. */
  childSessions: string[];
  parentId?: string;
}

/** An `opencode export` JSON: usage, cost, tools, messages and subagents. Pure. */
export function summarizeOpenCodeExport(text: string, children: { sessionId: string; text: string }[] = []): ExportSummary {
  const warnings: string[] = [];
  let root: Json | undefined;
  try {
    root = obj(JSON.parse(text));
  } catch (error) {
    warnings.push(`OpenCode export is not JSON: ${(error as Error).message}`);
  }
  const info = obj(root?.info) ?? {};
  const messages = Array.isArray(root?.messages) ? (root.messages as unknown[]).map(obj).filter((m): m is Json => m !== undefined) : [];
  const turns: TurnUsage[] = [];
  const tools: string[] = [];
  const taskCalls: { callId: string; child?: string; type?: string; description?: string }[] = [];
  let user = 0;
  let assistant = 0;
  let openCodeCost = 0;
  const times: number[] = [];
  for (const message of messages) {
    const minfo = obj(message.info) ?? {};
    const parts = Array.isArray(message.parts) ? (message.parts as unknown[]).map(obj).filter((p): p is Json => p !== undefined) : [];
    const created = obj(minfo.time)?.created;
    if (typeof created === 'number') times.push(created);
    const completed = obj(minfo.time)?.completed;
    if (typeof completed === 'number') times.push(completed);
    if (minfo.role === 'user') {
      if (parts.some((p) => p.type === 'text' && p.synthetic !== true && typeof p.text === 'string')) user++;
      continue;
    }
    if (minfo.role !== 'assistant') continue;
    assistant++;
    if (typeof minfo.cost === 'number') openCodeCost += minfo.cost;
    const turn = turnFromTokens(str(minfo.modelID), minfo.tokens);
    if (turn) turns.push(turn);
    for (const part of parts) {
      if (part.type !== 'tool' || typeof part.tool !== 'string') continue;
      tools.push(part.tool);
      if (part.tool === 'task') {
        const state = obj(part.state) ?? {};
        const input = obj(state.input) ?? {};
        const child = str(obj(state.metadata)?.sessionId);
        taskCalls.push({ callId: String(part.callID), ...(child ? { child } : {}), ...(str(input.subagent_type) ? { type: str(input.subagent_type) } : {}), ...(str(input.description) ? { description: str(input.description) } : {}) });
      }
    }
  }
  const childTexts = new Map(children.map((c) => [c.sessionId, c.text]));
  const subagents: SubagentSummary[] = taskCalls.map((task) => {
    const childText = task.child ? childTexts.get(task.child) : undefined;
    const childTurns = childText === undefined ? [] : exportTurns(childText);
    return subagentSummary(task.child ?? task.callId, childTurns, {
      toolUseId: task.callId,
      ...(task.type ? { type: task.type } : {}),
      ...(task.description ? { description: task.description } : {}),
    });
  });
  if (subagents.some((s) => !s.transcriptFound)) warnings.push('OpenCode: a subagent\'s child session was not exported; its tokens are not in the totals');
  const allTurns = [...turns, ...subagents.flatMap((s) => (s.transcriptFound ? exportTurns(childTexts.get(s.id) ?? '') : []))];
  const all = price(allTurns);
  const mainPriced = price(turns);
  times.sort((a, b) => a - b);
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const startedAt = iso(num(obj(info.time)?.created) || times[0]);
  const endedAt = iso(times.at(-1) ?? (num(obj(info.time)?.updated) || undefined));
  const primary = (mainPriced.byModel.length > 0 ? mainPriced : all).byModel[0]?.model;
  return {
    ...(str(info.id) ? { sessionId: str(info.id) } : {}),
    ...(str(info.directory) ? { cwd: str(info.directory) } : {}),
    ...(str(info.version) ? { version: str(info.version) } : {}),
    ...(str(info.slug) ? { slug: str(info.slug) } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    ...(primary ? { primaryModel: primary } : {}),
    ...(str(info.parentID) ? { parentId: str(info.parentID) } : {}),
    modelsUsed: all.byModel.map((m) => m.model),
    usageByModel: all.byModel,
    usage: all.usage,
    estimatedCostUsd: all.usd,
    costComplete: all.complete,
    tools: toolCounts(tools),
    mcpServers: [],
    totalToolInvocations: tools.length,
    messages: { user, assistant, total: user + assistant },
    subagents,
    compactions: 0,
    invalidLines: 0,
    warnings: [...warnings, ...all.warnings],
    openCodeCostUsd: roundUsd(openCodeCost),
    childSessions: taskCalls.flatMap((t) => (t.child ? [t.child] : [])),
  };
}

/** The turn usage of an export's assistant messages. */
export function exportTurns(text: string): TurnUsage[] {
  let root: Json | undefined;
  try {
    root = obj(JSON.parse(text));
  } catch {
    return [];
  }
  const messages = Array.isArray(root?.messages) ? (root.messages as unknown[]) : [];
  return messages.flatMap((message) => {
    const info = obj(obj(message)?.info);
    if (info?.role !== 'assistant') return [];
    const turn = turnFromTokens(str(info.modelID), info.tokens);
    return turn ? [turn] : [];
  });
}

/** Prompts and tool calls of an export in order, for `prompts` retention. */
export function exportConversation(text: string): ConversationEntry[] {
  let root: Json | undefined;
  try {
    root = obj(JSON.parse(text));
  } catch {
    return [];
  }
  const entries: ConversationEntry[] = [];
  for (const message of Array.isArray(root?.messages) ? (root.messages as unknown[]) : []) {
    const info = obj(obj(message)?.info) ?? {};
    const created = obj(info.time)?.created;
    const timestamp = typeof created === 'number' ? new Date(created).toISOString() : undefined;
    const parts = Array.isArray(obj(message)?.parts) ? (obj(message)!.parts as unknown[]).map(obj) : [];
    for (const part of parts) {
      if (!part) continue;
      if (info.role === 'user' && part.type === 'text' && part.synthetic !== true && typeof part.text === 'string') entries.push({ type: 'prompt', text: part.text, ...(timestamp ? { timestamp } : {}) });
      if (info.role === 'assistant' && part.type === 'tool' && typeof part.tool === 'string') entries.push({ type: 'tool_call', id: String(part.callID), name: part.tool, input: obj(part.state)?.input, ...(timestamp ? { timestamp } : {}) });
    }
  }
  return entries;
}

/** What readSession needs of the store (structural, so tests can pass a plain object). */
export interface OpenCodeRecords {
  turnUsage?(sessionId: string): StoredTurn[];
  prompts(sessionId: string): { at: string; prompt_id: string | null; text: string }[];
  toolCalls(sessionId: string): { tool_use_id: string; agent_id: string | null; tool_name: string; input_json: string | null; started_at: string | null }[];
}

/** The session from what trace's plugin reported into the store. */
export function readOpenCodeSession(
  session: { id: string; agent_version: string | null; started_at: string | null; ended_at: string | null },
  store: OpenCodeRecords,
): Promise<AgentSessionRead> {
  const turns = store.turnUsage?.(session.id) ?? [];
  const prompts = store.prompts(session.id);
  const toolCalls = store.toolCalls(session.id);
  const warnings: string[] = [];
  if (turns.length === 0) warnings.push('OpenCode: the plugin reported no token usage for this session; usage is unknown');
  const summary =
    turns.length === 0 && prompts.length === 0 && toolCalls.length === 0
      ? null
      : summarizeTurnUsage({ sessionId: session.id, turns, prompts, toolCalls, startedAt: session.started_at ?? undefined, endedAt: session.ended_at ?? undefined, version: session.agent_version ?? undefined });
  const conversation: ConversationEntry[] = [
    ...prompts.map((p) => ({ type: 'prompt' as const, text: p.text, timestamp: p.at })),
    ...toolCalls.map((call) => ({ type: 'tool_call' as const, id: call.tool_use_id, name: call.tool_name, input: parseInput(call.input_json), ...(call.started_at ? { timestamp: call.started_at } : {}) })),
  ].sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? ''));
  return Promise.resolve({ summary, warnings, conversation, records: null });
}

function parseInput(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
