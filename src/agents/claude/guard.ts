// The guard's answers for this agent (`trace hook claude guard`), in its own decision format.
// Claude Code: hookSpecificOutput.permissionDecision deny or ask with the reason on stdout; a note for warn.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NOTHING;
    if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
    return { stdout: json({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: a.kind, permissionDecisionReason: a.reason } }), exitCode: 0 };
  },
};
