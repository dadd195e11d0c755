// A Copilot CLI session from its own record, `~/.copilot/session-state/<sessionId>/events.jsonl` (one
// `{type, data, id, timestamp, parentId}` per line). Token semantics, from real 1.0.12/1.0.20 files:
// - usage is only in `session.shutdown.data.modelMetrics{<model>: {requests{count, cost}, usage{inputTokens,
//   outputTokens, cacheReadTokens, cacheWriteTokens}}}`, totals per model for the run; `inputTokens`
//   INCLUDES the cache reads (input 40,503 of which 31,836 cache reads). `assistant.message.data.outputTokens`
//   per response add up to the shutdown's output tokens.
// - session.shutdown is written after the sessionEnd hook returns, so it is read here, lazily (at push
//   time), never in a hook; a session still running (or killed) has none, and then only output tokens are known.
// - model ids are dotted (`claude-sonnet-4.6`); the price table spells Anthropic's with dashes.
// - Copilot bills premium requests (`requests.cost`), not tokens: a token cost is an estimate.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { estimateCost, lookupPrice, roundUsd, type TokenUsage } from '../../core/prices.js';
import type { AgentSessionRead, ConversationEntry, ModelUsageSummary, ToolUsageCount, TranscriptSummary, UsageTotals } from '../types.js';
import { errorMessage } from '../../errors.js';
import type { SessionRecord } from '../../store.js';
import { parseJsonLines } from '../records.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Copilot's model id as the price table spells it: Anthropic's `claude-sonnet-4.6` → `claude-sonnet-4-6` (GPT and Gemini ids keep their dots). */
export function priceModelId(model: string): string {
  return /^claude-/i.test(model) ? model.replace(/(\d)\.(\d)/g, '$1-$2') : model;
}

export interface CopilotEventsSummary {
  summary: TranscriptSummary;
  /** Prompts and tool calls in order. */
  conversation: ConversationEntry[];
  /** Every line that parsed as a JSON object, as is. */
  records: Json[];
}

interface ModelMetrics {
  requests: number;
  premiumRequests: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Summarises one events.jsonl. Pure: the caller reads the file. */
export function summarizeCopilotEvents(text: string): CopilotEventsSummary {
  const { records, invalid: invalidLines } = parseJsonLines(text);

  const warnings: string[] = [];
  const summary: TranscriptSummary = {
    modelsUsed: [],
    usageByModel: [],
    usage: emptyTotals(),
    estimatedCostUsd: undefined,
    costComplete: true,
    tools: [],
    mcpServers: [],
    totalToolInvocations: 0,
    messages: { user: 0, assistant: 0, total: 0 },
    subagents: [],
    compactions: 0,
    invalidLines,
    warnings,
  };
  const conversation: ConversationEntry[] = [];
  const toolCalls = new Map<string, string>();
  const metrics = new Map<string, ModelMetrics>();
  const outputByModel = new Map<string, { output: number; responses: number }>();
  // A response's model is named only by its tool calls' completion (or a later model change): until then its tokens wait here.
  let unassigned: number[] = [];
  const assign = (model: string, output: number) => {
    const seen = outputByModel.get(model) ?? { output: 0, responses: 0 };
    outputByModel.set(model, { output: seen.output + output, responses: seen.responses + 1 });
  };
  const settle = (model: string) => {
    for (const output of unassigned) assign(model, output);
    unassigned = [];
  };
  const userMessages = new Set<string>();
  const assistantMessages = new Set<string>();
  let shutdowns = 0;
  let currentModel: string | undefined;
  let lastShutdownModel: string | undefined;

  const noteTool = (id: string | undefined, name: string | undefined, input: unknown, timestamp: string | undefined) => {
    if (id === undefined || name === undefined || toolCalls.has(id)) return;
    toolCalls.set(id, name);
    conversation.push({ type: 'tool_call', id, name, input, ...(timestamp ? { timestamp } : {}) });
  };

  for (const record of records) {
    const type = str(record.type);
    const data = obj(record.data) ?? {};
    const timestamp = str(record.timestamp);
    if (timestamp !== undefined) {
      summary.startedAt ??= timestamp;
      summary.endedAt = timestamp;
    }
    switch (type) {
      case 'session.start':
      case 'session.resume': {
        summary.sessionId ??= str(data.sessionId);
        summary.version = str(data.copilotVersion) ?? summary.version;
        const context = obj(data.context);
        summary.cwd ??= str(context?.cwd);
        summary.gitBranch ??= str(context?.branch);
        currentModel = str(data.selectedModel) ?? currentModel;
        break;
      }
      case 'session.model_change':
        currentModel = str(data.newModel) ?? currentModel;
        if (unassigned.length > 0) settle(str(data.previousModel) ?? currentModel ?? 'unknown');
        break;
      case 'user.message': {
        // A subagent's task, from the agent that started it (`source: "agent-<id>"`): not the person's prompt.
        if (str(data.source)?.startsWith('agent-')) break;
        const content = str(data.content);
        const key = str(record.id) ?? `${userMessages.size}`;
        if (content !== undefined && !userMessages.has(key)) {
          userMessages.add(key);
          conversation.push({ type: 'prompt', text: content, ...(timestamp ? { timestamp } : {}) });
        }
        break;
      }
      case 'assistant.message': {
        const key = str(data.messageId) ?? str(record.id);
        if (key !== undefined && !assistantMessages.has(key)) {
          assistantMessages.add(key);
          const model = str(data.model) ?? currentModel;
          if (model === undefined) unassigned.push(count(data.outputTokens));
          else assign(model, count(data.outputTokens));
        }
        for (const request of arr(data.toolRequests)) {
          const call = obj(request);
          noteTool(str(call?.toolCallId), str(call?.name), call?.arguments, timestamp);
        }
        break;
      }
      case 'tool.execution_start':
        noteTool(str(data.toolCallId), str(data.toolName), data.arguments, timestamp);
        break;
      case 'tool.execution_complete':
        currentModel = str(data.model) ?? currentModel;
        if (currentModel !== undefined) settle(currentModel);
        break;
      case 'subagent.started': {
        // A `task` subagent (1.0.102): its responses are in this file's usage; its own token split is not.
        const id = str(data.toolCallId);
        if (id === undefined || summary.subagents.some((sub) => sub.id === id)) break;
        const model = str(data.model);
        summary.subagents.push({
          id,
          toolUseId: id,
          transcriptFound: true,
          models: model === undefined ? [] : [model],
          usage: undefined,
          estimatedCostUsd: undefined,
          ...(str(data.agentName) === undefined ? {} : { type: str(data.agentName) }),
          ...(str(data.agentDescription) === undefined ? {} : { description: str(data.agentDescription) }),
        });
        break;
      }
      case 'session.compaction_complete':
        summary.compactions++;
        break;
      case 'session.shutdown': {
        shutdowns++;
        lastShutdownModel = str(data.currentModel) ?? lastShutdownModel;
        for (const [model, value] of Object.entries(obj(data.modelMetrics) ?? {})) {
          const requests = obj(obj(value)?.requests);
          const usage = obj(obj(value)?.usage);
          const sum = metrics.get(model) ?? { requests: 0, premiumRequests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
          metrics.set(model, {
            requests: sum.requests + count(requests?.count),
            premiumRequests: sum.premiumRequests + (typeof requests?.cost === 'number' && requests.cost > 0 ? requests.cost : 0),
            input: sum.input + count(usage?.inputTokens),
            output: sum.output + count(usage?.outputTokens),
            cacheRead: sum.cacheRead + count(usage?.cacheReadTokens),
            cacheWrite: sum.cacheWrite + count(usage?.cacheWriteTokens),
          });
        }
        break;
      }
    }
  }

  settle(currentModel ?? lastShutdownModel ?? 'unknown');
  summary.messages = { user: userMessages.size, assistant: assistantMessages.size, total: userMessages.size + assistantMessages.size };
  const byName = new Map<string, number>();
  for (const name of toolCalls.values()) byName.set(name, (byName.get(name) ?? 0) + 1);
  summary.tools = [...byName].map(([name, n]): ToolUsageCount => ({ name, count: n })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  summary.totalToolInvocations = toolCalls.size;

  if (metrics.size > 0) {
    if (shutdowns > 1) warnings.push(`events.jsonl has ${shutdowns} session.shutdown records (a resumed session): their per-model totals are added up`);
    let premium = 0;
    for (const [model, m] of metrics) {
      premium += m.premiumRequests;
      // inputTokens counts the whole prompt: what was read from and written to the cache is taken out.
      const uncached = Math.max(0, m.input - m.cacheRead - m.cacheWrite);
      summary.usageByModel.push(modelUsage(model, m.requests, { input: uncached, output: m.output, cacheRead: m.cacheRead, cacheWrite5m: m.cacheWrite, cacheWrite1h: 0 }, warnings));
      if (m.cacheWrite > 0) warnings.push(`${model}: ${m.cacheWrite} cache-write tokens are taken as part of Copilot's inputTokens, as its cache reads are (not confirmed by real data)`);
    }
    warnings.push(`Copilot bills premium requests (${roundUsd(premium)} in this session), not tokens: the cost is an estimate at the model's API prices from Copilot's per-model session totals`);
  } else {
    // No shutdown yet (session running, or killed): only the responses' output tokens are known.
    for (const [model, seen] of outputByModel) {
      if (seen.output === 0 && model === 'unknown') continue;
      summary.usageByModel.push(modelUsage(model, seen.responses, { input: 0, output: seen.output, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }, warnings));
    }
    warnings.push(
      'no session.shutdown in events.jsonl (Copilot writes its token usage when the session ends; still running, or ended without it): input and cache tokens are unknown, output tokens and cost are a lower bound',
    );
  }

  summary.usageByModel.sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses || (a.model < b.model ? -1 : 1));
  summary.modelsUsed = summary.usageByModel.filter((m) => m.responses > 0 || m.outputTokens > 0).map((m) => m.model);
  summary.primaryModel = summary.modelsUsed[0] ?? lastShutdownModel ?? currentModel;
  let cost = 0;
  let priced = false;
  for (const m of summary.usageByModel) {
    summary.usage.inputTokens += m.inputTokens;
    summary.usage.outputTokens += m.outputTokens;
    summary.usage.cacheReadInputTokens += m.cacheReadInputTokens;
    summary.usage.cacheCreation5mInputTokens += m.cacheCreation5mInputTokens;
    summary.usage.cacheCreationInputTokens += m.cacheCreation5mInputTokens + m.cacheCreation1hInputTokens;
    if (m.estimatedCostUsd === undefined) summary.costComplete = false;
    else {
      cost += m.estimatedCostUsd;
      priced = true;
    }
  }
  const u = summary.usage;
  u.totalTokens = u.inputTokens + u.outputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;
  summary.estimatedCostUsd = priced ? roundUsd(cost) : undefined;
  if (invalidLines > 0) warnings.push(`${invalidLines} line(s) of events.jsonl are not JSON objects and were skipped`);
  return { summary, conversation, records };
}

function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, totalTokens: 0 };
}

function modelUsage(model: string, responses: number, usage: TokenUsage, warnings: string[]): ModelUsageSummary {
  const priceId = priceModelId(model);
  const estimate = estimateCost(priceId, usage);
  if (estimate.warning !== undefined) warnings.push(estimate.warning);
  // Long-context tiers apply per request; Copilot gives session totals only.
  if (estimate.usd !== undefined && lookupPrice(priceId)?.price.longContext !== undefined) {
    warnings.push(`${model} has long-context prices per request; Copilot records session totals only, so the standard rate was used`);
  }
  return {
    model,
    responses,
    inputTokens: usage.input,
    outputTokens: usage.output,
    cacheReadInputTokens: usage.cacheRead,
    cacheCreation5mInputTokens: usage.cacheWrite5m,
    cacheCreation1hInputTokens: 0,
    estimatedCostUsd: estimate.usd === undefined ? undefined : roundUsd(estimate.usd),
  };
}

/** Where Copilot keeps a session's events.jsonl: `$COPILOT_HOME` (default `~/.copilot`)/session-state/<id>/. */
export function defaultEventsPath(sessionId: string, env: { HOME?: string | undefined; COPILOT_HOME?: string | undefined } = process.env): string {
  const home = env.COPILOT_HOME ?? join(env.HOME ?? homedir(), '.copilot');
  return join(home, 'session-state', sessionId, 'events.jsonl');
}

/**
 * The session from its events.jsonl: the path agentStop gave (stored as the session's transcript path),
 * else where Copilot keeps it. `read` is `readRegularFile` (the path came from a hook payload).
 */
export async function readCopilotSession(session: Pick<SessionRecord, 'id' | 'transcript_path'>, read: (path: string) => Promise<string>, env?: { HOME?: string | undefined; COPILOT_HOME?: string | undefined }): Promise<AgentSessionRead> {
  const path = session.transcript_path ?? defaultEventsPath(session.id, env);
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    return {
      summary: null,
      warnings: [
        missing
          ? `Copilot's session record ${path} not found (the session ran elsewhere, or ~/.copilot/session-state was cleaned): models, tokens and cost are unknown`
          : `cannot read Copilot's session record ${path}: ${errorMessage(error)}`,
      ],
      conversation: null,
      records: null,
    };
  }
  const { summary, conversation, records } = summarizeCopilotEvents(text);
  return { summary, warnings: [], conversation, records };
}
