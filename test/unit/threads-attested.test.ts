// What an attestation keeps of a session's calls (core/threads.ts attestedCalls): the prompts and tool calls of
// `raw_session` (retention `prompts`) placed in their threads, with the guard's decisions joined; a
// call's result is not kept, so its status is `unknown` unless the guard denied it.
import { describe, expect, it } from 'vitest';
import { attestedCalls, attestedStep, type GuardDecisionInput } from '../../src/core/threads.js';

const threads = [
  { idx: 1, prompt_at: '2026-12-01T10:00:00.000Z' },
  { idx: 2, prompt_at: '2026-12-01T10:05:00.000Z' },
];
const raw = {
  main: [
    { type: 'prompt', text: 'first', timestamp: '2026-12-01T10:00:00.000Z' },
    { type: 'tool_call', id: 'toolu_a', name: 'Edit', input: { file_path: 'a.ts' }, timestamp: '2026-12-01T10:01:00.000Z' },
    { type: 'prompt', text: 'second', timestamp: '2026-12-01T10:05:00Z' },
    { type: 'tool_call', id: 'toolu_b', name: 'Bash', input: { command: 'rm -rf /' }, timestamp: '2026-12-01T10:06:00.000Z' },
    { type: 'tool_call', id: 'toolu_c', name: 'mcp__github__create_issue', input: {}, timestamp: '2026-12-01T10:07:00.000Z' },
    { type: 'assistant', text: 'not a kept kind' },
  ],
};
const deny = (toolUseId: string | null, at: string): GuardDecisionInput => ({ at, toolUseId, tool: 'Bash', rule: 'forbidden-command', decision: 'deny', outcome: 'deny', message: 'no', mode: 'enforce' });

describe('attestedCalls: the prompts and calls an attestation keeps', () => {
  it('puts each prompt and call in the thread whose prompt came last at or before it, with an unknown status', () => {
    const { prompts, calls } = attestedCalls(raw, threads, []);
    expect(prompts).toEqual([
      { thread: 1, text: 'first', at: '2026-12-01T10:00:00.000Z' },
      { thread: 2, text: 'second', at: '2026-12-01T10:05:00Z' },
    ]);
    expect(calls.map((c) => [c.id, c.thread, c.status])).toEqual([
      ['toolu_a', 1, 'unknown'],
      ['toolu_b', 2, 'unknown'],
      ['toolu_c', 2, 'unknown'],
    ]);
    expect(attestedStep(calls[2]!)).toMatchObject({ kind: 'tool_call', mcp_server: 'github', seen_by: 'records', files: [] });
  });

  it("joins the guard's decisions by tool-use id, and keeps a decision on a call the record lacks as a call of its own", () => {
    const { calls } = attestedCalls(raw, threads, [deny('toolu_b', '2026-12-01T10:06:00.000Z'), deny(null, '2026-12-01T10:08:00.000Z')]);
    expect(calls.find((c) => c.id === 'toolu_b')).toMatchObject({ status: 'denied', error: 'no', guard: { rule: 'forbidden-command', outcome: 'deny' } });
    expect(calls.at(-1)).toMatchObject({ id: 'guard:2026-12-01T10:08:00.000Z', thread: 2, status: 'denied', input: null });
  });

  it('reads nothing from a missing or foreign raw_session (retention none, or full records)', () => {
    expect(attestedCalls(undefined, threads, [])).toEqual({ prompts: [], calls: [] });
    expect(attestedCalls({ main: [{ type: 'user', message: {} }] }, [], [])).toEqual({ prompts: [], calls: [] });
  });
});
