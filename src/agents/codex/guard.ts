// The guard's answers for this agent (`trace hook codex guard`), in its own decision format.
// Codex: its PreToolUse can only deny: exit 2 with the reason on stderr.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: false,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NOTHING;
    if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
    return { stderr: `${a.reason}\n`, exitCode: 2 };
  },
};
