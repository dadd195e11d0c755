// GitHub Copilot CLI hook payloads → trace's capture events. Hand-written checks rather than zod: this
// runs on every tool call. The shapes are the real ones Copilot 1.0.12/1.0.20 sent (camelCase config):
// - preToolUse has no toolName/toolArgs but one `toolCalls: [{id, name, args (a JSON string)}]` for the
//   whole batch of calls the model asked for; postToolUse comes once per call with `toolName`, `toolArgs`
//   (an object) and `toolResult`, and no call id. Pre and post are paired by a key made of the tool's
//   name and its arguments (see `pairKey`).
// - only agentStop names the session's record (`transcriptPath`, its events.jsonl); no payload names a model.
// - a subagent's payloads carry `agentId` and `parentAgentId` (1.0.102; see parse).
import type { Declaration } from '../../core/types.js';
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall } from '../types.js';
import { isRecord, type Json, optionalString, sessionIdOf, stableHash } from '../payload.js';

/** The second argument of `trace hook copilot <event>` (as installed) → trace's event; `agent-stop`/`error-occurred` are Copilot's own. */
const EVENTS: Record<string, CaptureEventName | 'agent-stop' | 'error-occurred'> = {
  'session-start': 'session-start',
  'session-end': 'session-end',
  'user-prompt-submit': 'user-prompt-submit',
  'pre-tool-use': 'pre-tool-use',
  'post-tool-use': 'post-tool-use',
  'post-tool-use-failure': 'post-tool-use-failure',
  'agent-stop': 'agent-stop',
  'error-occurred': 'error-occurred',
  // Copilot's own spelling, for a config written by hand.
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  userPromptSubmitted: 'user-prompt-submit',
  preToolUse: 'pre-tool-use',
  postToolUse: 'post-tool-use',
  postToolUseFailure: 'post-tool-use-failure',
  agentStop: 'agent-stop',
  errorOccurred: 'error-occurred',
};

/** Copilot's edit tools: `create {path, file_text}` and `edit {path, old_str, new_str}`. */
export const FILE_TOOLS: readonly string[] = ['create', 'edit'];
export const SHELL_TOOLS: readonly string[] = ['bash', 'powershell'];

/** JSON with object keys sorted, so the same arguments give the same text whichever way they were written. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The id that pairs a call's pre and post events. Copilot's postToolUse carries no call id, so both sides
 * use a hash of the tool's name and arguments (a plain 64-bit string hash: node:crypto would cost the
 * hook ~3 ms to load). Two calls with the same name and arguments in one session get the same id.
 */
export function pairKey(toolName: string, args: Json): string {
  return `copilot-${toolName}-${stableHash(`${toolName}\0${canonicalJson(args)}`)}`;
}

/** A tool's arguments: an object (postToolUse) or a JSON string of one (preToolUse's `toolCalls[].args`). */
function toolArgs(value: unknown, at: string, problems: string[]): Json | undefined {
  if (isRecord(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isRecord(parsed)) return parsed;
    } catch {
      // reported below
    }
    problems.push(`${at}: expected a JSON object in the string`);
    return undefined;
  }
  problems.push(`${at}: expected an object or a JSON string of one`);
  return undefined;
}

function toolKind(name: string): 'file' | 'shell' | undefined {
  return FILE_TOOLS.includes(name) ? 'file' : SHELL_TOOLS.includes(name) ? 'shell' : undefined;
}

/** One call as a ToolCall; undefined for a tool trace does not capture (report_intent, view, …). */
function toolCall(name: string, args: Json, response: unknown, at: string, problems: string[]): ToolCall | undefined {
  const kind = toolKind(name);
  if (kind === undefined) return undefined;
  const filePaths: string[] = [];
  if (kind === 'file') {
    if (typeof args.path !== 'string' || args.path === '') {
      problems.push(`${at}.path: expected a path`);
      return undefined;
    }
    filePaths.push(args.path);
  }
  return { name, useId: pairKey(name, args), kind, input: args, response, filePaths };
}

/** A payload of Claude Code's format (snake_case) or Cursor's: not Copilot CLI's camelCase hooks. */
function foreignFormat(payload: Json): string | undefined {
  if ('cursor_version' in payload) return 'payload relayed by Cursor (cursor_version)';
  if ('hook_event_name' in payload || 'session_id' in payload) {
    return 'Claude-format payload (hook_event_name/session_id): VS Code runs .github/hooks with Claude-style payloads; the copilot hooks capture Copilot CLI only';
  }
  return undefined;
}

function parse(eventArg: string, payload: unknown): ParseResult {
  const name = Object.hasOwn(EVENTS, eventArg) ? EVENTS[eventArg] : undefined;
  if (name === undefined) return { ok: false, ignored: false, problems: [`event: unknown Copilot hook event "${eventArg}"`] };
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  const foreign = foreignFormat(payload);
  if (foreign !== undefined) return { ok: false, ignored: true, problems: [foreign] };
  const problems: string[] = [];
  const own = sessionIdOf(payload.sessionId, 'sessionId', problems);
  const cwd = optionalString(payload, 'cwd', problems);
  // A subagent (the `task` tool) calls the hooks with its own id as sessionId, the same id as `agentId`
  // and the agent that started it as `parentAgentId` (Copilot 1.0.102): its calls are its parent's
  // session's, with the subagent as agentId. A subagent of a subagent is recorded under its parent.
  const agentId = optionalString(payload, 'agentId', problems);
  // It becomes the session id: checked like one.
  const parentAgentId = payload.parentAgentId === undefined || payload.parentAgentId === null ? undefined : sessionIdOf(payload.parentAgentId, 'parentAgentId', problems);
  const isSubagent = agentId !== undefined && agentId !== '' && parentAgentId !== undefined && parentAgentId !== '' && parentAgentId !== own;
  // Its start, end and prompt (the parent agent's words, not the person's) are not the session's.
  if (isSubagent && problems.length === 0 && (name === 'session-start' || name === 'session-end' || name === 'user-prompt-submit')) return { ok: true, events: [] };
  const base: CaptureEvent = {
    name: 'session-start',
    sessionId: isSubagent ? parentAgentId : own,
    cwd: cwd === '' ? undefined : cwd,
    transcriptPath: undefined,
    model: undefined,
    source: undefined,
    reason: undefined,
    prompt: undefined,
    promptId: undefined,
    agentId: isSubagent ? agentId : undefined,
    tool: undefined,
    error: undefined,
  };
  const events: CaptureEvent[] = [];
  switch (name) {
    case 'error-occurred':
      break;
    case 'session-start':
      events.push({ ...base, source: optionalString(payload, 'source', problems) });
      break;
    case 'session-end':
      events.push({ ...base, name, reason: optionalString(payload, 'reason', problems) });
      break;
    case 'agent-stop':
      // The end of a turn: the one payload that names the session's events.jsonl.
      events.push({ ...base, name: 'turn-usage', transcriptPath: optionalString(payload, 'transcriptPath', problems) });
      break;
    case 'user-prompt-submit': {
      const prompt = optionalString(payload, 'prompt', problems);
      if (prompt === undefined && !problems.some((p) => p.startsWith('prompt:'))) problems.push('prompt: missing');
      events.push({ ...base, name, prompt });
      break;
    }
    case 'pre-tool-use':
      for (const tool of preToolCalls(payload, problems)) events.push({ ...base, name, tool });
      break;
    case 'post-tool-use':
    case 'post-tool-use-failure': {
      const post = postToolCall(payload, name, problems);
      if (post?.tool) events.push({ ...base, name: post.name, tool: post.tool, error: post.error });
      break;
    }
  }
  if (problems.length > 0) return { ok: false, ignored: false, problems };
  return { ok: true, events };
}

/** preToolUse: the real batch form `toolCalls[]`, or the documented single form `toolName` + `toolArgs`. */
function preToolCalls(payload: Json, problems: string[]): ToolCall[] {
  if (payload.toolCalls === undefined && typeof payload.toolName === 'string') {
    const args = toolArgs(payload.toolArgs, 'toolArgs', problems);
    const tool = args && toolCall(payload.toolName, args, undefined, 'toolArgs', problems);
    return tool ? [tool] : [];
  }
  if (!Array.isArray(payload.toolCalls)) {
    problems.push('toolCalls: expected an array of {id, name, args}');
    return [];
  }
  const tools: ToolCall[] = [];
  payload.toolCalls.forEach((call: unknown, index) => {
    const at = `toolCalls[${index}]`;
    if (!isRecord(call)) return problems.push(`${at}: expected an object`);
    if (typeof call.name !== 'string' || call.name === '') return problems.push(`${at}.name: expected a string`);
    // Only the calls trace captures need readable arguments.
    if (toolKind(call.name) === undefined) return;
    const args = toolArgs(call.args, `${at}.args`, problems);
    const tool = args && toolCall(call.name, args, undefined, `${at}.args`, problems);
    if (tool) tools.push(tool);
  });
  return tools;
}

/** postToolUse (success; `toolResult.resultType` other than success is a failure) and postToolUseFailure (`error`). */
function postToolCall(payload: Json, name: 'post-tool-use' | 'post-tool-use-failure', problems: string[]): { name: CaptureEventName; tool: ToolCall | undefined; error: string | undefined } | undefined {
  const toolName = payload.toolName;
  if (typeof toolName !== 'string' || toolName === '') {
    problems.push('toolName: expected a string');
    return undefined;
  }
  if (toolKind(toolName) === undefined) return { name, tool: undefined, error: undefined };
  const args = toolArgs(payload.toolArgs, 'toolArgs', problems);
  if (!args) return undefined;
  const result = payload.toolResult;
  let error = name === 'post-tool-use-failure' ? optionalString(payload, 'error', problems) : undefined;
  let eventName: CaptureEventName = name;
  if (isRecord(result) && typeof result.resultType === 'string' && result.resultType !== 'success') {
    eventName = 'post-tool-use-failure';
    error ??= typeof result.textResultForLlm === 'string' ? result.textResultForLlm : result.resultType;
  }
  if (eventName === 'post-tool-use-failure') error ??= 'failed';
  return { name: eventName, tool: toolCall(toolName, args, result, 'toolArgs', problems), error };
}

/** How often `needle` occurs in `text` (non-overlapping). */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * The content a file had before a call whose pre hook was not seen: `create` made a new file (Copilot's
 * create refuses an existing one; its sessionLog diff says `create file mode`); `edit` is undone in
 * `after` when its new text occurs there exactly once (Copilot's edit replaces one unique occurrence).
 */
function contentBeforeCall(tool: ToolCall, _path: string, after: string | null | undefined): string | null | undefined {
  const result = isRecord(tool.response) ? tool.response : undefined;
  if (tool.name === 'create') {
    if (result?.resultType !== 'success') return undefined;
    return typeof result.sessionLog !== 'string' || result.sessionLog.includes('create file mode') ? null : undefined;
  }
  if (tool.name === 'edit') {
    const { old_str: oldText, new_str: newText } = tool.input;
    if (typeof after !== 'string' || typeof oldText !== 'string' || typeof newText !== 'string' || newText === '') return undefined;
    if (occurrences(after, newText) !== 1) return undefined;
    return after.replace(newText, () => oldText);
  }
  return undefined;
}

function declaredWrites(toolName: string, input: unknown, _path: string): Declaration | undefined {
  if (!isRecord(input)) return undefined;
  const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  if (toolName === 'create' && typeof input.file_text === 'string') return { kind: 'content', text: latin1(input.file_text) };
  if (toolName === 'edit' && typeof input.new_str === 'string') return { kind: 'fragments', fragments: [latin1(input.new_str)] };
  return undefined;
}

function shellCommand(toolName: string, input: unknown): string | undefined {
  return SHELL_TOOLS.includes(toolName) && isRecord(input) && typeof input.command === 'string' ? input.command : undefined;
}

export const hooks: AgentHooks = {
  name: 'copilot',
  hookName: 'copilot',
  callIdsRepeat: true,
  parse,
  contentBeforeCall,
  declaredWrites,
  shellCommand,
};
