// What the agents' guard answers are made of (src/agents/<agent>/guard.ts): nothing for an allowed
// call, or one JSON line on stdout.
import type { GuardHookOutput } from './types.js';

export const NO_ANSWER: GuardHookOutput = { exitCode: 0 };

export function jsonAnswer(value: unknown): GuardHookOutput {
  return { stdout: `${JSON.stringify(value)}\n`, exitCode: 0 };
}
