// The registry of agents trace captures. Adding one: a folder src/agents/<agent>/ whose index.ts
// exports an `Agent`, one line here and one in hooks.ts (the hot path's registry).
import { agent as claude } from './claude/index.js';
import type { Agent } from './types.js';

export const AGENTS: readonly Agent[] = [claude];

/** The agent of a `trace init --<hookName>` flag or `trace hook <hookName>`. */
export function agentByHookName(hookName: string): Agent | undefined {
  return AGENTS.find((agent) => agent.hooks.hookName === hookName);
}

/** The agent a session was recorded by (its Chainloop name). */
export function agentByName(name: string): Agent | undefined {
  return AGENTS.find((agent) => agent.hooks.name === name);
}
