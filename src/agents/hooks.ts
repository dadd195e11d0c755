// The hot-path registry: `trace hook <hookName> <event>` finds its agent here. The hook bundle carries
// every agent's hooks.ts, so each stays small and imports nothing heavy.
import { hooks as claude } from './claude/hooks.js';
import { hooks as cursor } from './cursor/hooks.js';
import { hooks as codex } from './codex/hooks.js';
import { hooks as gemini } from './gemini/hooks.js';
import { hooks as copilot } from './copilot/hooks.js';
import { hooks as opencode } from './opencode/hooks.js';
import type { AgentHooks } from './types.js';

export const AGENT_HOOKS: readonly AgentHooks[] = [claude, cursor, codex, gemini, copilot, opencode];

/** The agent of `trace hook <hookName>`. */
export function hooksByHookName(hookName: string): AgentHooks | undefined {
  return AGENT_HOOKS.find((hooks) => hooks.hookName === hookName);
}

/** The agent a session was recorded by (its Chainloop name, as the store keeps it). */
export function hooksByName(name: string): AgentHooks | undefined {
  return AGENT_HOOKS.find((hooks) => hooks.name === name);
}
