// Shell commands and path globs, read the same way before a tool runs (the guard, src/guard/) and
// after (trace verify's policies, src/core/policy.ts): one reader, so what the guard denies is what
// verify flags. Pure and free of heavy imports: the guard's hook bundle loads it on every guarded call.
// ---------------------------------------------------------------------------------------------
// Globs

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

export interface SimpleCommand {
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

export function commandName(word: string): string {
  const bare = word.replace(/^\\/, '');
  return bare.slice(bare.lastIndexOf('/') + 1);
}

/** Index of the word that names the program run, past keywords, assignments and wrappers like sudo. */
export function commandIndex(words: readonly string[]): number {
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

let lastRead: { text: string; commands: SimpleCommand[] } | undefined;

/** The simple commands of a command; the last one read is kept, as every rule reads the same command in turn. */
export function commandsOf(command: string | readonly string[]): SimpleCommand[] {
  if (typeof command === 'string') {
    if (lastRead?.text !== command) lastRead = { text: command, commands: simpleCommands(command) };
    return lastRead.commands;
  }
  // An argv (codex: ["bash", "-lc", "..."]): one simple command, its arguments read as usual.
  const quoted = command.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  return commandsOf(quoted);
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


export interface ForbiddenCommands {
  builtin: boolean;
  patterns: readonly string[];
  protectedBranches: readonly string[];
}

/**
 * Whether `command` is forbidden by `trace.policies.forbiddenCommands`: the first built-in rule it
 * breaks, else the first custom pattern it matches. The guard denies exactly these; verify flags them.
 */
export function forbiddenCommandHit(command: string | readonly string[], rules: ForbiddenCommands, branch?: string): { id: string; evidence: string; pattern?: string } | undefined {
  if (rules.builtin) {
    const hit = matchBuiltinCommand(command, { protectedBranches: rules.protectedBranches, ...(branch === undefined ? {} : { branch }) });
    if (hit !== undefined) return hit;
  }
  const text = typeof command === 'string' ? command : command.join(' ');
  for (const source of rules.patterns) if (new RegExp(source).test(text)) return { id: 'pattern', evidence: text, pattern: source };
  return undefined;
}
