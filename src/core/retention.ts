// What of a session leaves the machine under each `trace.transcripts.retention` level. Pure: the
// repository root and home directory are passed in.
//
// `prompts` (the default) and `none`: paths relative to the repository (`~/…` under the home
// directory, else `<outside-repo>`), and file-tool inputs reduced to their path plus the size,
// line count and git blob id of each content string: the lines themselves are in the commits.
// `full`: everything as recorded. Secrets are redacted at every level, later, by core/redact.ts.
import { blobOid } from './sha1.js';

export type Retention = 'none' | 'prompts' | 'full';

export interface PathContext {
  /** The repository's work tree, absolute (several spellings allowed: symlinked and real). */
  roots: readonly string[];
  /** The user's home directory, absolute; empty when unknown. */
  home: string;
}

export const OUTSIDE_REPO = '<outside-repo>';

/** Keys of a tool input that hold one file path. */
const PATH_KEYS = new Set(['file_path', 'path', 'notebook_path', 'cwd', 'filePath']);

/** Keys of a file tool's input that hold file content. */
const CONTENT_KEYS = new Set(['content', 'old_string', 'new_string', 'new_source']);

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A path is "the same name" only up to a character that cannot continue it. */
const BOUNDARY = '(?![A-Za-z0-9._-])';

/** Rewrites a repository root to relative and the home directory to `~` wherever they appear in `text`. */
export function relativiseText(text: string, context: PathContext): string {
  let out = text;
  for (const root of [...context.roots].map(trimSlash).filter((r) => r.length > 1).sort((a, b) => b.length - a.length)) {
    if (!out.includes(root)) continue;
    out = out.replace(new RegExp(`${escapeRegExp(root)}/`, 'g'), '').replace(new RegExp(`${escapeRegExp(root)}${BOUNDARY}`, 'g'), '.');
  }
  const home = trimSlash(context.home);
  if (home.length > 1 && out.includes(home)) out = out.replace(new RegExp(`${escapeRegExp(home)}(?=/|$|[^A-Za-z0-9._-])`, 'g'), '~');
  return out;
}

/** One absolute path: relative under the repository, `~/…` under the home directory, else `<outside-repo>`. */
export function relativisePath(path: string, context: PathContext): string {
  if (!path.startsWith('/')) return path;
  for (const root of context.roots.map(trimSlash)) {
    if (path === root) return '.';
    if (path.startsWith(`${root}/`)) return path.slice(root.length + 1);
  }
  const home = trimSlash(context.home);
  if (home.length > 1 && (path === home || path.startsWith(`${home}/`))) return `~${path.slice(home.length)}`;
  return OUTSIDE_REPO;
}

/** Every string of `value`, paths under known keys as whole paths, others with roots and home rewritten. */
export function relativisePaths(value: unknown, context: PathContext, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && PATH_KEYS.has(key) ? relativisePath(value, context) : relativiseText(value, context);
  if (Array.isArray(value)) return value.map((item) => relativisePaths(item, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relativisePaths(v, context, k)]));
  }
  return value;
}

export interface ContentSummary {
  bytes: number;
  lines: number;
  /** Git's blob id of the string: it finds the content in the repository's history when it was committed. */
  blob: string;
}

export function summariseContent(text: string): ContentSummary {
  const bytes = new TextEncoder().encode(text);
  const newlines = text.split('\n').length - 1;
  return { bytes: bytes.length, lines: text.length === 0 ? 0 : newlines + (text.endsWith('\n') ? 0 : 1), blob: blobOid(bytes) };
}

function isFileInput(input: Record<string, unknown>): boolean {
  return typeof input.file_path === 'string' || typeof input.notebook_path === 'string' || (typeof input.path === 'string' && Object.keys(input).some((k) => CONTENT_KEYS.has(k)));
}

/** A file tool's input without contents: each content string becomes `{ bytes, lines, blob }`, `edits[]` likewise. */
export function withoutContents(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const record = input as Record<string, unknown>;
  if (!isFileInput(record)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (CONTENT_KEYS.has(key) && typeof value === 'string') out[key] = summariseContent(value);
    else if (key === 'edits' && Array.isArray(value)) {
      out[key] = (value as unknown[]).map((edit): unknown =>
        typeof edit === 'object' && edit !== null
          ? Object.fromEntries(Object.entries(edit as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' && k !== 'replace_all' ? summariseContent(v) : v]))
          : edit,
      );
    } else out[key] = value;
  }
  return out;
}

/** A `prompts`-retention conversation entry: a tool call's file contents summarised. */
export function retainedEntry(entry: unknown): unknown {
  if (typeof entry !== 'object' || entry === null) return entry;
  const record = entry as Record<string, unknown>;
  if (record.type !== 'tool_call' || !('input' in record)) return entry;
  return { ...record, input: withoutContents(record.input) };
}

/** The session objects and warnings as `retention` lets them leave the machine (before redaction). */
export function applyRetention<T>(value: T, retention: Retention, context: PathContext): T {
  if (retention === 'full') return value;
  return relativisePaths(value, context) as T;
}
