// The registry of agents trace captures. Adding one (Windsurf, Cline, Kiro): a folder src/agents/<agent>/
// whose index.ts exports an `Agent` and whose hooks.ts exports its `AgentHooks`, one line here and one in
// hooks.ts (the hot path's registry). Claude Code comes first: `trace init` without a flag always sets it up.
import { agent as claude } from './claude/index.js';
import { agent as cursor } from './cursor/index.js';
import { agent as codex } from './codex/index.js';
import { agent as gemini } from './gemini/index.js';
import { agent as copilot } from './copilot/index.js';
import { agent as opencode } from './opencode/index.js';
import type { Agent } from './types.js';

export const AGENTS: readonly Agent[] = [claude, cursor, codex, gemini, copilot, opencode];

/** The agent a session was recorded by (its Chainloop name). */
export function agentByName(name: string): Agent | undefined {
  return AGENTS.find((agent) => agent.hooks.name === name);
}
