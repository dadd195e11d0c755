// The guard's answers for this agent (`trace hook cursor guard`), in its own decision format.
// Cursor: {permission, user_message, agent_message} on stdout.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  answer: (a) => {
    if (a.kind === 'allow') return NOTHING;
    if (a.kind === 'warn') return { stdout: json({ permission: 'allow', user_message: a.reason }), exitCode: 0 };
    return { stdout: json({ permission: a.kind, user_message: a.reason, agent_message: a.reason }), exitCode: 0 };
  },
};
