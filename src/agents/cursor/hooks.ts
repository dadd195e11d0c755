// Cursor hook payloads (IDE 2.x/3.x and cursor-agent) → trace's capture events. Hand-written checks
// rather than zod: this runs on every tool call and must stay near Node's start-up time.
//
// What the real payloads say (../shared/fixtures/agents/cursor/, reference agent-hooks-real-data.md):
// - snake_case fields, camelCase event names; the session is `conversation_id` (`session_id` beside it);
// - tool events send `cwd: ""` and sessionStart none: only `workspace_roots` names the directory;
// - `model` is often "default" (Auto) with the concrete `model_id` beside it;
// - `stop` (and `afterAgentResponse`) carry the turn's tokens; the transcript has none;
// - a postToolUse can come without `tool_use_id` or `tool_input` (cursor-agent), and the legacy
//   `afterFileEdit` has neither, nor a pre event.
import type { Declaration } from '../../core/types.js';
import type { AgentHooks, CaptureEvent, CaptureEventName, ParseResult, ToolCall, TurnUsage } from '../types.js';
import { contentBeforePatch, parsePatch, patchPaths, patchWrites } from '../patch.js';
import { isRecord, optionalCount, optionalString, sessionIdOf } from '../payload.js';
import { guard } from './guard.js';

/**
 * The events of `trace hook cursor <event>`: Cursor's own event names in kebab case, as
 * hooks/cursor/hooks.json passes them. `after-file-edit` and `after-agent-response` are understood but
 * not installed: `postToolUse` and `stop` report the same edits and tokens again.
 */
const EVENTS: Readonly<Record<string, CaptureEventName>> = {
  'session-start': 'session-start',
  'session-end': 'session-end',
  'before-submit-prompt': 'user-prompt-submit',
  'pre-tool-use': 'pre-tool-use',
  'post-tool-use': 'post-tool-use',
  'post-tool-use-failure': 'post-tool-use-failure',
  'after-file-edit': 'post-tool-use',
  stop: 'turn-usage',
  'after-agent-response': 'turn-usage',
};

/**
 * Cursor's other events, in the same kebab case: understood, and nothing trace records (the shell and
 * file events repeat what preToolUse/postToolUse report; the rest say nothing about files written).
 */
const OTHER_EVENTS: readonly string[] = [
  'before-shell-execution',
  'after-shell-execution',
  'before-mcp-execution',
  'after-mcp-execution',
  'before-read-file',
  'after-agent-thought',
  'pre-compact',
  'subagent-start',
  'subagent-stop',
  'before-tab-file-read',
  'after-tab-file-edit',
];

/** The tools that write files, and the tool-input keys that name the file (Cursor has used all three). */
export const FILE_TOOLS = ['Write', 'StrReplace', 'Delete', 'ApplyPatch', 'EditNotebook'] as const;
export const SHELL_TOOLS = ['Shell'] as const;
const PATH_KEYS = ['file_path', 'path', 'filePath', 'target_notebook'] as const;
/** The name trace records for an `afterFileEdit` event, which is not a tool call of its own. */
export const AFTER_FILE_EDIT = 'afterFileEdit';

/** The concrete model: `model_id` unless it is Cursor's "default" (Auto), else `model` unless "default". */
export function concreteModel(payload: Record<string, unknown>): string | undefined {
  for (const key of ['model_id', 'model']) {
    const value = payload[key];
    if (typeof value === 'string' && value !== '' && value !== 'default') return value;
  }
  return undefined;
}

/** Cursor on Windows sends `/c:/Users/…`. */
function normalizePath(path: string): string {
  return /^\/[A-Za-z]:[\\/]/.test(path) ? path.slice(1) : path;
}

/** The workspace root a path lies in, else the first root (the one relative paths are relative to). */
function workspaceRoot(roots: string[], path: string | undefined): string | undefined {
  if (path !== undefined) {
    const inside = roots.filter((root) => path === root || path.startsWith(root.endsWith('/') || root.endsWith('\\') ? root : `${root}/`) || path.startsWith(`${root}\\`));
    if (inside.length > 0) return inside.reduce((a, b) => (b.length > a.length ? b : a));
  }
  return roots[0];
}

/** A payload that another agent's hooks relayed here (Claude-format configs name events in PascalCase; Copilot uses camelCase fields). */
function relayedFrom(payload: Record<string, unknown>): string | undefined {
  const name = payload.hook_event_name;
  if (typeof name === 'string' && /^[A-Z]/.test(name)) return `a ${name} payload of a Claude-format hook config`;
  if (payload.conversation_id === undefined && payload.session_id === undefined && typeof payload.sessionId === 'string') return 'a Copilot payload (sessionId)';
  return undefined;
}

/** FNV-1a over UTF-16 code units, as hex: a cheap stable id for a call Cursor gave none (no node:crypto on the hot path). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Validates a Cursor payload for `event`; reports every problem at once as `field: message`. */
function parse(event: string, payload: unknown): ParseResult {
  const name = EVENTS[event];
  if (name === undefined) {
    if (OTHER_EVENTS.includes(event)) return { ok: true, events: [] };
    return { ok: false, ignored: false, problems: [`event: unknown Cursor event "${event}" (expected one of ${Object.keys(EVENTS).join(', ')})`] };
  }
  if (!isRecord(payload)) return { ok: false, ignored: false, problems: ['payload: expected a JSON object'] };
  const relayed = relayedFrom(payload);
  if (relayed !== undefined) return { ok: false, ignored: true, problems: [`payload relayed from another agent's hooks: ${relayed}`] };
  const problems: string[] = [];

  // Tool events for tools trace does not capture (Read, Grep, MCP:…) carry nothing trace records:
  // decided before anything else, so an excerpted payload without ids is not an error.
  const toolName = payload.tool_name;
  const isToolEvent = name === 'pre-tool-use' || name === 'post-tool-use' || name === 'post-tool-use-failure';
  if (isToolEvent && event !== 'after-file-edit') {
    if (typeof toolName !== 'string' || toolName === '') return { ok: false, ignored: false, problems: ['tool_name: expected a string'] };
    if (!(FILE_TOOLS as readonly string[]).includes(toolName) && !(SHELL_TOOLS as readonly string[]).includes(toolName)) return { ok: true, events: [] };
  }

  const sessionId = sessionIdOf(payload.conversation_id ?? payload.session_id, 'conversation_id', problems);
  const roots = Array.isArray(payload.workspace_roots) ? payload.workspace_roots.filter((root): root is string => typeof root === 'string' && root !== '').map(normalizePath) : [];
  if (payload.workspace_roots !== undefined && !Array.isArray(payload.workspace_roots)) problems.push('workspace_roots: expected an array of paths');
  const payloadCwd = optionalString(payload, 'cwd', problems);
  const generationId = optionalString(payload, 'generation_id', problems);

  const base: CaptureEvent = {
    name,
    sessionId,
    cwd: roots[0] ?? (payloadCwd === '' ? undefined : payloadCwd),
    transcriptPath: optionalString(payload, 'transcript_path', problems),
    model: concreteModel(payload),
    agentVersion: optionalString(payload, 'cursor_version', problems),
    source: undefined,
    reason: undefined,
    prompt: undefined,
    promptId: undefined,
    agentId: undefined,
    tool: undefined,
    error: undefined,
  };
  // Problems in the envelope make the event unusable whatever it is.
  const done = (events: CaptureEvent[]): ParseResult => (problems.length > 0 ? { ok: false, ignored: false, problems } : { ok: true, events });

  switch (event) {
    case 'session-start':
      return done([base]);
    case 'session-end':
      base.reason = optionalString(payload, 'reason', problems);
      return done([base]);
    case 'before-submit-prompt':
      base.prompt = optionalString(payload, 'prompt', problems);
      base.promptId = generationId || undefined;
      if (base.prompt === undefined) problems.push('prompt: missing');
      return done([base]);
    case 'stop':
    case 'after-agent-response': {
      const usage = turnUsage(payload, base.model, problems);
      return done(usage ? [{ ...base, usage }] : []);
    }
    case 'after-file-edit': {
      const path = optionalString(payload, 'file_path', problems);
      if (path === undefined || path === '') problems.push('file_path: expected a path');
      const edits = payload.edits;
      if (!Array.isArray(edits)) problems.push('edits: expected an array');
      if (path === undefined || path === '' || !Array.isArray(edits)) return done([]);
      const filePath = normalizePath(path);
      base.cwd = workspaceRoot(roots, filePath) ?? base.cwd;
      const input = { file_path: filePath, edits };
      const useId = `cursor-edit-${generationId ?? 'none'}-${fnv1a(JSON.stringify(input))}`;
      base.tool = { name: AFTER_FILE_EDIT, useId, kind: 'file', input, response: undefined, filePaths: [filePath] };
      return done([base]);
    }
    default: {
      // pre-tool-use, post-tool-use, post-tool-use-failure of a file or shell tool.
      const tool = toolCall(payload, toolName as string, generationId, problems);
      if (tool === undefined) return done([]);
      base.tool = tool;
      if (tool.kind === 'file') base.cwd = workspaceRoot(roots, tool.filePaths.find((path) => isAbsolute(path))) ?? base.cwd;
      if (name === 'post-tool-use-failure') {
        const message = optionalString(payload, 'error_message', problems);
        const type = optionalString(payload, 'failure_type', problems);
        base.error = message ?? type ?? 'failed';
        if (payload.is_interrupt === true) base.error = `interrupted: ${base.error}`;
      }
      return done([base]);
    }
  }
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

function turnUsage(payload: Record<string, unknown>, model: string | undefined, problems: string[]): TurnUsage | undefined {
  const input = optionalCount(payload, 'input_tokens', problems);
  const output = optionalCount(payload, 'output_tokens', problems);
  const cacheRead = optionalCount(payload, 'cache_read_tokens', problems);
  const cacheWrite = optionalCount(payload, 'cache_write_tokens', problems);
  // A turn that failed (status "error") reports no tokens at all: nothing to record.
  if (input === undefined && output === undefined && cacheRead === undefined && cacheWrite === undefined) return undefined;
  return { model, inputTokens: input ?? 0, outputTokens: output ?? 0, cacheReadTokens: cacheRead ?? 0, cacheWriteTokens: cacheWrite ?? 0 };
}

function toolCall(payload: Record<string, unknown>, name: string, generationId: string | undefined, problems: string[]): ToolCall | undefined {
  const rawInput = payload.tool_input;
  // cursor-agent's postToolUse can come without tool_input; MCP-style inputs are JSON strings.
  let input: Record<string, unknown> | undefined;
  if (isRecord(rawInput)) input = rawInput;
  else if (rawInput === undefined || rawInput === null) input = {};
  else if (typeof rawInput === 'string' && name === 'ApplyPatch') input = { patch: rawInput };
  else problems.push('tool_input: expected an object');
  if (input === undefined) return undefined;
  const rawId = payload.tool_use_id;
  if (rawId !== undefined && (typeof rawId !== 'string' || rawId === '')) problems.push('tool_use_id: expected a string');
  // Without an id (cursor-agent's trimmed postToolUse), the call is named by its turn and input, so a
  // pre and post that both lack it still pair.
  const useId = typeof rawId === 'string' && rawId !== '' ? rawId : `cursor-${name}-${generationId ?? 'none'}-${fnv1a(JSON.stringify(rawInput ?? null))}`;
  const response = payload.tool_output;
  if ((SHELL_TOOLS as readonly string[]).includes(name)) return { name, useId, kind: 'shell', input, response, filePaths: [] };
  const filePaths = filesOf(name, input);
  // A post event that lost its input names no file: trace cannot tell what it wrote.
  if (filePaths.length === 0) {
    if (rawInput !== undefined && rawInput !== null) problems.push(name === 'ApplyPatch' ? 'tool_input.patch: names no file (*** Add/Update/Delete File:)' : 'tool_input.path: expected a path');
    return undefined;
  }
  return { name, useId, kind: 'file', input, response, filePaths };
}

/** The files a file tool writes: the input's path, or for ApplyPatch every file its patch names. */
export function filesOf(toolName: string, input: Record<string, unknown>): string[] {
  if (toolName === 'ApplyPatch') {
    const patch = typeof input.patch === 'string' ? input.patch : typeof input.input === 'string' ? input.input : undefined;
    if (patch === undefined) return pathOf(input) === undefined ? [] : [pathOf(input)!];
    return patchPaths(parsePatch(patch)).map(normalizePath);
  }
  const path = pathOf(input);
  return path === undefined ? [] : [normalizePath(path)];
}

function pathOf(input: Record<string, unknown>): string | undefined {
  for (const key of PATH_KEYS) {
    const value = input[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

const undo = (text: string, oldString: unknown, newString: unknown, all: boolean): string | undefined => {
  if (typeof oldString !== 'string' || typeof newString !== 'string') return undefined;
  // An edit that inserted nothing cannot be found again.
  if (newString === '' || !text.includes(newString)) return undefined;
  return all ? text.split(newString).join(oldString) : text.replace(newString, () => oldString);
};

/**
 * The content `path` had before a file tool ran, worked back when no pre event was seen: StrReplace
 * and afterFileEdit's edits undone in `after`, an ApplyPatch's hunks reversed (null for a file it
 * added). Undefined when it cannot be known (Write, Delete, EditNotebook).
 */
function contentBeforeCall(tool: ToolCall, path: string, after: string | null | undefined): string | null | undefined {
  const input = tool.input;
  if (tool.name === 'ApplyPatch') return typeof input.patch === 'string' ? contentBeforePatch(input.patch, path, after) : undefined;
  if (after === null || after === undefined) return undefined;
  if (tool.name === 'StrReplace') return undo(after, input.old_string, input.new_string, input.replace_all === true);
  if (tool.name === AFTER_FILE_EDIT && Array.isArray(input.edits)) {
    let text: string | undefined = after;
    for (const edit of [...(input.edits as unknown[])].reverse()) {
      if (text === undefined || !isRecord(edit)) return undefined;
      text = undo(text, edit.old_string, edit.new_string, false);
    }
    return text;
  }
  return undefined;
}

/**
 * What a file tool's input says it writes into `path`, in the Latin-1 form stored texts use: Write's
 * `contents`, StrReplace's `new_string`, an ApplyPatch's added lines, afterFileEdit's new strings;
 * Delete writes nothing. Undefined when the input declares nothing usable.
 */
function declaredWrites(toolName: string, input: unknown, path: string): Declaration | undefined {
  if (!isRecord(input)) return undefined;
  const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  switch (toolName) {
    case 'Write': {
      const contents = typeof input.contents === 'string' ? input.contents : input.content;
      return typeof contents === 'string' ? { kind: 'content', text: latin1(contents) } : undefined;
    }
    case 'StrReplace':
    case 'EditNotebook':
      return typeof input.new_string === 'string' ? { kind: 'fragments', fragments: [latin1(input.new_string)] } : undefined;
    case 'Delete':
      return { kind: 'fragments', fragments: [] };
    case AFTER_FILE_EDIT: {
      if (!Array.isArray(input.edits)) return undefined;
      const fragments = (input.edits as unknown[]).flatMap((edit) => (isRecord(edit) && typeof edit.new_string === 'string' ? [latin1(edit.new_string)] : []));
      return fragments.length === input.edits.length ? { kind: 'fragments', fragments } : undefined;
    }
    case 'ApplyPatch':
      return typeof input.patch === 'string' ? patchWrites(input.patch, path) : undefined;
    default:
      return undefined;
  }
}

/** A shell tool's command, from its input. */
function shellCommand(_toolName: string, input: unknown): string | undefined {
  return isRecord(input) && typeof input.command === 'string' ? input.command : undefined;
}

/**
 * Cursor reads stdout as JSON only from the hooks that decide (preToolUse, beforeSubmitPrompt, the
 * before* events). An answer such as `{"permission":"allow"}` would approve the call over the person's
 * own Cursor settings; empty stdout with exit 0 is "no opinion" (Cursor fails open without
 * `failClosed`, and the real audit hooks of the fixtures print nothing). So trace prints nothing.
 */
function reply(_event: string): string | undefined {
  return undefined;
}

export const hooks: AgentHooks = {
  name: 'cursor',
  hookName: 'cursor',
  parse,
  reply,
  contentBeforeCall,
  declaredWrites,
  shellCommand,
  guard,
};
