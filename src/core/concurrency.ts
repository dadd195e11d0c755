// Calls that run at once (sessions in two terminals, parallel subagents, a developer typing while a
// command runs): which of them can be shown to have written a change. Pure: texts, commands and
// time windows in, decisions out. The rules are in README.md, "Sessions at once".
import type { Author, Declaration } from './types.js';

/** One call's change of one file, as the concurrency rules see it. */
export interface CallWindow {
  /** Distinct per tool call. */
  id: number;
  sessionId: string;
  /**
   * ISO times of the pre and post hooks. `end` is null when no post hook came (the call was killed):
   * it is then taken as the start, so that a missing end never makes every later call concurrent.
   */
  start: string;
  end: string | null;
  /** A shell call's command; undefined for a file tool. */
  command?: string | undefined;
}

/** One call's captured change of a path, as {@link callWindows} selects the calls the rules see. */
export interface CapturedChange {
  /** The tool call's id. */
  callId: number;
  /** '' for an observation of the work tree (a person's change), not a call. */
  sessionId: string;
  start: string | null;
  end: string | null;
  /** A shell call (a work-tree snapshot), not a file tool. */
  shell: boolean;
  /** Whether its before and after snapshots differ. */
  changed: boolean;
}

/**
 * The windows of the calls that take part in the concurrency rules for one path: agents' calls with a
 * time that changed it, and every file tool call, whether or not its snapshots differ. A file tool
 * call declares what it wrote, and its snapshots can fail to show it: another session's write
 * truncates the file while the pre hook copies it and again while the post hook reads it, and both
 * see it empty. Left out, such a call would be alone in its window, its declaration unread, and the
 * line it wrote nobody's (human) wherever the other calls' snapshots show it.
 */
export function callWindows<T extends CapturedChange>(changes: readonly T[]): (CallWindow & { change: T })[] {
  const windows = new Map<number, CallWindow & { change: T }>();
  for (const change of changes) {
    const start = change.start ?? change.end;
    if (change.sessionId === '' || start === null || (change.shell && !change.changed)) continue;
    windows.set(change.callId, { id: change.callId, sessionId: change.sessionId, start, end: change.end, change });
  }
  return [...windows.values()];
}

/** For each call, the other calls whose windows overlap its own (pre to post), by id. */
export function overlappingCalls(calls: readonly CallWindow[]): Map<number, CallWindow[]> {
  const result = new Map<number, CallWindow[]>();
  const sorted = [...calls].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.id - b.id));
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      // Sorted by start: once b starts after a ended, so do the ones after it.
      if (b.start > (a.end ?? a.start)) break;
      if (a.id === b.id) continue;
      (result.get(a.id) ?? result.set(a.id, []).get(a.id)!).push(b);
      (result.get(b.id) ?? result.set(b.id, []).get(b.id)!).push(a);
    }
  }
  return result;
}

const BOUNDARY = /[\s'"`/=<>();|&,:]/;

/** Whether a shell command names `path` (repository-relative): the path itself or its file name, as a whole word. */
export function commandNamesPath(command: string, path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  for (const needle of new Set([path, name])) {
    if (needle === '') continue;
    for (let at = command.indexOf(needle); at >= 0; at = command.indexOf(needle, at + 1)) {
      const before = at === 0 ? ' ' : command[at - 1]!;
      const after = at + needle.length >= command.length ? ' ' : command[at + needle.length]!;
      if (BOUNDARY.test(before) && BOUNDARY.test(after)) return true;
    }
  }
  return false;
}

/** Programs that write no file unless told one (by an argument naming it, or a redirection). */
const NON_WRITERS = new Set([
  'sleep', 'cat', 'ls', 'grep', 'egrep', 'fgrep', 'rg', 'head', 'tail', 'wc', 'echo', 'printf', 'pwd', 'true', 'false', 'test', '[',
  'which', 'type', 'date', 'whoami', 'stat', 'file', 'diff', 'cmp', 'tree', 'du', 'df', 'uname', 'id', 'hostname', 'cd', 'less', 'more',
  'wait', 'read', 'basename', 'dirname', 'realpath', 'readlink', 'ps', 'env', 'printenv', 'jq', 'md5sum', 'sha256sum', 'sha1sum', 'nl',
]);
/** git subcommands that only read. */
const GIT_READERS = new Set(['status', 'diff', 'log', 'show', 'blame', 'rev-parse', 'ls-files', 'grep', 'describe', 'shortlog', 'cat-file', 'ls-tree']);

/**
 * Whether a shell command can be shown to write no file it does not name: every command in it is a
 * known non-writer (`sleep`, `cat`, `grep`, `git status`, ...) and nothing is redirected into a file.
 * Anything else (a script, a build, a formatter, an unknown program) may write files it does not name.
 */
export function writesOnlyNamedFiles(command: string): boolean {
  // A redirection into a file (`>`, `>>`, `&>`), other than to /dev/null or another descriptor, names
  // the file it writes: commandNamesPath finds it. Unnamed writes need a program that makes them.
  const simple = command
    .replace(/\d*>>?\s*&\d/g, ' ')
    .split(/&&|\|\||[;|&\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (simple.length === 0) return false;
  for (const part of simple) {
    const words = part.replace(/\s[<>].*$/, '').split(/\s+/);
    // Leading variable assignments (`LC_ALL=C grep ...`) and `time`/`command` prefixes.
    while (words.length > 1 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!) || words[0] === 'time' || words[0] === 'command')) words.shift();
    const program = words[0]!.replace(/^.*\//, '');
    if (program === 'git') {
      const sub = words.slice(1).find((word) => !word.startsWith('-'));
      if (sub === undefined || !GIT_READERS.has(sub)) return false;
      continue;
    }
    if (program === 'env' && words.length > 1) return false; // `env X=1 prog` runs prog
    if (!NON_WRITERS.has(program)) return false;
  }
  return true;
}

/** How a shell call's change of a path is credited. */
export type ShellCredit = { kind: 'author'; author: Author } | { kind: 'observer' };

/**
 * Who made a change a shell call observed, given the other calls running at the same time that also
 * saw the path change. The calls whose command names the path are the writers when there are any;
 * else the calls whose command may write unnamed files. One writer: it is credited. Several: the
 * change is ambiguous between their sessions. None (every call running could only read): ambiguous
 * between those sessions and a person. A call that is not a writer when another is only observed the
 * change: it is credited with none of it.
 */
export function creditShellChange(call: CallWindow & { command: string }, others: readonly (CallWindow & { command: string })[], path: string): ShellCredit {
  const all = [call, ...others];
  const named = all.filter((c) => commandNamesPath(c.command, path));
  const writers = named.length > 0 ? named : all.filter((c) => !writesOnlyNamedFiles(c.command));
  if (writers.length === 0) return { kind: 'author', author: ambiguous(all.map((c) => c.sessionId), true) };
  if (!writers.includes(call)) return { kind: 'observer' };
  return { kind: 'author', author: ambiguous(writers.map((c) => c.sessionId), false) };
}

/** One candidate session and no person is simply that session. */
export function ambiguous(sessionIds: readonly string[], human: boolean): Author {
  const ids = [...new Set(sessionIds)].sort();
  if (!human && ids.length === 1) return { kind: 'ai', sessionId: ids[0]! };
  return { kind: 'ambiguous', sessionIds: ids, human };
}

/**
 * Which lines of a call's after-content its declaration covers: for a Write, the lines of the content;
 * for edits, the lines each declared string makes, matched line by line so that a concurrent edit
 * next to it does not hide it: its whole lines equal, its first line ends a line (the edit starts
 * mid-line), its last line starts one, and a string within one line is contained in it. Texts are
 * compared as stored (Latin-1 for bytes): the caller passes declarations in the same encoding.
 */
export function declaredLines(afterLines: readonly string[], declaration: Declaration): boolean[] {
  const mask = new Array<boolean>(afterLines.length).fill(false);
  const whole = new Set<string>();
  const ends: string[] = [];
  const starts: string[] = [];
  const within: string[] = [];
  if (declaration.kind === 'content') for (const line of declaration.text.split('\n')) whole.add(stripCr(line));
  else {
    for (const fragment of declaration.fragments) {
      const pieces = fragment.split('\n').map(stripCr);
      if (pieces.length === 1) {
        if (pieces[0] !== '') within.push(pieces[0]!);
        continue;
      }
      if (pieces[0] !== '') ends.push(pieces[0]!);
      const last = pieces[pieces.length - 1]!;
      if (last !== '') starts.push(last);
      for (let k = 1; k < pieces.length - 1; k++) whole.add(pieces[k]!);
    }
  }
  for (let j = 0; j < afterLines.length; j++) {
    const line = stripCr(afterLines[j]!);
    mask[j] = whole.has(line) || ends.some((piece) => line.endsWith(piece)) || starts.some((piece) => line.startsWith(piece)) || within.some((piece) => line.includes(piece));
  }
  return mask;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
