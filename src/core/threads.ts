// A session as threads: one per human prompt, holding the agentic loop that followed it until the next
// prompt. Steps are model responses (from the agent's records) and tool calls (the hooks' record —
// status, duration, files — joined by tool-use id with the agent's, which also has the calls hooks do
// not see). Pure: data in, data out.

import { PRICES_AS_OF } from './prices.js';
import type { AgentStep, StepTokens } from '../agents/types.js';
import { isRecord } from '../agents/payload.js';

export interface TokenUsageJson {
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
}

export interface CostJson {
  /** Estimated USD over the priced responses; null when none could be priced. */
  usd: number | null;
  /** Some responses are of a model without a price (or carry no model): `usd` leaves them out. */
  unpriced: boolean;
  prices_as_of: string;
}

export interface StepFile {
  path: string;
  lines_added: number;
  lines_removed: number;
  /** Blob ids in the capture store (null: absent, or not captured). */
  before: string | null;
  after: string | null;
}

export interface HookPrompt {
  at: string;
  text: string;
}

export interface HookToolCall {
  toolUseId: string;
  agentId: string | null;
  tool: string;
  input: unknown;
  startedAt: string | null;
  endedAt: string | null;
  status: 'pending' | 'done' | 'failed';
  error: string | null;
  files: StepFile[];
}

/** `unknown`: a call an attestation keeps without its result (retention `prompts`). */
export type ToolStatus = 'ok' | 'error' | 'denied' | 'pending' | 'unknown';

/** A guard decision other than allow on one call (src/guard/log.ts), as a step shows it. */
export interface StepGuard {
  rule: string;
  /** What the rules decided. */
  decision: 'ask' | 'deny';
  /** What the agent was told: `warn` when not enforced. */
  outcome: 'ask' | 'deny' | 'warn' | 'allow';
  message: string;
  mode: 'warn' | 'enforce';
}

/** A recorded guard decision, to be joined with the session's calls. */
export interface GuardDecisionInput extends StepGuard {
  at: string;
  toolUseId: string | null;
  tool: string;
}

export type StepJson =
  | { kind: 'assistant'; at: string | null; model: string | null; token_usage: TokenUsageJson; cost: CostJson; thinking: string | null; subagent: string | null }
  | {
      kind: 'tool_call';
      at: string | null;
      tool_use_id: string;
      tool: string;
      mcp_server: string | null;
      input: unknown;
      status: ToolStatus;
      error: string | null;
      duration_ms: number | null;
      files: StepFile[];
      subagent: string | null;
      /** Who recorded the call: trace's hooks, the agent's records, or both. */
      seen_by: 'hooks' | 'records' | 'both';
      /** The guard's decision on it when not a plain allow (a denied call has status `denied`). */
      guard: StepGuard | null;
    };

export interface ThreadJson {
  idx: number;
  /** Null for steps before the first prompt trace knows of. */
  prompt: string | null;
  prompt_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  models: string[];
  token_usage: TokenUsageJson;
  cost: CostJson;
  tool_calls: { total: number; errors: number };
  steps: StepJson[];
}

export const zeroTokens = (): TokenUsageJson => ({ input: 0, cache_read: 0, cache_write: 0, output: 0 });

export function costJson(usd: number | null, unpriced: boolean): CostJson {
  return { usd: usd === null ? null : Math.round(usd * 1e6) / 1e6, unpriced, prices_as_of: PRICES_AS_OF };
}

/** A hook's tool-call status as the views name it (a refusal by the person or a policy is `denied`). */
export function toolStatus(status: HookToolCall['status'], error: string | null): ToolStatus {
  if (status === 'pending') return 'pending';
  if (status === 'done') return 'ok';
  return error !== null && /denied|doesn't want to proceed|rejected by the user|permission/i.test(error) ? 'denied' : 'error';
}

function ms(at: string | null | undefined): number | undefined {
  if (!at) return undefined;
  const t = Date.parse(at);
  return Number.isFinite(t) ? t : undefined;
}

function span(from: string | null | undefined, to: string | null | undefined): number | null {
  const a = ms(from);
  const b = ms(to);
  return a === undefined || b === undefined ? null : Math.max(0, b - a);
}

function hookStep(call: HookToolCall, agentStep?: Extract<AgentStep, { kind: 'tool_call' }>): StepJson {
  return {
    kind: 'tool_call',
    at: call.startedAt ?? agentStep?.at ?? null,
    tool_use_id: call.toolUseId,
    tool: call.tool,
    mcp_server: agentStep?.mcpServer ?? (/^mcp__(.+?)__/.exec(call.tool)?.[1] ?? null),
    input: call.input,
    status: toolStatus(call.status, call.error),
    error: call.error,
    duration_ms: span(call.startedAt, call.endedAt),
    files: call.files,
    subagent: call.agentId ?? agentStep?.subagent ?? null,
    seen_by: agentStep ? 'both' : 'hooks',
    guard: null,
  };
}

function addTokens(into: TokenUsageJson, t: StepTokens): void {
  into.input += t.input;
  into.cache_read += t.cacheRead;
  into.cache_write += t.cacheWrite;
  into.output += t.output;
}

function newThread(idx: number, prompt: string | null, at: string | null): ThreadJson {
  return { idx, prompt, prompt_at: at, ended_at: null, duration_ms: null, models: [], token_usage: zeroTokens(), cost: costJson(null, false), tool_calls: { total: 0, errors: 0 }, steps: [] };
}

/**
 * Threads of a session. With `agentSteps` (the agent's records give responses), prompts and order come
 * from them; hook calls they do not show go into the thread of their time. Without, threads are the
 * hooks' prompts and the calls that followed each.
 */
export function buildThreads(input: { prompts: HookPrompt[]; toolCalls: HookToolCall[]; agentSteps: AgentStep[] | undefined; guardDecisions?: readonly GuardDecisionInput[] }): ThreadJson[] {
  const threads: ThreadJson[] = [];
  const current = (): ThreadJson => {
    if (threads.length === 0) threads.push(newThread(1, null, null));
    return threads[threads.length - 1]!;
  };
  const costs = new Map<ThreadJson, { usd: number; priced: boolean; unpriced: boolean }>();
  const byId = new Map(input.toolCalls.map((call) => [call.toolUseId, call]));
  const used = new Set<string>();

  if (input.agentSteps) {
    for (const step of input.agentSteps) {
      if (step.kind === 'prompt') {
        threads.push(newThread(threads.length + 1, step.text, step.at ?? null));
        continue;
      }
      const thread = current();
      if (step.kind === 'assistant') {
        addTokens(thread.token_usage, step.tokens);
        if (step.model !== undefined && !thread.models.includes(step.model)) thread.models.push(step.model);
        const cost = costs.get(thread) ?? { usd: 0, priced: false, unpriced: false };
        if (step.costUsd !== undefined) {
          cost.usd += step.costUsd;
          cost.priced = true;
        }
        if (step.unpriced) cost.unpriced = true;
        costs.set(thread, cost);
        thread.steps.push({
          kind: 'assistant',
          at: step.at ?? null,
          model: step.model ?? null,
          token_usage: { input: step.tokens.input, cache_read: step.tokens.cacheRead, cache_write: step.tokens.cacheWrite, output: step.tokens.output },
          cost: costJson(step.costUsd ?? null, step.unpriced),
          thinking: step.thinking ?? null,
          subagent: step.subagent ?? null,
        });
        continue;
      }
      const hook = byId.get(step.id);
      if (hook) {
        used.add(step.id);
        thread.steps.push(hookStep(hook, step));
      } else {
        thread.steps.push({
          kind: 'tool_call',
          at: step.at ?? null,
          tool_use_id: step.id,
          tool: step.name,
          mcp_server: step.mcpServer ?? null,
          input: step.input,
          status: step.error === undefined ? 'ok' : toolStatus('failed', step.error),
          error: step.error ?? null,
          duration_ms: null,
          files: [],
          subagent: step.subagent ?? null,
          seen_by: 'records',
          guard: null,
        });
      }
    }
  } else {
    for (const prompt of input.prompts) threads.push(newThread(threads.length + 1, prompt.text, prompt.at));
  }

  // Steps placed by time: into the last thread whose prompt came at or before `at`.
  const place = (step: StepJson, at: number | undefined): void => {
    let target: ThreadJson | undefined;
    for (const thread of threads) {
      const start = ms(thread.prompt_at);
      if (start === undefined || at === undefined || start <= at) target = thread;
    }
    target ??= threads[0] ?? current();
    const index = target.steps.findIndex((s) => at !== undefined && (ms(s.at) ?? -Infinity) > at);
    if (index < 0) target.steps.push(step);
    else target.steps.splice(index, 0, step);
  };
  // Hook calls by their end (a call seen only by its post hook has a start reaching back past its
  // prompt: see core/concurrency.ts).
  for (const call of input.toolCalls) {
    if (used.has(call.toolUseId)) continue;
    place(hookStep(call), ms(call.endedAt ?? call.startedAt));
  }
  joinGuardDecisions(threads, input.guardDecisions ?? [], place);

  for (const thread of threads) {
    const cost = costs.get(thread);
    if (cost) thread.cost = costJson(cost.priced ? cost.usd : null, cost.unpriced);
    for (const step of thread.steps) {
      if (step.kind !== 'tool_call') continue;
      thread.tool_calls.total++;
      if (step.status === 'error' || step.status === 'denied') thread.tool_calls.errors++;
    }
    let last: number | undefined;
    let lastText: string | null = null;
    for (const step of thread.steps) {
      const t = ms(step.at);
      if (t !== undefined && (last === undefined || t >= last)) {
        last = t;
        lastText = step.at;
      }
    }
    thread.ended_at = lastText ?? thread.prompt_at;
    thread.duration_ms = span(thread.prompt_at, thread.ended_at);
  }
  return threads;
}

/**
 * Each guard decision onto its call's step (by tool-use id): a call the agent was told `deny` is `denied`.
 * A decision on a call no record shows (the agent never ran it, and its capture hook did not see it) is
 * a step of its own, at the decision's time.
 */
function joinGuardDecisions(threads: ThreadJson[], decisions: readonly GuardDecisionInput[], place: (step: StepJson, at: number | undefined) => void): void {
  if (decisions.length === 0) return;
  const steps = new Map<string, Extract<StepJson, { kind: 'tool_call' }>>();
  for (const thread of threads) for (const step of thread.steps) if (step.kind === 'tool_call') steps.set(step.tool_use_id, step);
  for (const d of decisions) {
    const guard: StepGuard = { rule: d.rule, decision: d.decision, outcome: d.outcome, message: d.message, mode: d.mode };
    const step = d.toolUseId === null ? undefined : steps.get(d.toolUseId);
    if (step !== undefined) {
      // The strongest decision on a call stays (a call is decided once; a retry of its id is another call).
      if (step.guard === null || (step.guard.outcome !== 'deny' && d.outcome === 'deny')) step.guard = guard;
      if (d.outcome === 'deny' && step.status !== 'ok') {
        step.status = 'denied';
        step.error ??= d.message;
      }
      continue;
    }
    place(
      {
        kind: 'tool_call',
        at: d.at,
        tool_use_id: d.toolUseId ?? `guard:${d.at}`,
        tool: d.tool,
        mcp_server: /^mcp__(.+?)__/.exec(d.tool)?.[1] ?? null,
        input: null,
        status: d.outcome === 'deny' ? 'denied' : 'pending',
        error: d.outcome === 'deny' ? d.message : null,
        duration_ms: null,
        files: [],
        subagent: null,
        seen_by: 'hooks',
        guard,
      },
      ms(d.at),
    );
  }
}

/** One thread's figures as the attestation carries them (`usage.by_thread`): a few numbers, nothing to redact. */
export interface ThreadUsage {
  idx: number;
  prompt_at: string | null;
  models: string[];
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  estimated_cost_usd?: number;
  /** Some of its usage is of a model without a price. */
  unpriced?: true;
  tool_calls: number;
  tool_errors: number;
}

export function threadUsage(threads: readonly ThreadJson[]): ThreadUsage[] {
  return threads.map((t) => ({
    idx: t.idx,
    prompt_at: t.prompt_at,
    models: [...t.models],
    input_tokens: t.token_usage.input,
    output_tokens: t.token_usage.output,
    cache_read_input_tokens: t.token_usage.cache_read,
    cache_creation_input_tokens: t.token_usage.cache_write,
    ...(t.cost.usd === null ? {} : { estimated_cost_usd: t.cost.usd }),
    ...(t.cost.unpriced ? { unpriced: true as const } : {}),
    tool_calls: t.tool_calls.total,
    tool_errors: t.tool_calls.errors,
  }));
}

/**
 * A tool call as an attestation keeps it (`raw_session.main` entries `{ type: "tool_call", id, name,
 * input, timestamp }`, retention `prompts`): its result is not kept, so its status is `unknown`
 * unless the guard denied it. `thread`: the idx of the thread whose prompt came last at or before it.
 */
export interface AttestedCall {
  thread: number | null;
  id: string;
  tool: string;
  input: unknown;
  at: string | null;
  status: ToolStatus;
  error: string | null;
  guard: StepGuard | null;
}

/**
 * The prompts and tool calls an attestation's `raw_session` keeps, each in its thread (`threads`: the
 * session's `usage.by_thread` idx and prompt times), with the guard's decisions joined by tool-use id
 * (a decision on a call the record does not show is a call of its own, as in `buildThreads`).
 * Records of `full` retention are the agent's own and are not read here.
 */
export function attestedCalls(
  rawSession: unknown,
  threads: readonly { idx: number; prompt_at: string | null }[],
  decisions: readonly GuardDecisionInput[],
): { prompts: { thread: number | null; text: string; at: string | null }[]; calls: AttestedCall[] } {
  const threadAt = (at: string | null): number | null => {
    const t = ms(at);
    let found: number | null = threads[0]?.idx ?? null;
    for (const thread of threads) {
      const start = ms(thread.prompt_at);
      if (start === undefined || t === undefined || start <= t) found = thread.idx;
    }
    return found;
  };
  const prompts: { thread: number | null; text: string; at: string | null }[] = [];
  const calls: AttestedCall[] = [];
  const main = isRecord(rawSession) && Array.isArray(rawSession.main) ? rawSession.main : [];
  for (const entry of main) {
    if (!isRecord(entry)) continue;
    const at = typeof entry.timestamp === 'string' ? entry.timestamp : null;
    if (entry.type === 'prompt' && typeof entry.text === 'string') {
      prompts.push({ thread: threads.find((t) => at !== null && t.prompt_at === at)?.idx ?? threadAt(at), text: entry.text, at });
    } else if (entry.type === 'tool_call' && typeof entry.id === 'string' && typeof entry.name === 'string') {
      calls.push({ thread: threadAt(at), id: entry.id, tool: entry.name, input: entry.input ?? null, at, status: 'unknown', error: null, guard: null });
    }
  }
  const byId = new Map(calls.map((call) => [call.id, call]));
  for (const d of decisions) {
    const guard: StepGuard = { rule: d.rule, decision: d.decision, outcome: d.outcome, message: d.message, mode: d.mode };
    const call = d.toolUseId === null ? undefined : byId.get(d.toolUseId);
    if (call === undefined) {
      const own: AttestedCall = { thread: threadAt(d.at), id: d.toolUseId ?? `guard:${d.at}`, tool: d.tool, input: null, at: d.at, status: d.outcome === 'deny' ? 'denied' : 'unknown', error: d.outcome === 'deny' ? d.message : null, guard };
      calls.push(own);
      byId.set(own.id, own);
      continue;
    }
    if (call.guard === null || (call.guard.outcome !== 'deny' && d.outcome === 'deny')) call.guard = guard;
    if (d.outcome === 'deny') {
      call.status = 'denied';
      call.error ??= d.message;
    }
  }
  calls.sort((a, b) => (ms(a.at) ?? Infinity) - (ms(b.at) ?? Infinity));
  return { prompts, calls };
}

/** An attested call as a step of its thread. */
export function attestedStep(call: AttestedCall): StepJson {
  return {
    kind: 'tool_call',
    at: call.at,
    tool_use_id: call.id,
    tool: call.tool,
    mcp_server: /^mcp__(.+?)__/.exec(call.tool)?.[1] ?? null,
    input: call.input,
    status: call.status,
    error: call.error,
    duration_ms: null,
    files: [],
    subagent: null,
    seen_by: 'records',
    guard: call.guard,
  };
}
