// The guard's answers for this agent (`trace hook cursor guard`), in its own decision format.
// Cursor: {permission, user_message, agent_message} on stdout.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NO_ANSWER;
    if (a.kind === 'warn') return jsonAnswer({ permission: 'allow', user_message: a.reason });
    return jsonAnswer({ permission: a.kind, user_message: a.reason, agent_message: a.reason });
  },
};
