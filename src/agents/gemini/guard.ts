// The guard's answers for this agent (`trace hook gemini guard`), in its own decision format.
// Gemini CLI: {decision: "deny", reason} on stdout (no ask); a note for warn.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'before-tool',
  canAsk: false,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NOTHING;
    if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
    return { stdout: json({ decision: 'deny', reason: a.reason }), exitCode: 0 };
  },
};
