// The guard's answers for this agent (`trace hook copilot guard`), in its own decision format.
// Copilot: {permissionDecision, permissionDecisionReason} on stdout.
import type { AgentGuard, GuardHookOutput } from '../types.js';

const NOTHING: GuardHookOutput = { exitCode: 0 };
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  answer: (a) => {
    // Copilot shows no note for an allowed call: warn is recorded only.
    if (a.kind === 'allow' || a.kind === 'warn') return NOTHING;
    return { stdout: json({ permissionDecision: a.kind, permissionDecisionReason: a.reason }), exitCode: 0 };
  },
};
