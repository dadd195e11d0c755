// The guard's answers for this agent (`trace hook gemini guard`), in its own decision format.
// Gemini CLI: {decision: "deny", reason} on stdout (no ask); a note for warn.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'before-tool',
  canAsk: false,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NO_ANSWER;
    if (a.kind === 'warn') return jsonAnswer({ systemMessage: a.reason });
    return jsonAnswer({ decision: 'deny', reason: a.reason });
  },
};
