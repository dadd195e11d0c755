// A Claude Code session step by step (prompts, model responses with their tokens and cost, tool
// calls), from its transcript. Pure: the caller reads the files.
//
// Responses follow the summary's rules (summary.ts): one step per `message.id` across all files, the
// snapshot with the most output tokens, `<synthetic>` skipped, the first file to show a response owns
// it. So the steps' tokens add up to the summary's totals, and a thread's tokens are the sum of its steps.
// A subagent's responses from its own file go right after the tool call that started it.

import { estimateCost, withoutContextTag } from '../../core/prices.js';
import type { AgentStep, StepTokens } from '../types.js';
import { parseJsonLines } from '../records.js';
import { humanPromptText, mcpServerOf, normalizeToolName, readUsage, type ClaudeTranscriptInput } from './summary.js';

type Json = Record<string, unknown>;
type Assistant = Extract<AgentStep, { kind: 'assistant' }>;
type ToolStep = Extract<AgentStep, { kind: 'tool_call' }>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Pending {
  step: Assistant;
  fast: boolean;
  rawOutput: number;
  cacheWrite1h: number;
  cacheWrite5m: number;
}

/** `subagentToolUse`: each subagent's spawning tool call (from the summary), for placing its own file's steps. */
export function claudeSteps(input: ClaudeTranscriptInput, subagentToolUse: ReadonlyMap<string, string> = new Map()): AgentStep[] {
  const responses = new Map<string, Pending>();
  const tools = new Map<string, ToolStep>();
  const promptUuids = new Set<string>();

  const walk = (text: string, owner: string | undefined): AgentStep[] => {
    const steps: AgentStep[] = [];
    parseJsonLines(text).records.forEach((record, index) => {
      const at = str(record.timestamp);
      if (record.type === 'user') {
        toolResults(record, tools);
        if (owner !== undefined) return;
        const prompt = humanPromptText(record);
        if (prompt === undefined) return;
        const uuid = str(record.uuid);
        if (uuid !== undefined) {
          if (promptUuids.has(uuid)) return;
          promptUuids.add(uuid);
        }
        steps.push(at === undefined ? { kind: 'prompt', text: prompt } : { kind: 'prompt', at, text: prompt });
        return;
      }
      let message: Json | undefined;
      let key: string | undefined;
      let subagent = owner ?? (record.isSidechain === true ? str(record.agentId) ?? 'sidechain' : undefined);
      if (record.type === 'assistant') {
        message = obj(record.message);
        key = str(message?.id) ?? str(record.requestId) ?? str(record.uuid) ?? `${owner ?? ''}:${index}`;
      } else if (record.type === 'progress') {
        const data = obj(record.data);
        const inner = obj(data?.message);
        if (data?.type !== 'agent_progress' || inner?.type !== 'assistant') return;
        message = obj(inner.message);
        subagent = str(data.agentId) ?? subagent;
        key = str(message?.id) ?? str(inner.requestId) ?? str(inner.uuid) ?? `${owner ?? ''}:${index}:progress`;
      }
      if (message === undefined || key === undefined) return;
      const rawModel = str(message.model);
      if (rawModel === '<synthetic>') return;
      const rawUsage = obj(message.usage);
      const usage = readUsage(rawUsage);
      const seen = responses.get(key);
      if (seen === undefined) {
        const step: Assistant = { kind: 'assistant', id: key, tokens: tokensOf(usage), unpriced: false };
        if (at !== undefined) step.at = at;
        if (rawModel !== undefined) step.model = withoutContextTag(rawModel);
        if (subagent !== undefined) step.subagent = subagent;
        responses.set(key, { step, fast: rawUsage?.speed === 'fast', rawOutput: usage.output, cacheWrite1h: usage.cacheWrite1h, cacheWrite5m: usage.cacheWrite5m });
        steps.push(step);
      } else {
        if (usage.output >= seen.rawOutput) {
          seen.step.tokens = tokensOf(usage);
          seen.rawOutput = usage.output;
          seen.cacheWrite1h = usage.cacheWrite1h;
          seen.cacheWrite5m = usage.cacheWrite5m;
        }
        if (seen.step.model === undefined && rawModel !== undefined) seen.step.model = withoutContextTag(rawModel);
        seen.fast ||= rawUsage?.speed === 'fast';
      }
      const pending = responses.get(key)!;
      arr(message.content).forEach((raw, blockIndex) => {
        const block = obj(raw);
        if (block?.type === 'thinking' && typeof block.thinking === 'string' && block.thinking !== '') {
          pending.step.thinking = pending.step.thinking === undefined ? block.thinking : `${pending.step.thinking}\n${block.thinking}`;
          return;
        }
        if (block?.type !== 'tool_use') return;
        const rawName = str(block.name);
        if (rawName === undefined) return;
        const id = str(block.id) ?? `${key}#${blockIndex}`;
        if (tools.has(id)) return;
        const name = normalizeToolName(rawName);
        const step: ToolStep = { kind: 'tool_call', id, name, input: block.input ?? null };
        if (at !== undefined) step.at = at;
        const server = mcpServerOf(name);
        if (server !== undefined) step.mcpServer = server;
        if (subagent !== undefined) step.subagent = subagent;
        tools.set(id, step);
        steps.push(step);
      });
    });
    return steps;
  };

  const steps = walk(input.main, undefined);
  for (const file of [...input.subagents].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))) {
    const own = walk(file.text, file.agentId);
    if (own.length === 0) continue;
    const spawnedBy = subagentToolUse.get(file.agentId);
    const at = spawnedBy === undefined ? -1 : steps.findIndex((step) => step.kind === 'tool_call' && step.id === spawnedBy);
    if (at < 0) steps.push(...own);
    else steps.splice(at + 1, 0, ...own);
  }
  for (const { step, fast, cacheWrite1h, cacheWrite5m } of responses.values()) {
    if (step.model === undefined) {
      step.unpriced = true;
      continue;
    }
    const t = step.tokens;
    const estimate = estimateCost(step.model, { input: t.input, output: t.output, cacheRead: t.cacheRead, cacheWrite5m, cacheWrite1h }, { fast });
    if (estimate.usd === undefined) step.unpriced = true;
    else step.costUsd = estimate.usd;
  }
  return steps;
}

function tokensOf(usage: ReturnType<typeof readUsage>): StepTokens {
  return { input: usage.input, cacheRead: usage.cacheRead, cacheWrite: usage.cacheWrite5m + usage.cacheWrite1h, output: usage.output };
}

/** A tool result marked as an error: its text goes on the call (hooks do not see every tool's failure). */
function toolResults(record: Json, tools: Map<string, ToolStep>): void {
  for (const raw of arr(obj(record.message)?.content)) {
    const block = obj(raw);
    if (block?.type !== 'tool_result' || block.is_error !== true) continue;
    const call = tools.get(str(block.tool_use_id) ?? '');
    if (call === undefined) continue;
    const text = typeof block.content === 'string' ? block.content : arr(block.content).map((c) => str(obj(c)?.text) ?? '').join('\n');
    call.error = text.slice(0, 2000) || 'error';
  }
}
