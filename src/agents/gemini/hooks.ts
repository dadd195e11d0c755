// Gemini CLI hook payloads → trace's capture events. The hot path: hand-written checks, nothing
// imported but types (see ../types.ts).
//
// What the real payloads (0.46.0) and gemini-cli's source say, and what follows from it:
// - Every payload has `session_id`, `transcript_path`, `cwd` (absolute), `hook_event_name`, `timestamp`.
//   None names the model or the CLI's version: those come from the chat file.
// - BeforeTool/AfterTool carry no call id. A call's id is worked out from what its two payloads share:
//   the tool, its file and what the model proposed to write (`ai_proposed_content` keeps the model's text
//   when the person edited the proposal in the confirmation dialog), or a shell call's command.
//   Two identical calls in one session therefore share an id.
// - AfterTool `tool_response` is `{llmContent, returnDisplay, error?}`; for write_file and replace,
//   `returnDisplay` is a FileDiff `{originalContent, newContent, isNewFile}`: the before-content.
import type { Declaration } from '../../core/types.js';
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall } from '../types.js';
import { isRecord, type Json, optionalString, sessionIdOf, stableHash } from '../payload.js';
import { guard } from './guard.js';

/** `trace hook gemini <event>`: the installed config passes Gemini's event names in kebab case. */
export const GEMINI_EVENTS = {
  SessionStart: 'session-start',
  SessionEnd: 'session-end',
  BeforeAgent: 'before-agent',
  AfterAgent: 'after-agent',
  BeforeModel: 'before-model',
  AfterModel: 'after-model',
  BeforeToolSelection: 'before-tool-selection',
  BeforeTool: 'before-tool',
  AfterTool: 'after-tool',
  PreCompress: 'pre-compress',
  Notification: 'notification',
} as const;

export const FILE_TOOLS = ['write_file', 'replace'] as const;
export const SHELL_TOOLS = ['run_shell_command'] as const;

/** Event names of the agents whose payloads could reach these hooks relayed (Claude-format hooks). */
const FOREIGN_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact', 'preToolUse', 'postToolUse', 'sessionStart', 'sessionEnd', 'beforeSubmitPrompt', 'stop']);

const kebab = new Map<string, string>(Object.entries(GEMINI_EVENTS));
const known = new Set<string>(Object.values(GEMINI_EVENTS));

/** What each Gemini event becomes; events trace does not use map to nothing. */
const CAPTURED: Partial<Record<string, CaptureEventName>> = {
  'session-start': 'session-start',
  'session-end': 'session-end',
  'before-agent': 'user-prompt-submit',
  'before-tool': 'pre-tool-use',
  'after-tool': 'post-tool-use',
};


const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The call id: what BeforeTool and AfterTool of one call share (see the top of this file). */
export function geminiCallId(toolName: string, input: Json): string {
  let identity: string;
  if (toolName === 'write_file') identity = `${text(input.file_path)}\0${text(input.ai_proposed_content ?? input.content)}`;
  else if (toolName === 'replace') identity = `${text(input.file_path)}\0${text(input.ai_proposed_content ?? input.new_string)}`;
  else identity = `${text(input.command)}\0${text(input.dir_path ?? input.directory)}\0${text(input.description)}`;
  return `gemini-${toolName}-${stableHash(identity)}`;
}

function toolError(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const error = response.error;
  if (error === undefined || error === null || error === false) return undefined;
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  return JSON.stringify(error);
}

function parseToolCall(payload: Json, problems: string[]): ToolCall | undefined {
  const name = payload.tool_name;
  const input = payload.tool_input;
  if (typeof name !== 'string' || name === '') problems.push('tool_name: expected a string');
  if (!isRecord(input)) problems.push('tool_input: expected an object');
  if (typeof name !== 'string' || !isRecord(input)) return undefined;
  const kind = (FILE_TOOLS as readonly string[]).includes(name) ? 'file' : (SHELL_TOOLS as readonly string[]).includes(name) ? 'shell' : undefined;
  if (kind === undefined) return undefined;
  const filePaths: string[] = [];
  if (kind === 'file') {
    const path = input.file_path;
    if (typeof path !== 'string' || path === '') problems.push('tool_input.file_path: expected a path');
    else filePaths.push(path);
  } else if (typeof input.command !== 'string') {
    problems.push('tool_input.command: expected a string');
  }
  return { name, useId: geminiCallId(name, input), kind, input, response: payload.tool_response, filePaths };
}

export function parseGeminiPayload(event: string, payload: unknown): ParseResult {
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  if ('cursor_version' in payload) return { ok: false, ignored: true, problems: ['payload relayed by Cursor (cursor_version)'] };
  const fired = payload.hook_event_name;
  if (typeof fired === 'string' && FOREIGN_EVENTS.has(fired)) return { ok: false, ignored: true, problems: [`payload of another agent's hook event ${fired}`] };
  // The payload says which event fired; the command line's event is the fallback.
  const name = typeof fired === 'string' && kebab.has(fired) ? kebab.get(fired)! : event;
  if (!known.has(name)) return { ok: false, ignored: false, problems: [`hook_event_name: unknown Gemini CLI hook event ${JSON.stringify(fired ?? event)}`] };
  const captured = CAPTURED[name];
  if (captured === undefined) return { ok: true, events: [] };

  const problems: string[] = [];
  const sessionId = sessionIdOf(payload.session_id, 'session_id', problems);
  const transcriptPath = optionalString(payload, 'transcript_path', problems);
  const captureEvent: CaptureEvent = {
    name: captured,
    sessionId: typeof sessionId === 'string' ? sessionId : '',
    cwd: optionalString(payload, 'cwd', problems),
    // Gemini sends '' when it records no chat.
    transcriptPath: transcriptPath === '' ? undefined : transcriptPath,
    model: undefined,
    source: optionalString(payload, 'source', problems),
    reason: optionalString(payload, 'reason', problems),
    prompt: optionalString(payload, 'prompt', problems),
    promptId: undefined,
    agentId: undefined,
    tool: undefined,
    error: undefined,
  };
  if (captured === 'user-prompt-submit' && captureEvent.prompt === undefined) problems.push('prompt: missing');
  if (captured === 'pre-tool-use' || captured === 'post-tool-use') {
    captureEvent.tool = parseToolCall(payload, problems);
    if (captured === 'post-tool-use') {
      captureEvent.error = toolError(payload.tool_response);
      if (captureEvent.error !== undefined) captureEvent.name = 'post-tool-use-failure';
    }
  }
  if (problems.length > 0) return { ok: false, ignored: false, problems };
  // A tool trace does not capture (read_file, MCP tools): nothing to record.
  if (captureEvent.tool === undefined && (captured === 'pre-tool-use' || captured === 'post-tool-use')) return { ok: true, events: [] };
  return { ok: true, events: [captureEvent] };
}

/** Occurrences of `needle` in `haystack` (non-overlapping), counting at most `limit`. */
function occurrences(haystack: string, needle: string, limit: number): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1 && count < limit; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * The content a file had before a call, when no BeforeTool was seen: the FileDiff's `originalContent`
 * (null for a new file), else the replace undone in `after` when its new text is found there exactly as
 * often as it was written. Undefined when it cannot be known (an overwrite without a FileDiff).
 */
export function contentBeforeCall(tool: ToolCall, _path: string, after: string | null | undefined): string | null | undefined {
  const response = isRecord(tool.response) ? tool.response : undefined;
  const display = isRecord(response?.returnDisplay) ? response.returnDisplay : undefined;
  if (display !== undefined) {
    if (display.isNewFile === true) return null;
    if (typeof display.originalContent === 'string') return display.originalContent;
    if (display.originalContent === null) return null;
  }
  const message = text(response?.llmContent);
  if (message.startsWith('Successfully created and wrote to new file') || message.startsWith('Created new file')) return null;
  if (tool.name !== 'replace' || after === null || after === undefined) return undefined;
  const { old_string: oldString, new_string: newString } = tool.input;
  if (typeof oldString !== 'string' || typeof newString !== 'string' || newString === '') return undefined;
  if (oldString === '') return null; // replace with an empty old_string creates the file
  if (tool.input.allow_multiple === true || (typeof tool.input.expected_replacements === 'number' && tool.input.expected_replacements > 1)) {
    return after.includes(newString) ? after.split(newString).join(oldString) : undefined;
  }
  // A single replacement can be undone only where the new text is unambiguous.
  return occurrences(after, newString, 2) === 1 ? after.replace(newString, () => oldString) : undefined;
}

const latin1 = (value: string) => Buffer.from(value, 'utf8').toString('latin1');

/** What write_file (`content`) or replace (`new_string`) says it writes, in the Latin-1 form stored texts use. */
export function declaredWrites(toolName: string, input: unknown, _path: string): Declaration | undefined {
  if (!isRecord(input)) return undefined;
  if (toolName === 'write_file' && typeof input.content === 'string') return { kind: 'content', text: latin1(input.content) };
  if (toolName === 'replace' && typeof input.new_string === 'string') return { kind: 'fragments', fragments: [latin1(input.new_string)] };
  return undefined;
}

export function shellCommand(toolName: string, input: unknown): string | undefined {
  return (SHELL_TOOLS as readonly string[]).includes(toolName) && isRecord(input) && typeof input.command === 'string' ? input.command : undefined;
}

export const hooks: AgentHooks = {
  name: 'gemini-cli',
  hookName: 'gemini',
  callIdsRepeat: true,
  parse: parseGeminiPayload,
  contentBeforeCall,
  declaredWrites,
  shellCommand,
  guard,
};
