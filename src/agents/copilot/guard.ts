// The guard's answers for this agent (`trace hook copilot guard`), in its own decision format.
// Copilot: {permissionDecision, permissionDecisionReason} on stdout.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  answer: (a) => {
    // Copilot shows no note for an allowed call: warn is recorded only.
    if (a.kind === 'allow' || a.kind === 'warn') return NO_ANSWER;
    return jsonAnswer({ permissionDecision: a.kind, permissionDecisionReason: a.reason });
  },
};
