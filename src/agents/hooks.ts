// The hot-path registry: `trace hook <hookName> <event>` finds its agent here. The hook bundle carries
// every agent's hooks.ts, so each stays small and imports nothing heavy.
import { hooks as claude } from './claude/hooks.js';
import type { AgentHooks } from './types.js';

export const AGENT_HOOKS: readonly AgentHooks[] = [claude];

/** The agent of `trace hook <hookName>`. */
export function hooksByHookName(hookName: string): AgentHooks | undefined {
  return AGENT_HOOKS.find((hooks) => hooks.hookName === hookName);
}

/** The agent a session was recorded by (its Chainloop name, as the store keeps it). */
export function hooksByName(name: string): AgentHooks | undefined {
  return AGENT_HOOKS.find((hooks) => hooks.name === name);
}
