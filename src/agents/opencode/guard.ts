// The guard's answers for this agent (`trace hook opencode guard`), in its own decision format.
// OpenCode: {decision, reason} on stdout; trace's plugin (hooks/opencode/trace.js) throws on deny in
// tool.execute.before, which blocks the call. No ask.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: false,
  canDeny: true,
  answer: (a) => (a.kind === 'allow' ? NO_ANSWER : jsonAnswer({ decision: a.kind === 'warn' ? 'allow' : a.kind, reason: a.reason })),
};
