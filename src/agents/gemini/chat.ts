// Summary of a Gemini CLI chat file (`~/.gemini/tmp/<project>/chats/session-*.json[l]`). Pure: the
// caller reads the files.
//
// Two forms, both real:
// - one JSON object `{sessionId, projectHash, startTime, lastUpdated, messages[], kind}` (the CLI's
//   files through at least March 2026);
// - JSONL: a metadata line, then one line per message, `{"$set": {…}}` metadata updates (a `$set` with
//   `messages` replaces the history) and `{"$rewindTo": id}` lines that cut the history at a message.
//   A message is re-appended as it grows: the last line with an id wins.
//
// Tokens (per `gemini` message, `tokens{input, output, cached, thoughts, tool, total}`): `input` is
// promptTokenCount and includes `cached`; `thoughts` are billed as output; `tool`
// (toolUsePromptTokenCount) is prompt input outside `input`; `total` = input + output + thoughts + tool.
// In trace's (Anthropic) terms: input = input − cached + tool, cache read = cached, output = output +
// thoughts, so the summary's total equals the sum of Gemini's `total`s. Tokens count every message the
// file ever held, rewound ones included (they were billed); message counts and the conversation follow
// the history as it stands.
import { estimateCost, roundUsd, type TokenUsage } from '../../core/prices.js';
import type { ConversationEntry, ModelUsageSummary, SubagentSummary, ToolUsageCount, TranscriptSummary, UsageTotals } from '../types.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface ParsedChat {
  /** The metadata as last set (sessionId, projectHash, startTime, lastUpdated, kind, …). */
  metadata: Json;
  /** Every message the file held, by id, each in its last version (rewound ones included). */
  all: Map<string, Json>;
  /** The history as it stands after rewinds and checkpoints. */
  history: Map<string, Json>;
  /** The file's records as parsed: the object, or one per JSONL line. */
  records: unknown[];
  invalidLines: number;
  lastLineInvalid: boolean;
  /** Messages cut from the history by `$rewindTo` or replaced by a `$set` checkpoint. */
  dropped: number;
  form: 'json' | 'jsonl';
}

function addMessage(chat: ParsedChat, message: Json): void {
  const id = message.id as string;
  chat.all.set(id, message);
  chat.history.set(id, message);
}

function applyRecord(chat: ParsedChat, record: Json): void {
  if (typeof record.$rewindTo === 'string') {
    // Cut the history at that message; an unknown id clears it (gemini-cli does the same).
    let found = false;
    for (const id of [...chat.history.keys()]) {
      if (id === record.$rewindTo) found = true;
      if (found) {
        chat.history.delete(id);
        chat.dropped++;
      }
    }
    if (!found) {
      chat.dropped += chat.history.size;
      chat.history.clear();
    }
    return;
  }
  if (typeof record.id === 'string') return addMessage(chat, record);
  const set = obj(record.$set);
  const metadata = set ?? (typeof record.sessionId === 'string' ? record : undefined);
  if (metadata === undefined) return;
  const { messages, ...rest } = metadata;
  chat.metadata = { ...chat.metadata, ...rest };
  if (Array.isArray(messages)) {
    if (set !== undefined) {
      const kept = new Set(messages.flatMap((m) => (typeof obj(m)?.id === 'string' ? [obj(m)!.id as string] : [])));
      for (const id of chat.history.keys()) if (!kept.has(id)) chat.dropped++;
      chat.history.clear();
    }
    for (const message of messages) {
      const m = obj(message);
      if (m !== undefined && typeof m.id === 'string') addMessage(chat, m);
    }
  }
}

export function parseGeminiChat(text: string): ParsedChat {
  const chat: ParsedChat = { metadata: {}, all: new Map(), history: new Map(), records: [], invalidLines: 0, lastLineInvalid: false, dropped: 0, form: 'jsonl' };
  // The single-object form is pretty-printed over many lines: try the whole text first.
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  const single = obj(whole);
  if (single !== undefined) {
    chat.form = Array.isArray(single.messages) ? 'json' : 'jsonl';
    chat.records.push(single);
    applyRecord(chat, single);
    return chat;
  }
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    const record = obj(value);
    if (record === undefined) {
      chat.invalidLines++;
      chat.lastLineInvalid = true;
      continue;
    }
    chat.lastLineInvalid = false;
    chat.records.push(record);
    applyRecord(chat, record);
  }
  return chat;
}

/** The text of a message's content: a string, a part `{text}`, or a list of them. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  const part = obj(content);
  if (part !== undefined) return typeof part.text === 'string' ? part.text : '';
  return arr(content)
    .map((p) => (typeof p === 'string' ? p : (str(obj(p)?.text) ?? '')))
    .join('');
}

/** A person's prompt: a `user` message that is not a slash command or injected context (as gemini-cli counts them). */
function promptText(message: Json): string | undefined {
  if (message.type !== 'user') return undefined;
  const text = contentText(message.content);
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('/') || trimmed.startsWith('?') || trimmed.startsWith('<session_context>') || trimmed.startsWith('<hook_context>')) return undefined;
  return text;
}

/** A `gemini` message's tokens in trace's terms (see the top of this file); undefined when it has none. */
export function messageUsage(message: Json): TokenUsage | undefined {
  const tokens = obj(message.tokens);
  if (message.type !== 'gemini' || tokens === undefined) return undefined;
  const cached = count(tokens.cached);
  return {
    input: Math.max(count(tokens.input) - cached, 0) + count(tokens.tool),
    output: count(tokens.output) + count(tokens.thoughts),
    cacheRead: cached,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
  };
}

interface Response {
  model: string | undefined;
  usage: TokenUsage;
}

function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, totalTokens: 0 };
}

function addUsage(totals: UsageTotals, u: TokenUsage): void {
  totals.inputTokens += u.input;
  totals.outputTokens += u.output;
  totals.cacheReadInputTokens += u.cacheRead;
  totals.totalTokens += u.input + u.output + u.cacheRead;
}

function responsesOf(chat: ParsedChat): Response[] {
  const out: Response[] = [];
  for (const message of chat.all.values()) {
    const usage = messageUsage(message);
    if (usage !== undefined) out.push({ model: str(message.model), usage });
  }
  return out;
}

function costOf(responses: Response[], warn: (w: string) => void): { usd: number | undefined; complete: boolean } {
  let usd = 0;
  let priced = false;
  let complete = true;
  for (const r of responses) {
    if (r.model === undefined) {
      complete = false;
      continue;
    }
    const estimate = estimateCost(r.model, r.usage);
    if (estimate.warning !== undefined) warn(estimate.warning);
    if (estimate.usd === undefined) complete = false;
    else {
      usd += estimate.usd;
      priced = true;
    }
  }
  return { usd: priced ? roundUsd(usd) : complete ? 0 : undefined, complete };
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function timeBounds(chats: ParsedChat[]): { startedAt?: string; endedAt?: string } {
  let earliest: { ms: number; text: string } | undefined;
  let latest: { ms: number; text: string } | undefined;
  const see = (value: unknown) => {
    const text = str(value);
    const ms = text === undefined ? NaN : Date.parse(text);
    if (text === undefined || !Number.isFinite(ms)) return;
    if (earliest === undefined || ms < earliest.ms) earliest = { ms, text };
    if (latest === undefined || ms > latest.ms) latest = { ms, text };
  };
  for (const chat of chats) {
    see(chat.metadata.startTime);
    see(chat.metadata.lastUpdated);
    for (const message of chat.all.values()) see(message.timestamp);
  }
  return { ...(earliest === undefined ? {} : { startedAt: earliest.text }), ...(latest === undefined ? {} : { endedAt: latest.text }) };
}

export interface GeminiChatInput {
  main: string;
  /** Subagent chats (`chats/<sessionId>/<id>.jsonl`), by the subagent's session id. */
  subagents?: { agentId: string; text: string }[];
}

export function summarizeGeminiChat(input: GeminiChatInput): TranscriptSummary {
  const warnings: string[] = [];
  const warn = (w: string) => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  const main = parseGeminiChat(input.main);
  const subagentChats = [...(input.subagents ?? [])].sort((a, b) => byName(a.agentId, b.agentId)).map((s) => ({ agentId: s.agentId, chat: parseGeminiChat(s.text) }));
  for (const [label, chat] of [['chat file', main] as const, ...subagentChats.map((s) => [`subagent ${s.agentId} chat file`, s.chat] as const)]) {
    if (chat.invalidLines > 0) {
      const tail = chat.lastLineInvalid ? ' (the last line is incomplete: the file may still be being written)' : '';
      warn(`${label}: skipped ${chat.invalidLines} line(s) that are not JSON objects${tail}`);
    }
  }
  if (main.dropped > 0) warn(`${main.dropped} message(s) were rewound out of the conversation; their tokens are still counted, they were billed`);

  const mainResponses = responsesOf(main);
  const all: Response[] = [...mainResponses, ...subagentChats.flatMap((s) => responsesOf(s.chat))];
  const totals = emptyTotals();
  const perModel = new Map<string, Response[]>();
  let unmodelled = 0;
  for (const r of all) {
    addUsage(totals, r.usage);
    if (r.model === undefined) {
      unmodelled++;
      continue;
    }
    perModel.set(r.model, [...(perModel.get(r.model) ?? []), r]);
  }
  if (unmodelled > 0) warn(`${unmodelled} Gemini response(s) carry no model; their tokens are counted but not priced`);

  let costUsd = 0;
  let anyPriced = false;
  let costComplete = unmodelled === 0;
  const usageByModel: ModelUsageSummary[] = [];
  for (const [model, responses] of perModel) {
    const usage = emptyTotals();
    for (const r of responses) addUsage(usage, r.usage);
    const cost = costOf(responses, warn);
    if (cost.usd !== undefined) {
      costUsd += cost.usd;
      anyPriced = true;
    }
    if (!cost.complete) costComplete = false;
    usageByModel.push({
      model,
      responses: responses.length,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadInputTokens: usage.cacheReadInputTokens,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      estimatedCostUsd: cost.usd,
    });
  }
  usageByModel.sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || byName(a.model, b.model));
  if (!costComplete && anyPriced) warn('estimated cost leaves out usage of models without a price');

  // Primary: most output over the main chat's responses (all responses when the main chat has none).
  const pool = mainResponses.some((r) => r.model !== undefined) ? mainResponses : all;
  const score = new Map<string, { output: number; responses: number }>();
  for (const r of pool) {
    if (r.model === undefined) continue;
    const s = score.get(r.model) ?? { output: 0, responses: 0 };
    s.output += r.usage.output;
    s.responses++;
    score.set(r.model, s);
  }
  // Responses without tokens still say which model wrote them.
  const untokened = new Map<string, number>();
  for (const message of main.all.values()) {
    const model = str(message.model);
    if (message.type === 'gemini' && model !== undefined && messageUsage(message) === undefined) untokened.set(model, (untokened.get(model) ?? 0) + 1);
  }
  const primaryModel =
    [...score].sort((a, b) => b[1].output - a[1].output || b[1].responses - a[1].responses || byName(a[0], b[0]))[0]?.[0] ??
    [...untokened].sort((a, b) => b[1] - a[1] || byName(a[0], b[0]))[0]?.[0];

  // Tools: unique call ids over every message the main chat held.
  const toolIds = new Set<string>();
  const toolCounts = new Map<string, number>();
  for (const message of main.all.values()) {
    arr(message.toolCalls).forEach((raw, index) => {
      const call = obj(raw);
      const name = str(call?.name);
      if (name === undefined) return;
      const id = str(call?.id) ?? `${String(message.id)}#${index}`;
      if (toolIds.has(id)) return;
      toolIds.add(id);
      toolCounts.set(name, (toolCounts.get(name) ?? 0) + 1);
    });
  }
  const mcpServerOf = (name: string) => /^mcp__(.+?)__/.exec(name)?.[1];
  const tools: ToolUsageCount[] = [...toolCounts]
    .map(([name, n]) => {
      const server = mcpServerOf(name);
      return server === undefined ? { name, count: n } : { name, count: n, mcpServer: server };
    })
    .sort((a, b) => b.count - a.count || byName(a.name, b.name));
  const servers = new Map<string, number>();
  for (const tool of tools) if (tool.mcpServer !== undefined) servers.set(tool.mcpServer, (servers.get(tool.mcpServer) ?? 0) + tool.count);
  const mcpServers = [...servers].map(([server, n]) => ({ server, count: n })).sort((a, b) => b.count - a.count || byName(a.server, b.server));

  let user = 0;
  let assistant = 0;
  for (const message of main.history.values()) {
    if (promptText(message) !== undefined) user++;
    else if (message.type === 'gemini') assistant++;
  }

  const subagents: SubagentSummary[] = subagentChats.map(({ agentId, chat }) => {
    const responses = responsesOf(chat);
    const usage = emptyTotals();
    for (const r of responses) addUsage(usage, r.usage);
    const models = [...new Set(responses.flatMap((r) => (r.model === undefined ? [] : [r.model])))];
    return { id: agentId, transcriptFound: true, models, usage, estimatedCostUsd: costOf(responses, () => undefined).usd };
  });

  if (mainResponses.length === 0) {
    const gemini = [...main.all.values()].filter((m) => m.type === 'gemini').length;
    warn(gemini === 0 ? 'the chat file has no Gemini responses' : `none of the chat file's ${gemini} Gemini response(s) records tokens; usage is unknown`);
  }

  const summary: TranscriptSummary = {
    ...timeBounds([main, ...subagentChats.map((s) => s.chat)]),
    modelsUsed: [...new Set([...usageByModel.map((m) => m.model), ...[...untokened.keys()].sort(byName)])],
    usageByModel,
    usage: totals,
    estimatedCostUsd: anyPriced ? roundUsd(costUsd) : all.length === 0 ? 0 : undefined,
    costComplete,
    tools,
    mcpServers,
    totalToolInvocations: toolIds.size,
    messages: { user, assistant, total: user + assistant },
    subagents,
    compactions: 0,
    invalidLines: main.invalidLines + subagentChats.reduce((n, s) => n + s.chat.invalidLines, 0),
    warnings,
  };
  const sessionId = str(main.metadata.sessionId);
  if (sessionId !== undefined) summary.sessionId = sessionId;
  if (primaryModel !== undefined) summary.primaryModel = primaryModel;
  return summary;
}

/** Prompts and tool calls of the history, in order (for `prompts` retention). */
export function geminiConversation(chat: ParsedChat): ConversationEntry[] {
  const entries: ConversationEntry[] = [];
  const toolIds = new Set<string>();
  for (const message of chat.history.values()) {
    const timestamp = str(message.timestamp);
    const prompt = promptText(message);
    if (prompt !== undefined) {
      entries.push(timestamp === undefined ? { type: 'prompt', text: prompt } : { type: 'prompt', text: prompt, timestamp });
      continue;
    }
    if (message.type !== 'gemini') continue;
    for (const raw of arr(message.toolCalls)) {
      const call = obj(raw);
      const id = str(call?.id);
      const name = str(call?.name);
      if (id === undefined || name === undefined || toolIds.has(id)) continue;
      toolIds.add(id);
      const at = str(call?.timestamp) ?? timestamp;
      const entry: ConversationEntry = { type: 'tool_call', id, name, input: call?.args ?? null };
      if (at !== undefined) entry.timestamp = at;
      entries.push(entry);
    }
  }
  return entries;
}
