// OpenCode's payloads → trace's capture events. OpenCode has no hook config: trace installs a plugin
// (.opencode/plugins/trace.ts, template hooks/opencode/trace.js) that runs
// `trace hook opencode <event>` with one JSON object on stdin. trace writes both ends, so the payload
// format is trace's own:
//
//   common   plugin: "chainloop-trace", format: 1, api: "v1" | "v2" (OpenCode's plugin API),
//            session_id (OpenCode's session), parent_session_id? and root_session_id? (a subagent's
//            child session and the top session it belongs to), cwd (the directory OpenCode works in:
//            tool paths are relative to it), opencode_version?
//   session-start         title?
//   session-end           reason: "idle" (a turn ended; OpenCode has no exit event) | "deleted"
//   user-prompt-submit    prompt, message_id?, model?, provider?, agent?
//   pre-tool-use          tool, call_id, args (the tool's input as OpenCode passes it)
//   post-tool-use         the same + result? {title, output (cut), metadata}
//   post-tool-use-failure the same + error
//   turn-usage            message_id, model, provider, cost, tokens {input, output, reasoning, cache {read, write}}
//
// Token semantics (OpenCode's, confirmed on real exports): `tokens.input` excludes cache reads and
// writes, `tokens.output` excludes `reasoning`, and OpenCode bills output + reasoning. trace's
// TurnUsage counts output the Anthropic way, reasoning included: outputTokens = output + reasoning.
//
// A subagent (the `task` tool) runs in a child session: its events are recorded under the top session
// with the child session as `agentId`, as Claude Code reports its subagents.
//
// Hot path: imports nothing but types; hand-written checks report every problem as `field: message`.
import type { Declaration } from '../../core/types.js';
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall, TurnUsage } from '../types.js';
import { contentBeforePatch, parsePatch, patchPaths, patchWrites } from '../patch.js';
import { isRecord, type Json, optionalString, sessionIdOf } from '../payload.js';
import { guard } from './guard.js';

/** Tools that write the files their input names. V1 and V2 spellings. */
export const FILE_TOOLS = ['edit', 'write', 'patch', 'multiedit', 'apply_patch'] as const;
/** The shell tool: `bash` in V1, `shell` in V2. */
export const SHELL_TOOLS = ['bash', 'shell'] as const;

export const OPENCODE_EVENTS: readonly CaptureEventName[] = [
  'session-start',
  'session-end',
  'user-prompt-submit',
  'pre-tool-use',
  'post-tool-use',
  'post-tool-use-failure',
  'turn-usage',
];

/** The session id at `key`, undefined when absent (a problem when `required`). */
function optionalSessionId(payload: Json, key: string, problems: string[], required: boolean): string | undefined {
  const value = payload[key];
  if (value === undefined || value === null) {
    if (required) problems.push(`${key}: expected a string`);
    return undefined;
  }
  return sessionIdOf(value, key, problems) || undefined;
}

function count(value: unknown, at: string, problems: string[]): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    problems.push(`${at}: expected a non-negative number`);
    return 0;
  }
  return Math.floor(value);
}

/** The files a file tool's input says it writes, as given (absolute, or relative to the cwd). */
function filePathsOf(name: string, args: Json, problems: string[]): string[] {
  if (name === 'apply_patch' || name === 'patch') {
    const text = args.patchText ?? args.patch_text ?? args.patch ?? args.input;
    if (typeof text !== 'string') {
      problems.push('args.patchText: expected the patch text');
      return [];
    }
    const paths = patchPaths(parsePatch(text));
    if (paths.length === 0) problems.push('args.patchText: names no file (no "*** Add/Update/Delete File:" line)');
    return paths;
  }
  const value = args.filePath ?? args.file_path ?? args.path;
  if (typeof value !== 'string' || value === '') {
    problems.push('args.filePath: expected a path');
    return [];
  }
  return [value];
}

function toolCall(payload: Json, problems: string[]): ToolCall | undefined {
  const name = payload.tool;
  const useId = payload.call_id;
  const args = payload.args ?? {};
  if (typeof name !== 'string' || name === '') problems.push('tool: expected a string');
  if (typeof useId !== 'string' || useId === '') problems.push('call_id: expected a string');
  if (!isRecord(args)) problems.push('args: expected an object');
  if (typeof name !== 'string' || typeof useId !== 'string' || !isRecord(args)) return undefined;
  const kind = (FILE_TOOLS as readonly string[]).includes(name) ? 'file' : (SHELL_TOOLS as readonly string[]).includes(name) ? 'shell' : undefined;
  if (kind === undefined) return undefined;
  const filePaths = kind === 'file' ? filePathsOf(name, args, problems) : [];
  return { name, useId, kind, input: args, response: payload.result, filePaths };
}

function turnUsage(payload: Json, model: string | undefined, problems: string[]): TurnUsage | undefined {
  const tokens = payload.tokens;
  if (!isRecord(tokens)) {
    problems.push('tokens: expected an object');
    return undefined;
  }
  const cache = tokens.cache ?? {};
  if (!isRecord(cache)) problems.push('tokens.cache: expected an object');
  const cacheRecord = isRecord(cache) ? cache : {};
  return {
    model,
    inputTokens: count(tokens.input, 'tokens.input', problems),
    // OpenCode counts reasoning apart from output; trace's output includes it (see the top).
    outputTokens: count(tokens.output, 'tokens.output', problems) + count(tokens.reasoning, 'tokens.reasoning', problems),
    cacheReadTokens: count(cacheRecord.read, 'tokens.cache.read', problems),
    cacheWriteTokens: count(cacheRecord.write, 'tokens.cache.write', problems),
  };
}

/** A payload of the plugin for `event` as trace's capture events; every problem as `field: message`. */
export function parseOpenCodePayload(event: string, payload: unknown): ParseResult {
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  if (payload.plugin !== 'chainloop-trace') {
    // A Claude-format payload (another agent's hooks relaying to the wrong command) is not OpenCode's.
    if ('hook_event_name' in payload || 'cursor_version' in payload) return { ok: false, ignored: true, problems: ['payload relayed from another agent (not from trace\'s OpenCode plugin)'] };
    return { ok: false, ignored: false, problems: ['plugin: expected "chainloop-trace" (payloads come from trace\'s OpenCode plugin; run `trace init --opencode` to regenerate it)'] };
  }
  if (!(OPENCODE_EVENTS as readonly string[]).includes(event)) return { ok: false, ignored: false, problems: [`event: unknown OpenCode event "${event}"`] };
  const name = event as CaptureEventName;
  const problems: string[] = [];
  const own = optionalSessionId(payload, 'session_id', problems, true);
  const parent = optionalSessionId(payload, 'parent_session_id', problems, false);
  const root = optionalSessionId(payload, 'root_session_id', problems, false) ?? parent;
  const isSubagent = own !== undefined && root !== undefined && root !== own;
  const model = optionalString(payload, 'model', problems);
  const captured: CaptureEvent = {
    name,
    sessionId: (isSubagent ? root : own) ?? '',
    cwd: optionalString(payload, 'cwd', problems),
    transcriptPath: undefined,
    model,
    agentVersion: optionalString(payload, 'opencode_version', problems),
    source: undefined,
    reason: optionalString(payload, 'reason', problems),
    prompt: optionalString(payload, 'prompt', problems),
    promptId: optionalString(payload, 'message_id', problems),
    agentId: isSubagent ? own : undefined,
    tool: undefined,
    error: undefined,
  };
  if (name === 'session-start') captured.source = 'startup';
  if (name === 'user-prompt-submit' && captured.prompt === undefined) problems.push('prompt: missing');
  if (name === 'pre-tool-use' || name === 'post-tool-use' || name === 'post-tool-use-failure') {
    captured.tool = toolCall(payload, problems);
    const error = payload.error;
    if (error !== undefined && error !== null) captured.error = typeof error === 'string' ? error : JSON.stringify(error);
  }
  if (name === 'turn-usage') captured.usage = turnUsage(payload, model, problems);
  if (problems.length > 0) return { ok: false, ignored: false, problems };
  // A subagent's own session starting or going idle is not the session starting or ending, and the
  // prompt its child session gets is the parent agent's, not the person's.
  if (isSubagent && (name === 'session-start' || name === 'session-end' || name === 'user-prompt-submit')) return { ok: true, events: [] };
  // Tools that write no file and run no command (read, grep, task, …) leave nothing to capture.
  if (captured.tool === undefined && (name === 'pre-tool-use' || name === 'post-tool-use' || name === 'post-tool-use-failure')) return { ok: true, events: [] };
  return { ok: true, events: [captured] };
}

const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** Whether a path as a tool gave it (absolute or cwd-relative) names `path` (repository-relative). */
function samePath(given: string, path: string): boolean {
  const a = given.replace(/\\/g, '/').replace(/^\.\//, '');
  const b = path.replace(/\\/g, '/');
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

function undo(text: string, oldString: unknown, newString: unknown, replaceAll: unknown): string | undefined {
  if (typeof oldString !== 'string' || typeof newString !== 'string' || newString === '' || !text.includes(newString)) return undefined;
  return replaceAll === true ? text.split(newString).join(oldString) : text.replace(newString, () => oldString);
}

/**
 * `after` with a unified diff's hunks undone (OpenCode's `filediff.patch`, `files[].patch`): undefined
 * when a hunk's new lines are not where the diff says.
 */
export function reverseUnifiedDiff(after: string, patch: string): string | undefined {
  const lines = after.split('\n');
  const hunks: { start: number; removed: string[]; added: string[] }[] = [];
  let hunk: (typeof hunks)[number] | undefined;
  for (const line of patch.split('\n')) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header) {
      // A hunk that leaves no line (+c,0) says the line after which it removed; others their first line.
      const start = Number(header[1]);
      hunk = { start: header[2] === '0' ? start : Math.max(start - 1, 0), removed: [], added: [] };
      hunks.push(hunk);
      continue;
    }
    if (!hunk) continue;
    if (line.startsWith('\\')) return undefined;
    if (line.startsWith(' ')) {
      hunk.removed.push(line.slice(1));
      hunk.added.push(line.slice(1));
    } else if (line.startsWith('-')) hunk.removed.push(line.slice(1));
    else if (line.startsWith('+')) hunk.added.push(line.slice(1));
  }
  if (hunks.length === 0) return undefined;
  for (const { start, removed, added } of hunks.reverse()) {
    if (added.some((line, i) => lines[start + i] !== line)) return undefined;
    lines.splice(start, added.length, ...removed);
  }
  return lines.join('\n');
}

/**
 * The content `path` had before the call, worked back when no pre event came: OpenCode's own record
 * of it in the result's metadata (`filediff.before` of edit and `files[].before` of apply_patch in
 * 1.2; their unified `patch` undone in 1.18; `exists` of write), else the edit undone in `after`.
 */
export function contentBeforeCall(tool: ToolCall, path: string, after: string | null | undefined): string | null | undefined {
  const result = isRecord(tool.response) ? tool.response : undefined;
  const metadata = result && isRecord(result.metadata) ? result.metadata : undefined;
  if (metadata) {
    if (tool.name === 'write' && metadata.exists === false) return null;
    const filediff = metadata.filediff;
    if (tool.name === 'edit' && isRecord(filediff)) {
      if (typeof filediff.before === 'string') return filediff.before;
      const undone = typeof filediff.patch === 'string' && typeof after === 'string' ? reverseUnifiedDiff(after, filediff.patch) : undefined;
      if (undone !== undefined) return undone;
    }
    if (Array.isArray(metadata.files)) {
      for (const file of metadata.files as unknown[]) {
        if (!isRecord(file)) continue;
        const names = [file.filePath, file.relativePath].filter((name): name is string => typeof name === 'string');
        if (!names.some((name) => samePath(name, path))) continue;
        if (file.type === 'add') return null;
        if (typeof file.before === 'string') return file.before;
        const undone = typeof file.patch === 'string' && typeof after === 'string' ? reverseUnifiedDiff(after, file.patch) : undefined;
        if (undone !== undefined) return undone;
      }
    }
  }
  if (tool.name === 'apply_patch' || tool.name === 'patch') {
    const text = tool.input.patchText;
    return typeof text === 'string' ? contentBeforePatch(text, path, after) : undefined;
  }
  if (after === null || after === undefined) return undefined;
  if (tool.name === 'edit') return undo(after, tool.input.oldString, tool.input.newString, tool.input.replaceAll);
  if (tool.name === 'multiedit' && Array.isArray(tool.input.edits)) {
    let text: string | undefined = after;
    for (const edit of [...(tool.input.edits as unknown[])].reverse()) {
      if (text === undefined || !isRecord(edit)) return undefined;
      text = undo(text, edit.oldString, edit.newString, edit.replaceAll);
    }
    return text;
  }
  return undefined;
}

/** What a file tool's input says it writes into `path` (repository-relative), in Latin-1 form. */
export function declaredWrites(toolName: string, input: unknown, path: string): Declaration | undefined {
  if (!isRecord(input)) return undefined;
  if (toolName === 'write' && typeof input.content === 'string') return { kind: 'content', text: latin1(input.content) };
  if (toolName === 'edit' && typeof input.newString === 'string') return { kind: 'fragments', fragments: [latin1(input.newString)] };
  if (toolName === 'multiedit' && Array.isArray(input.edits)) {
    const fragments = (input.edits as unknown[]).flatMap((edit) => (isRecord(edit) && typeof edit.newString === 'string' ? [latin1(edit.newString)] : []));
    return fragments.length === input.edits.length ? { kind: 'fragments', fragments } : undefined;
  }
  if ((toolName === 'apply_patch' || toolName === 'patch') && typeof input.patchText === 'string') return patchWrites(input.patchText, path);
  return undefined;
}

export function shellCommand(_toolName: string, input: unknown): string | undefined {
  return isRecord(input) && typeof input.command === 'string' ? input.command : undefined;
}

export const hooks: AgentHooks = {
  name: 'opencode',
  hookName: 'opencode',
  parse: parseOpenCodePayload,
  contentBeforeCall,
  declaredWrites,
  shellCommand,
  guard,
};
