// The guard's decisions joined onto a session's threads (core/threads.ts): a call the agent was told
// `deny` is a denied step with its rule; other decisions are shown on their step; a decision on a call
// no record shows is a step of its own.
import { describe, expect, it } from 'vitest';
import { buildThreads, type GuardDecisionInput, type HookToolCall } from '../../src/core/threads.js';

const call = (id: string, at: string, status: HookToolCall['status'], error: string | null = null): HookToolCall => ({
  toolUseId: id,
  agentId: null,
  tool: 'Bash',
  input: { command: id },
  startedAt: at,
  endedAt: status === 'pending' ? null : at,
  status,
  error,
  files: [],
});
const decision = (toolUseId: string | null, at: string, outcome: GuardDecisionInput['outcome'], rule = 'rm-root'): GuardDecisionInput => ({
  at,
  toolUseId,
  tool: 'Bash',
  rule,
  decision: outcome === 'ask' ? 'ask' : 'deny',
  outcome,
  message: `${rule} says no`,
  mode: outcome === 'warn' ? 'warn' : 'enforce',
});

describe('guard decisions in threads', () => {
  const prompts = [{ at: '2026-12-01T10:00:00.000Z', text: 'clean up' }];

  it('marks the denied call, keeps the others as they ran, and counts the denial as an error', () => {
    const [thread] = buildThreads({
      prompts,
      toolCalls: [call('t1', '2026-12-01T10:00:01.000Z', 'pending'), call('t2', '2026-12-01T10:00:02.000Z', 'done'), call('t3', '2026-12-01T10:00:03.000Z', 'failed', 'exit 1')],
      agentSteps: undefined,
      guardDecisions: [decision('t1', '2026-12-01T10:00:01.000Z', 'deny'), decision('t2', '2026-12-01T10:00:02.000Z', 'warn', 'secret-in-command')],
    });
    const steps = thread!.steps.filter((s) => s.kind === 'tool_call');
    expect(steps.map((s) => [s.tool_use_id, s.status, s.guard?.rule ?? null, s.guard?.outcome ?? null])).toEqual([
      ['t1', 'denied', 'rm-root', 'deny'],
      ['t2', 'ok', 'secret-in-command', 'warn'],
      ['t3', 'error', null, null],
    ]);
    expect(steps[0]!.error).toBe('rm-root says no');
    expect(thread!.tool_calls).toEqual({ total: 3, errors: 2 });
  });

  it('a decision on a call nobody recorded is a step of its own, in the thread of its time', () => {
    const threads = buildThreads({
      prompts: [...prompts, { at: '2026-12-01T11:00:00.000Z', text: 'again' }],
      toolCalls: [],
      agentSteps: undefined,
      guardDecisions: [decision(null, '2026-12-01T11:00:05.000Z', 'deny'), decision('t9', '2026-12-01T10:30:00.000Z', 'ask', 'no-prod')],
    });
    expect(threads.map((t) => t.steps.map((s) => (s.kind === 'tool_call' ? [s.tool_use_id, s.status, s.guard?.rule] : [])))).toEqual([
      [['t9', 'pending', 'no-prod']],
      [['guard:2026-12-01T11:00:05.000Z', 'denied', 'rm-root']],
    ]);
  });

  it('a deny outweighs an earlier warning on the same call; a call that ran stays as it ran', () => {
    const [thread] = buildThreads({
      prompts,
      toolCalls: [call('t1', '2026-12-01T10:00:01.000Z', 'pending'), call('t2', '2026-12-01T10:00:02.000Z', 'done')],
      agentSteps: undefined,
      guardDecisions: [decision('t1', '2026-12-01T10:00:01.000Z', 'warn', 'w'), decision('t1', '2026-12-01T10:00:01.000Z', 'deny', 'd'), decision('t2', '2026-12-01T10:00:02.000Z', 'deny', 'd')],
    });
    const steps = thread!.steps.filter((s) => s.kind === 'tool_call');
    expect(steps.map((s) => [s.status, s.guard?.rule])).toEqual([
      ['denied', 'd'],
      ['ok', 'd'],
    ]);
  });
});
