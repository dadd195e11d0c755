// Codex CLI hook payloads (codex-rs 0.12x–0.15x, `.codex/hooks.json`) → trace's capture events.
// Hot path: hand-written checks, node built-ins only.
//
// Real 0.145.0 payloads (fixtures/agents/codex/hooks): snake_case, `session_id` is the thread id,
// `model` on every event but SessionEnd, `turn_id` on turn events, Bash `tool_use_id` `exec-<uuid>`,
// Bash `tool_response` a plain string. Edits are `apply_patch` (`tool_input.command`, older builds
// `tool_input.patch`): the files come from the patch text, one call writing several files.
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall } from '../types.js';
import type { Declaration } from '../../core/types.js';
import { contentBeforePatch, parsePatch, patchPaths, patchWrites } from '../patch.js';
import { isRecord, optionalString, sessionIdOf } from '../payload.js';

/** `trace hook codex <event>` as the installed config passes it → the capture event it becomes. */
const EVENTS: Readonly<Record<string, CaptureEventName>> = {
  'session-start': 'session-start',
  'session-end': 'session-end',
  'user-prompt-submit': 'user-prompt-submit',
  'pre-tool-use': 'pre-tool-use',
  'post-tool-use': 'post-tool-use',
};

/** The edit tool, as hooks name it (`functions.apply_patch` in some builds). */
export const PATCH_TOOLS = ['apply_patch', 'functions.apply_patch'] as const;
/** The shell tool: `Bash` in hooks since 0.13x; the model-side names older builds and git-ai saw. */
export const SHELL_TOOLS = ['Bash', 'exec_command', 'functions.exec_command', 'shell', 'shell_command', 'local_shell'] as const;

const isPatchTool = (name: string): boolean => (PATCH_TOOLS as readonly string[]).includes(name);
const isShellTool = (name: string): boolean => (SHELL_TOOLS as readonly string[]).includes(name);

/** The patch text of an apply_patch input: `command` (0.13x+), `patch` or `input` (older builds). */
export function patchText(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (!isRecord(input)) return undefined;
  for (const key of ['command', 'patch', 'input']) {
    const value = input[key];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** A tool_response: a JSON value, or a JSON-encoded string of one (apply_patch), or plain text (Bash). */
function responseValue(response: unknown): unknown {
  if (typeof response !== 'string' || !response.startsWith('{')) return response;
  try {
    return JSON.parse(response) as unknown;
  } catch {
    return response;
  }
}

/** The error of a failed apply_patch (`metadata.exit_code` not 0); undefined when it succeeded or cannot tell. */
function patchFailure(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const metadata = response.metadata;
  const exitCode = isRecord(metadata) ? metadata.exit_code : undefined;
  if (typeof exitCode !== 'number' || exitCode === 0) return undefined;
  return typeof response.output === 'string' && response.output !== '' ? response.output : `apply_patch exited with ${exitCode}`;
}

function toolKind(name: unknown): ToolCall['kind'] | undefined {
  if (typeof name !== 'string') return undefined;
  return isPatchTool(name) ? 'file' : isShellTool(name) ? 'shell' : undefined;
}

function parseToolCall(payload: Record<string, unknown>, problems: string[]): ToolCall | undefined {
  const name = payload.tool_name;
  const kind = toolKind(name);
  if (typeof name !== 'string' || kind === undefined) return undefined;
  const useId = payload.tool_use_id;
  // apply_patch is a freeform tool: a build that passes its raw text is read as `{command: <patch>}`.
  const input = kind === 'file' && typeof payload.tool_input === 'string' ? { command: payload.tool_input } : payload.tool_input;
  if (typeof useId !== 'string' || useId === '') problems.push('tool_use_id: expected a string');
  if (!isRecord(input)) problems.push('tool_input: expected an object');
  if (typeof useId !== 'string' || useId === '' || !isRecord(input)) return undefined;
  let filePaths: string[] = [];
  if (kind === 'file') {
    const text = patchText(input);
    if (text === undefined) problems.push('tool_input.command: expected the patch text');
    else {
      filePaths = patchPaths(parsePatch(text));
      if (filePaths.length === 0) problems.push('tool_input.command: the patch names no file (no "*** Add/Update/Delete File:" line)');
    }
  }
  return { name, useId, kind, input, response: responseValue(payload.tool_response), filePaths };
}

function parse(event: string, payload: unknown): ParseResult {
  const name = EVENTS[event];
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  // Cursor relays Claude-format hooks; a payload carrying its marker is captured by Cursor's own hooks.
  if ('cursor_version' in payload) return { ok: false, ignored: true, problems: ['payload relayed by Cursor (cursor_version)'] };
  if (name === undefined) return { ok: true, events: [] };
  const toolEvent = name === 'pre-tool-use' || name === 'post-tool-use';
  if (toolEvent) {
    if (typeof payload.tool_name !== 'string' || payload.tool_name === '') return { ok: false, ignored: false, problems: ['tool_name: expected a string'] };
    // Tools that write no file and run no command (MCP, web search, spawn_agent) are not captured.
    if (toolKind(payload.tool_name) === undefined) return { ok: true, events: [] };
  }
  const problems: string[] = [];
  const sessionId = sessionIdOf(payload.session_id, 'session_id', problems);
  // A subagent's calls (multi_agent_v2, 0.171.0) carry the parent's session_id, the subagent's thread as
  // agent_id and the subagent's own rollout as transcript_path: the session's rollout stays the parent's.
  const agentId = optionalString(payload, 'agent_id', problems);
  const transcriptPath = optionalString(payload, 'transcript_path', problems);
  const captured: CaptureEvent = {
    name,
    sessionId: typeof sessionId === 'string' ? sessionId : '',
    cwd: optionalString(payload, 'cwd', problems),
    transcriptPath: agentId === undefined || agentId === '' ? transcriptPath : undefined,
    model: optionalString(payload, 'model', problems),
    source: optionalString(payload, 'source', problems),
    reason: optionalString(payload, 'reason', problems),
    prompt: optionalString(payload, 'prompt', problems),
    // A Codex turn answers one prompt: its id pairs the prompt with the calls it led to.
    promptId: optionalString(payload, 'turn_id', problems),
    agentId,
    tool: undefined,
    error: undefined,
  };
  if (name === 'user-prompt-submit' && captured.prompt === undefined) problems.push('prompt: missing');
  if (toolEvent) {
    captured.tool = parseToolCall(payload, problems);
    if (name === 'post-tool-use' && captured.tool?.kind === 'file') {
      const failure = patchFailure(captured.tool.response);
      if (failure !== undefined) {
        captured.name = 'post-tool-use-failure';
        captured.error = failure;
      }
    }
  }
  if (problems.length > 0) return { ok: false, ignored: false, problems };
  return { ok: true, events: [captured] };
}

/** The content `path` had before an apply_patch call: its hunks undone in `after`. */
function contentBeforeCall(tool: ToolCall, path: string, after: string | null | undefined): string | null | undefined {
  const text = tool.kind === 'file' ? patchText(tool.input) : undefined;
  return text === undefined ? undefined : contentBeforePatch(text, path, after);
}

/** What an apply_patch call writes into `path`. */
function declaredWrites(toolName: string, input: unknown, path: string): Declaration | undefined {
  const text = isPatchTool(toolName) ? patchText(input) : undefined;
  return text === undefined ? undefined : patchWrites(text, path);
}

/** The shell command: `command` as a string (Bash) or argv (`shell`), or `cmd` (exec_command). */
function shellCommand(toolName: string, input: unknown): string | undefined {
  if (!isShellTool(toolName) || !isRecord(input)) return undefined;
  const command = input.command ?? input.cmd;
  if (typeof command === 'string') return command;
  if (Array.isArray(command) && command.every((part) => typeof part === 'string')) return command.join(' ');
  return undefined;
}

export const hooks: AgentHooks = {
  name: 'codex',
  hookName: 'codex',
  parse,
  contentBeforeCall,
  declaredWrites,
  shellCommand,
};
