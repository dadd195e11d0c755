// The guard's answers for this agent (`trace hook codex guard`), in its own decision format.
// Codex: its PreToolUse can only deny: exit 2 with the reason on stderr.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: false,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NO_ANSWER;
    if (a.kind === 'warn') return jsonAnswer({ systemMessage: a.reason });
    return { stderr: `${a.reason}\n`, exitCode: 2 };
  },
};
