// Each agent's pre-tool payload as a guard call, and the guard's answer in the agent's own decision
// format. The guard reuses the agent's capture parser (src/agents/<agent>/hooks.ts) for shell commands
// and written paths, and reads MCP calls itself (the capture parsers skip tools they do not capture).
//
//   agent        ask   deny  how
//   claude-code  yes   yes   stdout hookSpecificOutput.permissionDecision (+ systemMessage for warn)
//   cursor       yes   yes   stdout {permission, user_message, agent_message}
//   codex        no    yes   exit 2, the reason on stderr (Codex's PreToolUse can only deny)
//   gemini-cli   no    yes   stdout {decision: "deny", reason} (+ systemMessage for warn)
//   copilot      yes   yes   stdout {permissionDecision, permissionDecisionReason}
//   opencode     no    yes   stdout {decision, reason}; trace's plugin throws on deny
import { AGENT_HOOKS } from '../agents/hooks.js';
import type { AgentHooks } from '../agents/types.js';
import type { GuardCall } from './engine.js';

/** What the hook tells the agent. `warn`: no decision, a note for the person (where the agent shows one). */
export type Answer = { kind: 'allow' } | { kind: 'warn'; reason: string } | { kind: 'ask' | 'deny'; reason: string };

export interface HookOutput {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

export interface GuardAdapter {
  hookName: string;
  /** The agent's own event name for a pre-tool call, as its parser knows it. */
  preEvent: string;
  /** Whether the agent can ask the person (else an ask is decided by `headlessAsk`). */
  canAsk: boolean;
  /** Whether the guard can block a call at all; an agent that cannot is guarded in `warn`. */
  canDeny: boolean;
  answer(answer: Answer): HookOutput;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const json = (value: unknown): string => `${JSON.stringify(value)}\n`;
const NOTHING: HookOutput = { exitCode: 0 };

const ADAPTERS: Record<string, GuardAdapter> = {
  claude: {
    hookName: 'claude',
    preEvent: 'pre-tool-use',
    canAsk: true,
    canDeny: true,
    answer: (a) => {
      if (a.kind === 'allow') return NOTHING;
      if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
      return { stdout: json({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: a.kind, permissionDecisionReason: a.reason } }), exitCode: 0 };
    },
  },
  cursor: {
    hookName: 'cursor',
    preEvent: 'pre-tool-use',
    canAsk: true,
    canDeny: true,
    answer: (a) => {
      if (a.kind === 'allow') return NOTHING;
      if (a.kind === 'warn') return { stdout: json({ permission: 'allow', user_message: a.reason }), exitCode: 0 };
      return { stdout: json({ permission: a.kind, user_message: a.reason, agent_message: a.reason }), exitCode: 0 };
    },
  },
  codex: {
    hookName: 'codex',
    preEvent: 'pre-tool-use',
    canAsk: false,
    canDeny: true,
    answer: (a) => {
      if (a.kind === 'allow') return NOTHING;
      if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
      return { stderr: `${a.reason}\n`, exitCode: 2 };
    },
  },
  gemini: {
    hookName: 'gemini',
    preEvent: 'before-tool',
    canAsk: false,
    canDeny: true,
    answer: (a) => {
      if (a.kind === 'allow') return NOTHING;
      if (a.kind === 'warn') return { stdout: json({ systemMessage: a.reason }), exitCode: 0 };
      return { stdout: json({ decision: 'deny', reason: a.reason }), exitCode: 0 };
    },
  },
  copilot: {
    hookName: 'copilot',
    preEvent: 'pre-tool-use',
    canAsk: true,
    canDeny: true,
    answer: (a) => {
      // Copilot shows no note for an allowed call: warn is recorded only.
      if (a.kind === 'allow' || a.kind === 'warn') return NOTHING;
      return { stdout: json({ permissionDecision: a.kind, permissionDecisionReason: a.reason }), exitCode: 0 };
    },
  },
  opencode: {
    hookName: 'opencode',
    preEvent: 'pre-tool-use',
    canAsk: false,
    canDeny: true,
    answer: (a) => (a.kind === 'allow' ? NOTHING : { stdout: json({ decision: a.kind === 'warn' ? 'allow' : a.kind, reason: a.reason }), exitCode: 0 }),
  },
};

export function guardAdapter(hookName: string): GuardAdapter | undefined {
  return Object.hasOwn(ADAPTERS, hookName) ? ADAPTERS[hookName] : undefined;
}

export const GUARD_ADAPTERS: readonly GuardAdapter[] = Object.values(ADAPTERS);

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
  const hooks: AgentHooks | undefined = AGENT_HOOKS.find((h) => h.hookName === adapter.hookName);
  if (hooks === undefined) return `no agent ${adapter.hookName}`;
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
