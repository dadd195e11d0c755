// Reads a Codex session back from its rollout (the `transcript_path` of its hook payloads).
// A missing or unreadable rollout is a warning, never thrown.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readRegularFile } from '../read-file.js';
import { errorMessage } from '../../errors.js';
import type { SessionRecord, Store } from '../../store.js';
import type { AgentSessionRead, SubagentSummary, TranscriptSummary, UsageTotals } from '../types.js';
import { PATCH_TOOLS } from './hooks.js';
import { parseRollout, summarizeCodexRollout } from './rollout.js';

/** Reading one rollout may take this long at most. */
const READ_BUDGET_MS = 5_000;

/** What a rollout cannot say, whatever it holds. */
export const ROLLOUT_LIMITS = [
  'Codex cost is estimated at API prices; with ChatGPT sign-in Codex bills in plan credits, not per token',
];

const isPatchTool = (name: string): boolean => (PATCH_TOOLS as readonly string[]).includes(name);

/**
 * The session from rollout text: the pure part of `readCodexSession`. `capturedPatches`: how many
 * apply_patch calls trace's hooks recorded for the session; fewer than the rollout holds means edits
 * went by unseen (hooks not trusted yet, or a Codex build whose hooks cover only Bash).
 */
export function codexSessionFromRollout(text: string, capturedPatches?: number): AgentSessionRead {
  const parsed = parseRollout(text);
  const { summary, conversation } = summarizeCodexRollout(parsed);
  const warnings = [...ROLLOUT_LIMITS];
  const patches = conversation.filter((entry) => entry.type === 'tool_call' && isPatchTool(entry.name)).length;
  if (capturedPatches !== undefined && patches > capturedPatches) {
    warnings.push(
      `${patches - capturedPatches} of ${patches} apply_patch call(s) in the Codex rollout were not seen by trace's hooks (hooks not trusted in Codex's /hooks yet, or a Codex build whose hooks cover only Bash): the lines they wrote are not attributed to this session`,
    );
  }
  return { summary, warnings, conversation, records: parsed.records };
}

export async function readCodexSession(session: Pick<SessionRecord, 'id' | 'transcript_path'>, store?: Pick<Store, 'toolCalls'>): Promise<AgentSessionRead> {
  const path = session.transcript_path;
  if (!path) return { summary: null, warnings: ['no rollout path was recorded for this Codex session (its hooks sent no transcript_path); session usage is unknown'], conversation: null, records: null };
  let text: string;
  try {
    text = await readRegularFile(path, { deadline: Date.now() + READ_BUDGET_MS });
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    return {
      summary: null,
      warnings: [missing ? `Codex rollout ${path} not found (moved to archived_sessions or removed); session usage is unknown` : `cannot read Codex rollout ${path}: ${errorMessage(error)}`],
      conversation: null,
      records: null,
    };
  }
  const captured = store?.toolCalls(session.id).filter((call) => isPatchTool(call.tool_name)).length;
  const read = codexSessionFromRollout(text, captured);
  if (read.summary !== null && read.records !== null) await addSubagentThreads(read.summary, read.records, path, read.warnings);
  return read;
}

/** The subagent threads a rollout started: multi_agent_v2's `SubAgentActivity` items (0.171.0), by thread id and task path. */
export function spawnedThreads(records: readonly unknown[]): { id: string; path: string | undefined }[] {
  const threads = new Map<string, string | undefined>();
  for (const record of records) {
    const payload = (record as { payload?: unknown } | null)?.payload as { type?: unknown; item?: { type?: unknown; kind?: unknown; agent_thread_id?: unknown; agent_path?: unknown } } | undefined;
    const item = payload?.type === 'item_completed' ? payload.item : undefined;
    if (item?.type !== 'SubAgentActivity' || item.kind !== 'started' || typeof item.agent_thread_id !== 'string' || item.agent_thread_id === '') continue;
    threads.set(item.agent_thread_id, typeof item.agent_path === 'string' ? item.agent_path : undefined);
  }
  return [...threads].map(([id, path]) => ({ id, path }));
}

const addTotals = (a: UsageTotals, b: UsageTotals): UsageTotals => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
  cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
  cacheCreation5mInputTokens: a.cacheCreation5mInputTokens + b.cacheCreation5mInputTokens,
  cacheCreation1hInputTokens: a.cacheCreation1hInputTokens + b.cacheCreation1hInputTokens,
  totalTokens: a.totalTokens + b.totalTokens,
});

/**
 * Codex writes each subagent thread to a rollout of its own (`rollout-…-<thread id>.jsonl`, beside the
 * parent's): its usage joins the session's totals and models, and it is listed as a subagent. A thread
 * whose rollout is not beside the parent's stays out of the totals, with a warning. One level: a
 * subagent's own subagents are read from its rollout the same way.
 */
export async function addSubagentThreads(summary: TranscriptSummary, records: readonly unknown[], parentPath: string, warnings: string[], depth = 0): Promise<void> {
  const threads = spawnedThreads(records);
  if (threads.length === 0) return;
  const dir = dirname(parentPath);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    // every thread is reported missing below
  }
  let found = 0;
  for (const thread of threads) {
    const name = names.find((n) => n.endsWith(`-${thread.id}.jsonl`));
    if (name === undefined) {
      warnings.push(`Codex subagent thread ${thread.id}: no rollout beside ${parentPath}; its tokens are not in the session totals`);
      continue;
    }
    let text: string;
    try {
      text = await readRegularFile(join(dir, name), { deadline: Date.now() + READ_BUDGET_MS });
    } catch (error) {
      warnings.push(`cannot read Codex subagent rollout ${join(dir, name)}: ${errorMessage(error)}`);
      continue;
    }
    const parsed = parseRollout(text);
    const child = summarizeCodexRollout(parsed).summary;
    if (depth < 4) await addSubagentThreads(child, parsed.records, join(dir, name), warnings, depth + 1);
    found++;
    summary.usage = addTotals(summary.usage, child.usage);
    for (const model of child.usageByModel) {
      const mine = summary.usageByModel.find((m) => m.model === model.model);
      if (mine === undefined) summary.usageByModel.push({ ...model });
      else {
        mine.responses += model.responses;
        mine.inputTokens += model.inputTokens;
        mine.outputTokens += model.outputTokens;
        mine.cacheReadInputTokens += model.cacheReadInputTokens;
        mine.cacheCreation5mInputTokens += model.cacheCreation5mInputTokens;
        mine.estimatedCostUsd = mine.estimatedCostUsd === undefined || model.estimatedCostUsd === undefined ? undefined : Math.round((mine.estimatedCostUsd + model.estimatedCostUsd) * 1e6) / 1e6;
      }
    }
    summary.estimatedCostUsd = summary.estimatedCostUsd === undefined || child.estimatedCostUsd === undefined ? undefined : Math.round((summary.estimatedCostUsd + child.estimatedCostUsd) * 1e6) / 1e6;
    summary.costComplete &&= child.costComplete;
    const sub: SubagentSummary = { id: thread.id, transcriptFound: true, models: child.modelsUsed, usage: child.usage, estimatedCostUsd: child.estimatedCostUsd };
    if (thread.path !== undefined) sub.type = thread.path;
    summary.subagents.push(sub, ...child.subagents);
  }
  summary.usageByModel.sort((a, b) => b.outputTokens - a.outputTokens || b.responses - a.responses);
  summary.modelsUsed = summary.usageByModel.map((m) => m.model);
  if (summary.usageByModel[0] !== undefined) summary.primaryModel = summary.usageByModel[0].model;
  // Every thread read: the summary's "not in these totals" no longer holds.
  if (found === threads.length) {
    const stale = (w: string) => /subagent\(s\) spawned: Codex writes each to its own rollout/.test(w);
    summary.warnings = summary.warnings.filter((w) => !stale(w));
    for (let i = warnings.length - 1; i >= 0; i--) if (stale(warnings[i]!)) warnings.splice(i, 1);
  }
}
