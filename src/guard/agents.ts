// Each agent's pre-tool payload as a guard call. The guard reuses the agent's capture parser
// (src/agents/<agent>/hooks.ts) for shell commands and written paths, and reads MCP calls itself (the
// capture parsers skip tools they do not capture). The answer formats are each agent's own
// (src/agents/<agent>/guard.ts, `AgentHooks.guard`): this file names no agent.
import { AGENT_HOOKS } from '../agents/hooks.js';
import type { AgentGuard, AgentHooks, GuardAnswer, GuardHookOutput } from '../agents/types.js';
import type { GuardCall } from './engine.js';
import { isRecord } from '../agents/payload.js';

export type Answer = GuardAnswer;
export type HookOutput = GuardHookOutput;

/** One agent as the guard sees it: its hooks (parser, names) and its decision formats. */
export interface GuardAdapter extends AgentGuard {
  hookName: string;
  /** Chainloop's name of the agent, as decisions record it. */
  name: string;
  hooks: AgentHooks;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function adapterOf(hooks: AgentHooks): GuardAdapter | undefined {
  const guard = hooks.guard;
  if (guard === undefined) return undefined;
  return { hookName: hooks.hookName, name: hooks.name, hooks, preEvent: guard.preEvent, canAsk: guard.canAsk, canDeny: guard.canDeny, ...(guard.lane ? { lane: guard.lane } : {}), answer: (a) => guard.answer(a) };
}

/** The agent of `trace hook <hookName> guard`; undefined for an agent without a guard. */
export function guardAdapter(hookName: string): GuardAdapter | undefined {
  const hooks = AGENT_HOOKS.find((h) => h.hookName === hookName);
  return hooks === undefined ? undefined : adapterOf(hooks);
}

/** The tool name of a raw payload, in any agent's spelling. */
function rawToolName(payload: Json): string | undefined {
  return str(payload.tool_name) ?? str(payload.toolName) ?? str(payload.tool);
}

/**
 * An MCP call's server and tool: `mcp__<server>__<tool>` (Claude Code, Codex), Gemini's `mcp_context`,
 * Cursor's `MCP:<tool>` with the server in the payload, or a payload naming its server.
 */
export function mcpOf(tool: string, payload: Json): { server: string; tool: string } | undefined {
  const claude = /^mcp__(.+?)__(.+)$/.exec(tool);
  if (claude !== null) return { server: claude[1]!, tool: claude[2]! };
  const context = isRecord(payload.mcp_context) ? payload.mcp_context : undefined;
  const server = str(context?.server_name) ?? str(payload.server_name) ?? str(payload.server) ?? str(payload.mcp_server);
  if (server !== undefined) return { server, tool: str(context?.tool_name) ?? tool.replace(/^MCP:/, '') };
  const gemini = /^mcp_([^_]+)_(.+)$/.exec(tool);
  if (gemini !== null) return { server: gemini[1]!, tool: gemini[2]! };
  if (tool.startsWith('MCP:')) return { server: '', tool: tool.slice(4) };
  return undefined;
}

export interface ParsedGuardCall {
  call: GuardCall;
  sessionId: string;
  toolUseId: string | undefined;
  cwd: string | undefined;
}

/** A pre-tool payload as a guard call; a string when it is not one (the reason, for the log). */
export function guardCallOf(adapter: GuardAdapter, payload: unknown): ParsedGuardCall | string {
  if (!isRecord(payload)) return 'payload: expected a JSON object';
  const hooks = adapter.hooks;
  const parsed = hooks.parse(adapter.preEvent, payload);
  const event = parsed.ok ? parsed.events.find((e) => e.name === 'pre-tool-use') : undefined;
  const sessionId = event?.sessionId ?? str(payload.session_id) ?? str(payload.sessionId) ?? str(payload.conversation_id) ?? '';
  const cwd = event?.cwd ?? str(payload.cwd) ?? (Array.isArray(payload.workspace_roots) ? str(payload.workspace_roots[0]) : undefined);
  const tool = event?.tool;
  if (tool !== undefined) {
    const command = tool.kind === 'shell' ? (hooks.shellCommand(tool.name, tool.input) ?? commandOfInput(tool.input)) : undefined;
    return {
      call: { tool: tool.name, kind: tool.kind, paths: tool.filePaths, ...(command === undefined ? {} : { command }) },
      sessionId,
      toolUseId: tool.useId,
      cwd,
    };
  }
  if (!parsed.ok && !parsed.ignored && rawToolName(payload) === undefined) return parsed.problems.join('; ');
  const name = rawToolName(payload);
  if (name === undefined) return 'payload: no tool name';
  const toolUseId = str(payload.tool_use_id) ?? str(payload.toolUseId) ?? str(payload.call_id);
  const mcp = mcpOf(name, payload);
  const input = isRecord(payload.tool_input) ? payload.tool_input : isRecord(payload.args) ? payload.args : {};
  // A shell command the capture parser did not take (a tool it does not capture, Cursor's beforeShellExecution).
  const command = str(payload.command) ?? commandOfInput(input);
  const call: GuardCall = mcp
    ? { tool: name, kind: 'mcp', paths: [], mcpServer: mcp.server, mcpTool: mcp.tool }
    : command !== undefined && /shell|bash|command|exec/i.test(name)
      ? { tool: name, kind: 'shell', paths: [], command }
      : { tool: name, kind: 'other', paths: [] };
  return { call, sessionId, toolUseId, cwd };
}

function commandOfInput(input: Record<string, unknown>): string | readonly string[] | undefined {
  const command = input.command;
  if (typeof command === 'string' && command !== '') return command;
  if (Array.isArray(command) && command.length > 0 && command.every((w) => typeof w === 'string')) return command;
  return undefined;
}
