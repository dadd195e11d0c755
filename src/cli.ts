// Entry point of every command but `trace hook`, which bin/trace sends to its own bundle.
export async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'git-hook') {
    // Run by git on every commit: skip the command-line parser and its help machinery.
    const { gitHook, readStandardInput } = await import('./commands/git-hook.js');
    try {
      const outcome = await gitHook({ name: argv[1] ?? '', args: argv.slice(2), cwd: process.cwd(), readInput: readStandardInput });
      process.exitCode = outcome.exitCode ?? 0;
    } catch (error) {
      // Never break git over trace's own trouble; pre-push decides about requireTrace itself.
      process.stderr.write(`trace: git-hook ${argv[1] ?? ''}: ${(error as Error).message}\n`);
    }
    return;
  }
  if (argv[0] === 'sessions' && argv[1] === 'show' && (await sessionsShowFastPath(argv.slice(2)))) return;
  if (argv[0] === 'sessions' && (await sessionsFastPath(argv.slice(argv[1] === 'list' ? 2 : 1)))) return;
  const { main } = await import('./program.js');
  process.exitCode = await main(argv);
}

const LIST_VALUE_FLAGS = new Set(['agent', 'model', 'author', 'branch', 'commit', 'file', 'since', 'until', 'id', 'has', 'search', 'limit', 'after', 'offset']);

/**
 * `trace sessions [list] [flags]`, the page people and the web view ask for most: run without the
 * command-line parser, so a page costs little more than starting node. Anything it does not know
 * (help, a subcommand, an unknown flag) or any error goes to the full program, which says it properly.
 */
function print(outcome: { json: unknown; text: string; exitCode?: number }, json: boolean): void {
  const text = json ? `${JSON.stringify(outcome.json, null, 2)}\n` : outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`;
  process.stdout.write(text);
  process.exitCode = outcome.exitCode ?? 0;
}

async function styleFor(json: boolean) {
  const plain = (text: string) => text;
  if (!json) return (await import('./terminal.js')).style(process.stdout);
  return { ai: plain, human: plain, ok: plain, failed: plain, warning: plain, dim: plain, bold: plain, chalk: undefined as never };
}

/** `trace sessions show <id> [--thread N] [--diffs] [--full] [--json]`, like the list's fast path. */
async function sessionsShowFastPath(args: string[]): Promise<boolean> {
  let id: string | undefined;
  const options: { thread?: string; diffs?: boolean; full?: boolean; json?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json' || arg === '--diffs' || arg === '--full') options[arg.slice(2) as 'json' | 'diffs' | 'full'] = true;
    else if (arg === '--thread' && args[i + 1] !== undefined) options.thread = args[++i]!;
    else if (!arg.startsWith('-') && id === undefined) id = arg;
    else return false;
  }
  if (id === undefined) return false;
  try {
    const { sessionsShow } = await import('./commands/sessions.js');
    print(await sessionsShow({ cwd: process.cwd(), now: new Date(), style: await styleFor(options.json === true), id, ...options }), options.json === true);
    return true;
  } catch {
    return false;
  }
}

async function sessionsFastPath(args: string[]): Promise<boolean> {
  const options: Record<string, string | string[] | boolean> = {};
  const has: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    const match = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!match || !LIST_VALUE_FLAGS.has(match[1]!)) return false;
    const value = match[2] ?? args[++i];
    if (value === undefined) return false;
    if (match[1] === 'has') has.push(value);
    else if (match[1]! in options) return false;
    else options[match[1]!] = value;
  }
  if (has.length > 0) options.has = has;
  try {
    const { sessionsList } = await import('./commands/sessions.js');
    print(await sessionsList({ ...(options as object), cwd: process.cwd(), now: new Date(), style: await styleFor(options.json === true) }), options.json === true);
    return true;
  } catch {
    return false;
  }
}
