// Claude Code hook payloads → trace's capture events. Hand-written checks rather than zod: this runs
// on every tool call and must stay near Node's start-up time.
import { isUtf8 } from 'node:buffer';
import type { Declaration } from '../../core/types.js';
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall } from '../types.js';
import { isRecord, optionalString, sessionIdOf } from '../payload.js';
import { guard } from './guard.js';

/** The events of `trace hook claude <event>`, as hooks/claude/settings.json names Claude Code's events. */
const EVENTS: readonly string[] = ['session-start', 'session-end', 'user-prompt-submit', 'pre-tool-use', 'post-tool-use', 'post-tool-use-failure'] satisfies CaptureEventName[];

/** Claude Code's names of those events, as its payloads' `hook_event_name` gives them. */
const HOOK_EVENT_NAMES: readonly string[] = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure'];

const FILE_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];
const SHELL_TOOLS = ['Bash'];

/** Validates a Claude Code payload for `event`; reports every problem at once as `field: message`. */
function parseClaudePayload(name: CaptureEventName, payload: unknown): ParseResult {
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  // Cursor and Copilot can load Claude Code's hooks; their relayed payloads are captured by their own hooks.
  if ('cursor_version' in payload) return { ok: false, ignored: true, problems: ['payload relayed by Cursor (cursor_version)'] };
  // Gemini CLI (`gemini hooks migrate --from-claude`), Cursor and Copilot can run these commands for
  // their own events: a payload named as none of the events trace installs for Claude Code is theirs.
  const eventName = payload.hook_event_name;
  if (typeof eventName === 'string' && !HOOK_EVENT_NAMES.includes(eventName)) return { ok: false, ignored: true, problems: [`payload of another agent's ${eventName} event`] };
  const problems: string[] = [];
  const sessionId = sessionIdOf(payload.session_id, 'session_id', problems);
  const event: CaptureEvent = {
    name,
    sessionId: typeof sessionId === 'string' ? sessionId : '',
    cwd: optionalString(payload, 'cwd', problems),
    transcriptPath: optionalString(payload, 'transcript_path', problems),
    // SessionStart names the 1M-context variant `claude-opus-4-7[1m]`; the model is the same (prices.ts withoutContextTag).
    model: optionalString(payload, 'model', problems)?.trim().replace(/\s*\[[^\]]*\]$/, ''),
    source: optionalString(payload, 'source', problems),
    reason: optionalString(payload, 'reason', problems),
    prompt: optionalString(payload, 'prompt', problems),
    promptId: optionalString(payload, 'prompt_id', problems),
    agentId: optionalString(payload, 'agent_id', problems),
    error: undefined,
    tool: undefined,
  };
  if (name === 'user-prompt-submit' && event.prompt === undefined) problems.push('prompt: missing');
  if (name === 'pre-tool-use' || name === 'post-tool-use' || name === 'post-tool-use-failure') {
    event.tool = parseToolCall(payload, problems);
    const error = payload.error;
    if (error !== undefined) event.error = typeof error === 'string' ? error : JSON.stringify(error);
  }
  if (problems.length > 0) return { ok: false, ignored: false, problems };
  return { ok: true, events: [event] };
}

function parseToolCall(payload: Record<string, unknown>, problems: string[]): ToolCall | undefined {
  const name = payload.tool_name;
  const useId = payload.tool_use_id;
  const input = payload.tool_input;
  if (typeof name !== 'string' || name === '') problems.push('tool_name: expected a string');
  if (typeof useId !== 'string' || useId === '') problems.push('tool_use_id: expected a string');
  if (!isRecord(input)) problems.push('tool_input: expected an object');
  if (typeof name !== 'string' || typeof useId !== 'string' || !isRecord(input)) return undefined;
  const kind = (FILE_TOOLS as readonly string[]).includes(name) ? 'file' : (SHELL_TOOLS as readonly string[]).includes(name) ? 'shell' : undefined;
  if (kind === undefined) return undefined;
  const filePaths: string[] = [];
  if (kind === 'file') {
    const key = name === 'NotebookEdit' ? 'notebook_path' : 'file_path';
    const value = input[key] ?? input.file_path;
    if (typeof value !== 'string' || value === '') problems.push(`tool_input.${key}: expected a path`);
    else filePaths.push(value);
  }
  const duration = payload.duration_ms;
  let durationMs: number | undefined;
  if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) durationMs = duration;
  else if (duration !== undefined && duration !== null) problems.push('duration_ms: expected a number of milliseconds');
  return { name, useId, kind, input, response: payload.tool_response, filePaths, durationMs };
}

/**
 * The content a file had before a tool call, worked back from the call when the pre hook never ran:
 * Claude's `originalFile` when given, else the edits undone in `after` (null: the file is gone;
 * undefined: its text is unknown). Undefined when it cannot be known.
 */
function contentBeforeCall(tool: ToolCall, _path: string, after: string | null | undefined): string | null | undefined {
  const response = tool.response;
  if (isRecord(response)) {
    if (typeof response.originalFile === 'string') return asOnDisk(response.originalFile, after);
    if (response.type === 'create' && response.originalFile === null) return null;
  }
  if (after === null || after === undefined) return undefined;
  const undo = (text: string, edit: unknown): string | undefined => {
    if (!isRecord(edit) || typeof edit.old_string !== 'string' || typeof edit.new_string !== 'string') return undefined;
    if (edit.new_string === '' || !text.includes(edit.new_string)) return undefined;
    return edit.replace_all === true ? text.split(edit.new_string).join(edit.old_string) : text.replace(edit.new_string, () => edit.old_string as string);
  };
  if (tool.name === 'Edit') return undo(after, tool.input);
  if (tool.name === 'MultiEdit' && Array.isArray(tool.input.edits)) {
    let text: string | undefined = after;
    for (const edit of [...(tool.input.edits as unknown[])].reverse()) {
      if (text === undefined) break;
      text = undo(text, edit);
    }
    return text;
  }
  return undefined;
}

/**
 * `originalFile` as the file held it. Claude Code reads a file with its line endings made LF and
 * writes it back with the ending it found (CRLF for the whole file), in the encoding it found: a
 * file written back with CRLF only had its LFs made CRLF again, and one that is not UTF-8 (`after`
 * undefined: Latin-1, UTF-16) cannot be rebuilt byte for byte, so its content before is unknown.
 */
function asOnDisk(originalFile: string, after: string | null | undefined): string | undefined {
  if (after === undefined) return undefined;
  if (after === null || originalFile.includes('\r') || !after.includes('\r\n')) return originalFile;
  // Written back with CRLF: every line break of `after` is one, or the file is not what Claude wrote.
  if (after.split('\r\n').some((piece) => piece.includes('\n'))) return undefined;
  return originalFile.split('\n').join('\r\n');
}

/** Claude Code's Write and Edit send the file's content before the call back in their response (`originalFile`; null for a new file). */
function reportsContentBefore(tool: ToolCall): boolean {
  const response = tool.response;
  return tool.kind === 'file' && isRecord(response) && (typeof response.originalFile === 'string' || (response.type === 'create' && response.originalFile === null));
}

/**
 * A Write's or Edit's file before and after the call, from its PostToolUse payload alone (a spooled
 * call, taken in later): before = `originalFile` (null: a new file), after = Write's `content` or
 * `originalFile` with the edit applied. Claude Code hands over text with LF line endings and writes
 * a CRLF file back with CRLF: while the file on disk is still the call's result (as it is, or with
 * its line breaks made CRLF) its bytes are kept and the before follows its endings; once it has
 * changed, the payload's text wins, in CRLF when the file's breaks all are. A file that is not UTF-8
 * cannot be rebuilt byte for byte (undefined, as is an edit that does not apply).
 */
function contentsFromPayload(tool: ToolCall, onDisk: Buffer | null | undefined): { before: Buffer | null; after: Buffer } | undefined {
  const response = tool.response;
  if (!isRecord(response) || onDisk === undefined) return undefined;
  const original = response.originalFile;
  if (typeof original !== 'string' && original !== null) return undefined;
  let after: string | undefined;
  if (tool.name === 'Write') after = typeof tool.input.content === 'string' ? tool.input.content : undefined;
  else if (tool.name === 'Edit') after = editResult(original, tool.input, response);
  if (after === undefined) return undefined;
  const disk = onDisk === null ? null : isUtf8(onDisk) ? onDisk.toString('utf8') : undefined;
  if (disk === undefined) return undefined;
  const lf = !after.includes('\r') && (original === null || !original.includes('\r'));
  const crlf = (text: string) => text.split('\n').join('\r\n');
  const bytes = (text: string | null) => (text === null ? null : Buffer.from(text, 'utf8'));
  if (disk === after) return { before: bytes(original), after: onDisk! };
  if (lf && disk !== null && disk === crlf(after)) return { before: bytes(original === null ? null : crlf(original)), after: onDisk! };
  // Changed since the call: rebuilt from the payload, in the line endings the file has now.
  const wasCrlf = lf && disk !== null && disk.includes('\r\n') && !disk.split('\r\n').some((piece) => piece.includes('\n'));
  const form = (text: string) => (wasCrlf ? crlf(text) : text);
  return { before: bytes(original === null ? null : form(original)), after: Buffer.from(form(after), 'utf8') };
}

/** `original` with an Edit applied: its strings (as asked, then as Claude Code reports it applied them), else its `structuredPatch`. */
function editResult(original: string | null, input: Record<string, unknown>, response: Record<string, unknown>): string | undefined {
  const replaceAll = input.replace_all === true;
  const pairs: [unknown, unknown][] = [
    [input.old_string, input.new_string],
    [response.oldString, response.newString],
  ];
  const patched = () => (original === null ? undefined : applyStructuredPatch(original, response.structuredPatch));
  // The person changed the proposed edit before accepting it: the patch is what was written.
  if (response.userModified === true) {
    const result = patched();
    if (result !== undefined) return result;
  }
  for (const [oldString, newString] of pairs) {
    if (typeof oldString !== 'string' || typeof newString !== 'string') continue;
    // An Edit with an empty old_string creates the file (or fills an empty one).
    if (oldString === '') {
      if (original === null || original === '') return newString;
      continue;
    }
    if (original === null || !original.includes(oldString)) continue;
    return replaceAll ? original.split(oldString).join(newString) : original.replace(oldString, () => newString);
  }
  return patched();
}

/** `text` with a unified diff's hunks (`{ oldStart, oldLines, lines: [" ctx", "-old", "+new"] }`) applied; undefined when they do not fit. */
function applyStructuredPatch(text: string, patch: unknown): string | undefined {
  if (!Array.isArray(patch) || patch.length === 0) return undefined;
  const lines = text.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const hunk of patch as unknown[]) {
    if (!isRecord(hunk) || typeof hunk.oldStart !== 'number' || typeof hunk.oldLines !== 'number' || !Array.isArray(hunk.lines)) return undefined;
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    if (start < at || start > lines.length) return undefined;
    out.push(...lines.slice(at, start));
    at = start;
    for (const line of hunk.lines as unknown[]) {
      if (typeof line !== 'string') return undefined;
      const [mark, body] = [line[0], line.slice(1)];
      if (mark === '+') out.push(body);
      else if (mark === ' ' || mark === '-') {
        if (lines[at] !== body) return undefined;
        if (mark === ' ') out.push(body);
        at++;
      } else if (mark !== '\\') return undefined;
    }
  }
  out.push(...lines.slice(at));
  return out.join('\n');
}

/**
 * What a file tool's input says it writes (Write `content`, Edit `new_string`, MultiEdit `edits`), in
 * the Latin-1 form stored texts use; undefined for a tool that declares nothing usable.
 */
function declaredWrites(toolName: string, input: unknown): Declaration | undefined {
  if (!isRecord(input)) return undefined;
  const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  if (toolName === 'Write' && typeof input.content === 'string') return { kind: 'content', text: latin1(input.content) };
  if (toolName === 'Edit' && typeof input.new_string === 'string') return { kind: 'fragments', fragments: [latin1(input.new_string)] };
  if (toolName === 'MultiEdit' && Array.isArray(input.edits)) {
    const fragments = (input.edits as unknown[]).flatMap((edit) => (isRecord(edit) && typeof edit.new_string === 'string' ? [latin1(edit.new_string)] : []));
    return fragments.length === input.edits.length ? { kind: 'fragments', fragments } : undefined;
  }
  return undefined;
}

/** A shell tool's command, from its input. */
function shellCommand(_toolName: string, input: unknown): string | undefined {
  return isRecord(input) && typeof input.command === 'string' ? input.command : undefined;
}

export const hooks: AgentHooks = {
  name: 'claude-code',
  hookName: 'claude',
  parse(event, payload) {
    if (!EVENTS.includes(event)) return { ok: false, ignored: false, problems: [`event: unknown event "${event}"`] };
    return parseClaudePayload(event as CaptureEventName, payload);
  },
  contentBeforeCall,
  reportsContentBefore,
  shellLanes: true,
  contentsFromPayload,
  declaredWrites,
  shellCommand,
  guard,
};
