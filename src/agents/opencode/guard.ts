// The guard's answers for this agent (`trace hook opencode guard`), in its own decision format.
// OpenCode: {decision, reason} on stdout; trace's plugin (hooks/opencode/trace.js) throws on deny in
// tool.execute.before, which blocks the call. No ask.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: false,
  canDeny: true,
  answer: (a) => (a.kind === 'allow' ? NOTHING : { stdout: json({ decision: a.kind === 'warn' ? 'allow' : a.kind, reason: a.reason }), exitCode: 0 }),
};
