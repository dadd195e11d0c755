// The repository's verify policies (`trace.policies` in .chainloop.yml) as pure decisions over
// attestation statements: each rule takes statements and returns violations, never throws on bad
// data (a session object comes from a remote note and is read defensively) and touches no I/O.
//
// Allow-lists fail closed: a session whose agent or model is unknown violates them. Limits judge what
// is known: a session without usage data does not exceed a token or cost limit. A session named by
// line ranges but missing from `predicate.sessions` is not judged here; verify's consistency check
// reports it.
import { z } from 'zod';
import { TraceError } from '../errors.js';
import type { Predicate, Statement } from './predicate.js';
import { isRedactionExempt } from './redact.js';

const share = z.number().min(0).max(1);

const regexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
    }
  });

const forbiddenCommandsSchema = z
  .strictObject({
    builtin: z.boolean().default(true).describe('Check the built-in list of destructive shell commands (rm -rf /, force-push to a protected branch, curl | sh, DROP DATABASE, mkfs, dd to a disk, chmod -R 777 /, fork bomb).'),
    patterns: z.array(regexSource).default([]).describe('Extra forbidden commands: JavaScript regular expressions, case-sensitive, matched anywhere in each captured command.'),
    protectedBranches: z
      .array(z.string().min(1))
      .default(['main', 'master'])
      .describe('Branches (globs: * within a path segment, ** across) an agent must not force-push to, e.g. release/*.'),
  })
  .prefault({});

export const policiesSchema = z
  .strictObject({
    allowedAgents: z
      .array(z.string().min(1))
      .optional()
      .describe('Agents allowed to write committed code (claude-code or claude, cursor, codex, gemini-cli, ...). Absent: any agent.'),
    allowedModels: z
      .array(z.string().min(1))
      .optional()
      .describe('Models allowed in agent sessions: exact ids or globs with * (claude-sonnet-4-*). Absent: any model.'),
    maxAiShare: z
      .strictObject({
        perCommit: share.optional().describe('Highest share (0..1) of AI-written lines among the lines a commit adds (lines of unknown author count as AI); generated files left out.'),
        perRange: share.optional().describe('Highest share (0..1) of AI-written lines among all lines the verified range adds (lines of unknown author count as AI).'),
      })
      .optional(),
    maxTokensPerSession: z.number().int().min(0).optional().describe('Highest total token count of one agent session.'),
    maxCostPerSessionUsd: z.number().min(0).optional().describe('Highest estimated cost (USD) of one agent session.'),
    forbiddenCommands: forbiddenCommandsSchema,
    aiForbiddenPaths: z
      .array(z.string().min(1))
      .optional()
      .describe('Paths (globs: *, ?, **; a pattern without / matches at any depth; a directory covers its contents) that must hold no AI-written line.'),
    noUnredactedSecrets: z.boolean().default(true).describe('Fail when a session object or warning of the attestation still holds a secret.'),
  })
  .prefault({});

export type Policies = z.output<typeof policiesSchema>;

export interface Violation {
  /** The policy key, e.g. `allowedAgents`, `maxAiShare.perCommit`, `forbiddenCommands`. */
  rule: string;
  commit?: string;
  session?: string;
  path?: string;
  /** What was seen: the agent, the model, the share, the command, the secret's rule and place (never the secret). */
  evidence: string;
  message: string;
}

export type DetectSecrets = (text: string) => { ruleId: string }[];

export interface EvaluateOptions {
  /** Required when `noUnredactedSecrets` is on (the default): normally the redactor of src/core/redact.ts. */
  detectSecrets?: DetectSecrets;
}

type Commit = Predicate['commits'][number];
type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const short = (sha: string): string => sha.slice(0, 7);
const percent = (value: number): string => `${Math.round(value * 1000) / 10}%`;
const clip = (text: string, max = 200): string => {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
};

// ---------------------------------------------------------------------------------------------
// Globs

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `**` spans path segments (`a/**\/b` matches `a/b`), `*` and `?` stay within one; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      const slashAfter = glob[i + 2] === '/';
      if (atStart && slashAfter) {
        out += '(?:.*/)?';
        i += 2;
      } else if (atStart && i + 2 === glob.length && i > 0) {
        out = `${out.slice(0, -1)}(?:/.*)?`; // `dir/**` also matches `dir` itself
        i += 1;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

/**
 * Whether a repository path falls under a path glob, gitignore-style: a leading `/` anchors at the
 * root (and is dropped), a pattern without `/` matches at any depth, and a pattern that matches a
 * directory matches everything inside it.
 */
export function pathMatches(glob: string, path: string): boolean {
  let pattern = glob.replace(/\/+$/, '');
  if (pattern.startsWith('/')) pattern = pattern.replace(/^\/+/, '');
  else if (!pattern.includes('/')) pattern = `**/${pattern}`;
  if (pattern === '') return false;
  const re = globToRegExp(pattern);
  const parts = path.replace(/^\.\//, '').split('/');
  for (let n = parts.length; n >= 1; n--) if (re.test(parts.slice(0, n).join('/'))) return true;
  return false;
}

/** `*` matches any run of characters (including `/`); the rest is literal. */
function wildcardMatches(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(value);
}

// ---------------------------------------------------------------------------------------------
// Sessions, read defensively

interface SessionView {
  index: number;
  id: string;
  raw: Json;
  commits: string[];
}

function sessionsOf(statement: Statement): SessionView[] {
  const { commits, sessions } = statement.predicate;
  return sessions.map((raw, index) => {
    const id = raw.session.id;
    const own = commits.filter((c) => c.session_ids.includes(id)).map((c) => c.sha);
    const fromContext = (obj(raw.git_context)?.commits ?? []) as unknown[];
    return { index, id, raw, commits: own.length > 0 ? own : fromContext.filter((c): c is string => typeof c === 'string') };
  });
}

function sessionLabel(s: SessionView): string {
  const [first, second, ...rest] = s.commits;
  if (first === undefined) return `session ${s.id}`;
  if (second === undefined) return `commit ${short(first)}, session ${s.id}`;
  const more = rest.length > 0 ? ` +${rest.length} more` : '';
  return `commits ${short(first)}, ${short(second)}${more}, session ${s.id}`;
}

function sessionViolation(s: SessionView, rule: string, evidence: string, what: string): Violation {
  const first = s.commits[0];
  return {
    rule,
    ...(first === undefined ? {} : { commit: first }),
    session: s.id,
    evidence,
    message: `${sessionLabel(s)}: ${what} (trace.policies.${rule})`,
  };
}

const AGENT_ALIASES: Record<string, string> = {
  claude: 'claude-code',
  'claude-code': 'claude-code',
  'claude code': 'claude-code',
  gemini: 'gemini-cli',
  copilot: 'github-copilot',
};

/** `claude` and `claude-code` name the same agent, as do the hook names and Chainloop names of the others. */
export function normalizeAgent(name: string): string {
  const lower = name.trim().toLowerCase();
  return AGENT_ALIASES[lower] ?? lower;
}

// ---------------------------------------------------------------------------------------------
// Rules over sessions

export function checkAllowedAgents(statement: Statement, policies: Policies): Violation[] {
  const allowed = policies.allowedAgents;
  if (allowed === undefined) return [];
  const names = new Set(allowed.map(normalizeAgent));
  const list = allowed.join(', ') || 'none';
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const agent = str(obj(s.raw.agent)?.name);
    if (agent === undefined) out.push(sessionViolation(s, 'allowedAgents', '(unknown agent)', `the agent is unknown, and only ${list} may write code`));
    else if (!names.has(normalizeAgent(agent))) out.push(sessionViolation(s, 'allowedAgents', agent, `agent ${agent} is not allowed (allowed: ${list})`));
  }
  return out;
}

export function checkAllowedModels(statement: Statement, policies: Policies): Violation[] {
  const allowed = policies.allowedModels;
  if (allowed === undefined) return [];
  const list = allowed.join(', ') || 'none';
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const model = obj(s.raw.model);
    const used = new Set<string>();
    const primary = str(model?.primary);
    if (primary !== undefined) used.add(primary);
    for (const m of Array.isArray(model?.models_used) ? model.models_used : []) if (str(m) !== undefined) used.add(m as string);
    if (used.size === 0) {
      out.push(sessionViolation(s, 'allowedModels', '(unknown model)', `the model is unknown, and only ${list} may be used`));
      continue;
    }
    for (const m of used) {
      if (!allowed.some((pattern) => wildcardMatches(pattern, m))) out.push(sessionViolation(s, 'allowedModels', m, `model ${m} is not allowed (allowed: ${list})`));
    }
  }
  return out;
}

export function checkMaxTokensPerSession(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxTokensPerSession;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const total = num(obj(s.raw.usage)?.total_tokens);
    if (total !== undefined && total > max) {
      out.push(sessionViolation(s, 'maxTokensPerSession', `${total} tokens`, `the session used ${total} tokens, more than the ${max} allowed`));
    }
  }
  return out;
}

export function checkMaxCostPerSession(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxCostPerSessionUsd;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const cost = num(obj(s.raw.usage)?.estimated_cost_usd);
    if (cost !== undefined && cost > max) {
      out.push(sessionViolation(s, 'maxCostPerSessionUsd', `$${cost.toFixed(2)}`, `the session cost an estimated $${cost.toFixed(2)}, more than the $${max.toFixed(2)} allowed`));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AI share

interface LineCounts {
  added: number;
  /** AI lines, with the `unknown` ones: lines an agent may have written count as not human. */
  ai: number;
  /** Of those, the lines attributed `unknown`. */
  unknown: number;
}

/** Added and not-human (ai + unknown) added lines of a commit; generated files are left out, as in the predicate's totals. */
export function commitLineCounts(commit: Commit): LineCounts {
  let added = 0;
  let ai = 0;
  let unknown = 0;
  for (const file of commit.files) {
    if (file.generated === true) continue;
    added += file.lines_added;
    ai += file.ai_lines_added + (file.unknown_lines_added ?? 0);
    unknown += file.unknown_lines_added ?? 0;
  }
  return { added, ai, unknown };
}

export function checkMaxAiSharePerCommit(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxAiShare?.perCommit;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const commit of statement.predicate.commits) {
    const { added, ai, unknown } = commitLineCounts(commit);
    if (added === 0 || ai / added <= max) continue;
    const evidence = `${ai} of ${added} added lines (${percent(ai / added)}${unknown ? `, ${unknown} of them of unknown author` : ''})`;
    out.push({
      rule: 'maxAiShare.perCommit',
      commit: commit.sha,
      evidence,
      message: `commit ${short(commit.sha)}: ${evidence} are AI-written, above the ${percent(max)} allowed (trace.policies.maxAiShare.perCommit)`,
    });
  }
  return out;
}

/** Across every statement of the range; a commit attested in several statements counts once. */
export function checkMaxAiSharePerRange(statements: readonly Statement[], policies: Policies): Violation[] {
  const max = policies.maxAiShare?.perRange;
  if (max === undefined) return [];
  const seen = new Set<string>();
  let added = 0;
  let ai = 0;
  let unknown = 0;
  for (const statement of statements) {
    for (const commit of statement.predicate.commits) {
      if (seen.has(commit.sha)) continue;
      seen.add(commit.sha);
      const counts = commitLineCounts(commit);
      added += counts.added;
      ai += counts.ai;
      unknown += counts.unknown;
    }
  }
  if (added === 0 || ai / added <= max) return [];
  const evidence = `${ai} of ${added} added lines (${percent(ai / added)}${unknown ? `, ${unknown} of them of unknown author` : ''}) in ${seen.size} commit${seen.size === 1 ? '' : 's'}`;
  return [
    {
      rule: 'maxAiShare.perRange',
      evidence,
      message: `the range: ${evidence} are AI-written, above the ${percent(max)} allowed (trace.policies.maxAiShare.perRange)`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Paths

export function checkAiForbiddenPaths(statement: Statement, policies: Policies): Violation[] {
  const globs = policies.aiForbiddenPaths;
  if (globs === undefined || globs.length === 0) return [];
  const out: Violation[] = [];
  for (const commit of statement.predicate.commits) {
    for (const file of commit.files) {
      const aiRanges = file.lines.filter((r) => r.attribution === 'ai');
      const aiLines = aiRanges.reduce((n, r) => n + r.end - r.start + 1, 0) || file.ai_lines_added;
      if (aiLines === 0) continue;
      const glob = globs.find((g) => pathMatches(g, file.path));
      if (glob === undefined) continue;
      const sessions = [...new Set(aiRanges.map((r) => r.session_id).filter((id): id is string => id !== undefined))];
      const [firstSession] = sessions;
      const ranges = aiRanges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
      const evidence = `${file.path}: ${aiLines} AI line${aiLines === 1 ? '' : 's'}${ranges ? ` (${ranges})` : ''}`;
      out.push({
        rule: 'aiForbiddenPaths',
        commit: commit.sha,
        ...(firstSession === undefined ? {} : { session: firstSession }),
        path: file.path,
        evidence,
        message: `commit ${short(commit.sha)}${sessions.length > 0 ? `, session ${sessions.join(', ')}` : ''}: ${evidence}, but ${glob} must hold no AI-written line (trace.policies.aiForbiddenPaths)`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands
//
// A small shell reader, enough to find what would run: it splits a command into simple commands at
// unquoted ; & && | || newlines, parentheses, `$(` and backticks, removes quotes, keeps here-doc
// bodies with the command that reads them, and looks inside quoted arguments (a script given to
// `sh -c`, `ssh host '...'`, `docker exec ... psql -c "..."`, `python -c "os.system('...')"`).
// Rules then look at the command word, not at any text: `rm -rf ./build`, `grep -r "rm -rf /" .` and
// `echo "DROP DATABASE x"` pass. The arguments of text-only commands (echo, printf, grep and friends,
// git, gh) are not read as commands (a `$(...)` in them is), so a commit message mentioning `rm -rf /` passes;
// any other quoted argument that starts with a destructive command (`node -e "..."`, a test name) is
// reported: a false positive there is cheaper than a missed `bash -c`.

interface SimpleCommand {
  words: string[];
  /** Simple commands joined by `|` share a pipeline number. */
  pipeline: number;
  heredoc?: string;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'ash']);
const TEXT_COMMANDS = new Set(['echo', 'printf', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'git', 'gh', ':']);
const SQL_CLIENTS = new Set(['psql', 'mysql', 'mariadb', 'sqlite3', 'sqlcmd', 'duckdb', 'clickhouse-client', 'cockroach', 'snowsql', 'bq']);
const PREFIX_OPTIONS_WITH_VALUE: Record<string, Set<string>> = {
  sudo: new Set(['-u', '-g', '-U', '-C', '-D', '-h', '-p', '-r', '-t', '-T']),
  doas: new Set(['-u', '-C']),
  env: new Set(['-u', '-C', '-S', '--unset', '--chdir']),
  nice: new Set(['-n', '--adjustment']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  xargs: new Set(['-I', '-n', '-P', '-L', '-d', '-E', '-s', '-a', '--max-args', '--max-procs', '--delimiter', '--arg-file']),
  command: new Set(),
  builtin: new Set(),
  exec: new Set(['-a']),
  nohup: new Set(),
  time: new Set(['-f', '-o']),
  busybox: new Set(),
  stdbuf: new Set(['-i', '-o', '-e']),
};
const KEYWORDS = new Set(['!', '{', '}', 'then', 'do', 'else', 'elif', 'if', 'while', 'until']);

function commandName(word: string): string {
  const bare = word.replace(/^\\/, '');
  return bare.slice(bare.lastIndexOf('/') + 1);
}

/** Index of the word that names the program run, past keywords, assignments and wrappers like sudo. */
function commandIndex(words: readonly string[]): number {
  let i = 0;
  while (i < words.length) {
    const word = words[i]!;
    if (KEYWORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      i++;
      continue;
    }
    const withValue = PREFIX_OPTIONS_WITH_VALUE[commandName(word)];
    if (withValue === undefined) return i;
    const name = commandName(word);
    i++;
    while (i < words.length) {
      const w = words[i]!;
      if (withValue.has(w)) i += 2;
      else if (w.startsWith('-') && w !== '-') i++;
      else if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
      else break;
    }
    if (name === 'timeout' && i < words.length) i++; // the duration
  }
  return i;
}

/** Splits shell text into simple commands; quoted arguments that look like commands are read too. */
export function simpleCommands(text: string): SimpleCommand[] {
  return readShell(text, 0, { next: 0 });
}

function readShell(text: string, depth: number, pipelines: { next: number }): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let pipeline = pipelines.next++;
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  // Here-docs opened on the current line: their bodies start after it.
  let heredocs: { delimiter: string; owner: string[] }[] = [];

  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (pipe: boolean): void => {
    endWord();
    if (words.length > 0) out.push({ words, pipeline });
    words = [];
    if (!pipe) pipeline = pipelines.next++;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i]!;
      else word += c;
      continue;
    }
    if (c === '\\') {
      if (text[i + 1] !== '\n') {
        word += text[i + 1] ?? '';
        inWord = true;
      }
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      endCommand(false);
      for (const { delimiter, owner } of heredocs) {
        const lines: string[] = [];
        let j = i + 1;
        while (j < text.length) {
          const eol = text.indexOf('\n', j);
          const line = text.slice(j, eol === -1 ? text.length : eol);
          j = eol === -1 ? text.length : eol + 1;
          if (line.trim() === delimiter) break;
          lines.push(line);
        }
        i = j - 1;
        const command = out.find((cmd) => cmd.words === owner);
        if (command !== undefined) command.heredoc = [command.heredoc, ...lines].filter((l) => l !== undefined).join('\n');
      }
      heredocs = [];
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      continue;
    }
    if (c === '&' && text[i + 1] === '>') {
      endWord();
      const op = text[i + 2] === '>' ? '&>>' : '&>';
      words.push(op);
      i += op.length - 1;
      continue;
    }
    if (c === ';' || c === '&' || c === '(' || c === ')' || c === '`') {
      endCommand(false);
      if (c === '&' && text[i + 1] === '&') i++;
      continue;
    }
    if (c === '|') {
      if (text[i + 1] === '|') {
        i++;
        endCommand(false);
      } else {
        if (text[i + 1] === '&') i++;
        endCommand(true);
      }
      continue;
    }
    if (c === '$' && text[i + 1] === '(') {
      endCommand(false);
      i++;
      continue;
    }
    if (c === '<' || c === '>') {
      const fd = inWord && /^\d+$/.test(word) ? word : '';
      if (fd !== '') {
        word = '';
        inWord = false;
      } else endWord();
      let op = fd + c;
      while (text[i + 1] === '<' || text[i + 1] === '>' || text[i + 1] === '&') op += text[++i]!;
      words.push(op);
      if (op === '<<' || op === '<<-') {
        const m = /^[ \t]*(['"]?)([A-Za-z0-9_.-]+)\1/.exec(text.slice(i + 1));
        if (m !== null) {
          heredocs.push({ delimiter: m[2]!, owner: words });
          words.push(m[2]!);
          i += m[0].length;
        }
      }
      continue;
    }
    word += c;
    inWord = true;
  }
  endCommand(false);

  if (depth >= 4) return out;
  const nested: SimpleCommand[] = [];
  for (const command of out) {
    const at = commandIndex(command.words);
    const first = command.words[at];
    const name = first === undefined ? '' : commandName(first);
    // A command substitution runs wherever it stands, even in an assignment or an echo.
    for (const [k, w] of command.words.entries()) {
      const substitution = /\$\(|`/.test(w);
      if (substitution || (k >= at && !TEXT_COMMANDS.has(name) && /[\s;&|]/.test(w))) nested.push(...readShell(w, depth + 1, pipelines));
    }
    if (TEXT_COMMANDS.has(name)) continue;
    if (command.heredoc !== undefined && (SHELLS.has(name) || name === 'ssh')) nested.push(...readShell(command.heredoc, depth + 1, pipelines));
  }
  return [...out, ...nested];
}

export interface CommandContext {
  /** The session's branch: the target of a push that names no branch. */
  branch?: string;
  protectedBranches: readonly string[];
}

export interface BuiltinCommandRule {
  id: string;
  description: string;
  /** The offending part of the command, or undefined. */
  match(command: string | readonly string[], context: CommandContext): string | undefined;
}

const ROOT_TARGET = /^\/+(?:\.\/*)?\*?$/;
const HOME_TARGET = /^(?:~|\$HOME|\$\{HOME\})\/*\*?$/;
const isRootOrHome = (w: string): boolean => ROOT_TARGET.test(w) || HOME_TARGET.test(w);

function commandsOf(command: string | readonly string[]): SimpleCommand[] {
  if (typeof command === 'string') return simpleCommands(command);
  // An argv (codex: ["bash", "-lc", "..."]): one simple command, its arguments read as usual.
  const quoted = command.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  return simpleCommands(quoted);
}

function eachCommand(command: string | readonly string[], f: (name: string, args: string[], cmd: SimpleCommand, all: SimpleCommand[]) => string | undefined): string | undefined {
  const all = commandsOf(command);
  for (const cmd of all) {
    const at = commandIndex(cmd.words);
    const word = cmd.words[at];
    if (word === undefined) continue;
    const hit = f(commandName(word), cmd.words.slice(at + 1), cmd, all);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function rmRoot(command: string | readonly string[]): string | undefined {
  return eachCommand(command, (name, args) => {
    if (name !== 'rm') return undefined;
    let recursive = false;
    let noPreserve = false;
    const targets: string[] = [];
    let optionsEnded = false;
    for (const a of args) {
      if (!optionsEnded && a === '--') optionsEnded = true;
      else if (!optionsEnded && a === '--recursive') recursive = true;
      else if (!optionsEnded && a === '--no-preserve-root') noPreserve = true;
      else if (!optionsEnded && /^-[A-Za-z]+$/.test(a)) recursive ||= /[rR]/.test(a);
      else if (!optionsEnded && a.startsWith('--')) continue;
      else targets.push(a);
    }
    const text = ['rm', ...args].join(' ');
    if (noPreserve) return text;
    return recursive && targets.some(isRootOrHome) ? text : undefined;
  });
}

function chmodRoot(command: string | readonly string[]): string | undefined {
  return eachCommand(command, (name, args) => {
    if (name !== 'chmod' && name !== 'chown' && name !== 'chgrp') return undefined;
    const text = [name, ...args].join(' ');
    if (args.includes('--no-preserve-root')) return text;
    if (name !== 'chmod') return undefined;
    const recursive = args.some((a) => a === '--recursive' || /^-[A-Za-z]*R[A-Za-z]*$/.test(a));
    const worldWritable = args.some((a) => /^0?777$/.test(a) || /^(?:a|ugo|o)\+[rwxX]*w[rwxX]*$/.test(a));
    return recursive && worldWritable && args.some(isRootOrHome) ? text : undefined;
  });
}

const PUSH_OPTIONS_WITH_VALUE = new Set(['-o', '--push-option', '--repo', '--receive-pack', '--exec']);
const GIT_OPTIONS_WITH_VALUE = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env']);

function forcePushProtected(command: string | readonly string[], context: CommandContext): string | undefined {
  const isProtected = (branch: string): boolean => context.protectedBranches.some((glob) => globToRegExp(glob).test(branch));
  return eachCommand(command, (name, args) => {
    if (name !== 'git') return undefined;
    let i = 0;
    while (i < args.length && args[i]!.startsWith('-')) i += GIT_OPTIONS_WITH_VALUE.has(args[i]!) ? 2 : 1;
    if (args[i] !== 'push') return undefined;
    let force = false;
    let all = false;
    const positional: string[] = [];
    for (let j = i + 1; j < args.length; j++) {
      const a = args[j]!;
      if (PUSH_OPTIONS_WITH_VALUE.has(a)) j++;
      else if (a === '--force' || a.startsWith('--force-with-lease') || (/^-[a-zA-Z]+$/.test(a) && a.includes('f'))) force = true;
      else if (a === '--all' || a === '--mirror' || a === '--branches') all = true;
      else if (!a.startsWith('-')) positional.push(a);
    }
    const text = ['git', ...args].join(' ');
    const refspecs = positional.slice(1);
    if (force && all && context.protectedBranches.length > 0) return text;
    const current = (): string[] => (context.branch === undefined ? [] : [context.branch]);
    const targets: { branch: string; forced: boolean }[] =
      refspecs.length === 0
        ? current().map((branch) => ({ branch, forced: force }))
        : refspecs.flatMap((spec) => {
            const forced = force || spec.startsWith('+');
            const bare = spec.replace(/^\+/, '');
            const colon = bare.indexOf(':');
            let dst = colon === -1 ? bare : bare.slice(colon + 1);
            dst = dst.replace(/^refs\/heads\//, '');
            if (dst === 'HEAD' || dst === '') return current().map((branch) => ({ branch, forced }));
            return [{ branch: dst, forced }];
          });
    return targets.some((t) => t.forced && (t.branch.includes('*') || isProtected(t.branch))) ? text : undefined;
  });
}

const FETCHERS = new Set(['curl', 'wget']);
const SHELL_SUBSTITUTION = /(?<![\w.-])(?:ba|z|da|k|a)?sh\b[^\n;|&]*(?:<\(|\$\(|`)\s*(?:\S*\/)?(?:curl|wget)\b/;

function pipeToShell(command: string | readonly string[]): string | undefined {
  if (typeof command === 'string') {
    const m = SHELL_SUBSTITUTION.exec(command);
    if (m !== null) return m[0];
  }
  const all = commandsOf(command);
  const named = all.map((cmd) => {
    const word = cmd.words[commandIndex(cmd.words)];
    return { cmd, name: word === undefined ? '' : commandName(word) };
  });
  for (const [k, fetch] of named.entries()) {
    if (!FETCHERS.has(fetch.name)) continue;
    const shell = named.slice(k + 1).find((n) => n.cmd.pipeline === fetch.cmd.pipeline && SHELLS.has(n.name));
    if (shell !== undefined) return `${fetch.cmd.words.join(' ')} | ${shell.cmd.words.join(' ')}`;
  }
  return undefined;
}

const SQL_DROP = /\b(?:drop\s+(?:database|schema|table)|truncate\s+(?:table\s+)?(?!-)[\w"`[.]+)/i;

function sqlDrop(command: string | readonly string[]): string | undefined {
  const all = commandsOf(command);
  for (const cmd of all) {
    const at = commandIndex(cmd.words);
    const first = cmd.words[at];
    if (first === undefined) continue;
    const name = commandName(first);
    // A statement in command position is SQL: `DROP` is no shell command, and shell `truncate` takes options.
    const statement = cmd.words.slice(at).join(' ');
    if (/^(?:drop|truncate)$/i.test(name)) {
      const m = SQL_DROP.exec(statement);
      if (m !== null && m.index === 0) return m[0];
    }
    // A SQL client: its arguments, here-doc, and whatever its pipeline feeds it.
    if (SQL_CLIENTS.has(name)) {
      const fed = all.filter((other) => other.pipeline === cmd.pipeline).flatMap((other) => other.words);
      const m = SQL_DROP.exec([...fed, cmd.heredoc ?? ''].join(' '));
      if (m !== null) return `${name}: ${m[0]}`;
    }
  }
  return undefined;
}

function mkfs(command: string | readonly string[]): string | undefined {
  return eachCommand(command, (name, args) => (/^(?:mkfs(?:\..+)?|mke2fs)$/.test(name) ? [name, ...args].join(' ') : undefined));
}

const BLOCK_DEVICE = /^\/dev\/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|r?disk\d|dm-\d|md\d|mapper\/|loop\d)/;

function writeToDisk(command: string | readonly string[]): string | undefined {
  return eachCommand(command, (name, args, cmd) => {
    if (name === 'dd') {
      const of = args.find((a) => a.startsWith('of=') && BLOCK_DEVICE.test(a.slice(3)));
      if (of !== undefined) return ['dd', ...args].join(' ');
    }
    for (const [k, w] of cmd.words.entries()) {
      const target = cmd.words[k + 1];
      if (/^\d*>>?$|^&>>?$/.test(w) && target !== undefined && BLOCK_DEVICE.test(target)) return cmd.words.join(' ');
    }
    return undefined;
  });
}

const FORK_BOMB = /([^\s(){}|&;]+)\s*\(\)\s*\{\s*\1\s*\|\s*\1\s*&\s*\}\s*;?\s*\1/;

function forkBomb(command: string | readonly string[]): string | undefined {
  const text = typeof command === 'string' ? command : command.join(' ');
  return FORK_BOMB.exec(text)?.[0];
}

export const BUILTIN_COMMAND_RULES: readonly BuiltinCommandRule[] = [
  { id: 'rm-root', description: 'recursive rm of / or the home directory, or rm --no-preserve-root', match: rmRoot },
  { id: 'force-push-protected', description: 'git push --force / -f / --force-with-lease / +refspec to a protected branch', match: forcePushProtected },
  { id: 'pipe-to-shell', description: 'a download (curl, wget) piped or substituted into a shell', match: pipeToShell },
  { id: 'sql-drop', description: 'DROP DATABASE / DROP SCHEMA / DROP TABLE / TRUNCATE sent to a database', match: sqlDrop },
  { id: 'mkfs', description: 'making a file system (mkfs, mkfs.*, mke2fs)', match: mkfs },
  { id: 'write-disk', description: 'dd of= or a redirection onto a block device', match: writeToDisk },
  { id: 'chmod-root', description: 'chmod -R 777 (or a+w) of / or the home directory; chmod/chown/chgrp --no-preserve-root', match: chmodRoot },
  { id: 'fork-bomb', description: 'a fork bomb', match: forkBomb },
];

/** The first built-in rule a command breaks, with the offending part. */
export function matchBuiltinCommand(command: string | readonly string[], context: Partial<CommandContext> = {}): { id: string; evidence: string } | undefined {
  const full: CommandContext = { protectedBranches: context.protectedBranches ?? ['main', 'master'], ...(context.branch === undefined ? {} : { branch: context.branch }) };
  for (const rule of BUILTIN_COMMAND_RULES) {
    const evidence = rule.match(command, full);
    if (evidence !== undefined) return { id: rule.id, evidence };
  }
  return undefined;
}

/**
 * Every command an agent ran, from the retained conversation: `input.command` of each tool call
 * (the hook records and the `prompts` retention: `{type:'tool_call', name, input}`; `full`
 * retention: the transcript's `tool_use` blocks), a string or an argv array.
 */
export function sessionCommands(session: Json): (string | string[])[] {
  const out: (string | string[])[] = [];
  const raw = obj(session.raw_session);
  if (raw === undefined) return out;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const o = obj(value);
    if (o === undefined) return;
    const input = obj(o.input);
    if (typeof o.name === 'string' && input !== undefined) {
      const command = input.command;
      if (typeof command === 'string' && command.length > 0) out.push(command);
      else if (Array.isArray(command) && command.length > 0 && command.every((w) => typeof w === 'string')) out.push(command);
    }
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) visit(v, depth + 1);
  };
  for (const thread of Object.values(raw)) visit(thread, 0);
  return out;
}

export function checkForbiddenCommands(statement: Statement, policies: Policies): Violation[] {
  const { builtin, patterns, protectedBranches } = policies.forbiddenCommands;
  if (!builtin && patterns.length === 0) return [];
  const regexes = patterns.map((source) => ({ source, re: new RegExp(source) }));
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const branch = str(obj(s.raw.git_context)?.branch);
    for (const command of sessionCommands(s.raw)) {
      const text = typeof command === 'string' ? command : command.join(' ');
      const hit = builtin ? matchBuiltinCommand(command, { protectedBranches, ...(branch === undefined ? {} : { branch }) }) : undefined;
      if (hit !== undefined) {
        out.push(sessionViolation(s, 'forbiddenCommands', clip(text), `the agent ran \`${clip(hit.evidence, 120)}\`, a forbidden command (${hit.id})`));
        continue;
      }
      const custom = regexes.find(({ re }) => re.test(text));
      if (custom !== undefined) out.push(sessionViolation(s, 'forbiddenCommands', clip(text), `the agent ran \`${clip(text, 120)}\`, which matches the forbidden pattern /${custom.source}/`));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Scans every string value (not keys, not the places redaction leaves alone) of the session objects and warnings; the evidence names the rule and place, never the secret. */
export function checkNoUnredactedSecrets(statement: Statement, policies: Policies, detectSecrets: DetectSecrets): Violation[] {
  if (!policies.noUnredactedSecrets) return [];
  const out: Violation[] = [];
  const sessions = sessionsOf(statement);
  const report = (where: string, text: string, s: SessionView | undefined): void => {
    const rules = [...new Set(detectSecrets(text).map((f) => f.ruleId))];
    if (rules.length === 0) return;
    const evidence = `${rules.join(', ')} at ${where}`;
    if (s !== undefined) out.push(sessionViolation(s, 'noUnredactedSecrets', evidence, `a secret (${rules.join(', ')}) is left unredacted at ${where}`));
    else out.push({ rule: 'noUnredactedSecrets', evidence, message: `the attestation's ${where} holds an unredacted secret (${rules.join(', ')}) (trace.policies.noUnredactedSecrets)` });
  };
  const walk = (value: unknown, where: string, s: SessionView | undefined, depth: number): void => {
    if (typeof value === 'string') report(where, value, s);
    else if (depth > 64) return;
    else if (Array.isArray(value)) value.forEach((v, k) => walk(v, `${where}[${k}]`, s, depth + 1));
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) if (!isRedactionExempt(k, value)) walk(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${where}.${k}` : `${where}[${JSON.stringify(k)}]`, s, depth + 1);
  };
  for (const s of sessions) walk(s.raw, `sessions[${s.index}]`, s, 0);
  statement.predicate.warnings.forEach((w, k) => walk(w, `warnings[${k}]`, undefined, 0));
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Every rule over the statements of one verified range; a violation seen in several statements is reported once. */
export function evaluatePolicies(statements: readonly Statement[], policies: Policies, options: EvaluateOptions = {}): Violation[] {
  const { detectSecrets } = options;
  if (policies.noUnredactedSecrets && detectSecrets === undefined) {
    throw new TraceError('BAD_ARGUMENT', 'evaluatePolicies: noUnredactedSecrets is on but no detectSecrets function was given');
  }
  const all: Violation[] = [];
  for (const statement of statements) {
    all.push(
      ...checkAllowedAgents(statement, policies),
      ...checkAllowedModels(statement, policies),
      ...checkMaxTokensPerSession(statement, policies),
      ...checkMaxCostPerSession(statement, policies),
      ...checkMaxAiSharePerCommit(statement, policies),
      ...checkAiForbiddenPaths(statement, policies),
      ...checkForbiddenCommands(statement, policies),
      ...(detectSecrets === undefined ? [] : checkNoUnredactedSecrets(statement, policies, detectSecrets)),
    );
  }
  all.push(...checkMaxAiSharePerRange(statements, policies));
  const seen = new Set<string>();
  return all.filter((v) => {
    const key = JSON.stringify([v.rule, v.commit, v.session, v.path, v.evidence]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
