// The command registry: each command is imported only when it runs. Commands take typed options
// (with `cwd`) and return an Outcome; this file alone prints results and decides the exit code.
import { Command, CommanderError, Option } from 'commander';
import { AGENT_HOOKS } from './agents/hooks.js';
import type { InitOptions } from './commands/init.js';
import type { VerifyCommandOptions } from './commands/verify.js';
import { TraceError, type TraceErrorCode } from './errors.js';

export interface Outcome {
  /** What `--json` prints. */
  json: unknown;
  /** What a person reads. */
  text: string;
  exitCode?: number;
}

interface GlobalIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const io: GlobalIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

let exitCode = 0;

/** Colours for text printed on stdout and a progress line on stderr, each only on a terminal (loaded by the commands that print them). */
async function terminal() {
  const { style, progress } = await import('./terminal.js');
  return { style: style(process.stdout), progress: (label: string, total?: number) => progress(label, total) };
}

function render(outcome: Outcome, json: boolean | undefined): void {
  if (json) io.stdout(`${JSON.stringify(outcome.json, null, 2)}\n`);
  else if (outcome.text) io.stdout(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
  exitCode = outcome.exitCode ?? 0;
}

function run<O extends { json?: boolean }>(load: (options: O, args: string[]) => Promise<Outcome>) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts<O>();
    render(await load(options, command.args), options.json);
  };
}

/** commander's view of `trace verify`'s flags. */
type VerifyFlags = Omit<VerifyCommandOptions, 'cwd' | 'range' | 'env' | 'allCommits'> & { allCommits?: boolean; json?: boolean };

const collect = (value: string, previous: string[]) => [...previous, value];

/** The options of `keys` that were given (exactOptionalPropertyTypes: no key set to undefined). */
function pick<T extends object, K extends keyof T>(options: T, keys: readonly K[]): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {};
  for (const key of keys) if (options[key] !== undefined) out[key] = options[key] as Exclude<T[K], undefined>;
  return out;
}

const jsonOption = () => new Option('--json', 'print the result as JSON on stdout');

/** Errors in how trace was called or configured exit 2; failures of the work itself exit 1. */
const USAGE_ERRORS = new Set<TraceErrorCode>(['BAD_ARGUMENT', 'BAD_CONFIG', 'NOT_A_REPOSITORY', 'NOT_INITIALISED', 'UNSUPPORTED']);

/** Commands that set up trace's local part first in a clone of a traced repository (auto-setup). */
const AUTO_INIT_COMMANDS = new Set(['status', 'show', 'blame', 'attest', 'fetch']);

export function buildProgram(): Command {
  const program = new Command('trace')
    .description('Attribute every committed line to an AI agent session or a human, and sign it.')
    .version('0.1.0')
    .showHelpAfterError('(run `trace <command> --help` for its options)')
    // Needed by `trace sessions`, which has flags of its own and subcommands with theirs.
    .enablePositionalOptions()
    .exitOverride();

  const initCommand = program
    .command('init')
    .description('install the agent hooks and git hooks in this repository')
    .addHelpText('after', '\nWithout an agent flag: Claude Code, and every other agent whose project config folder exists or whose program is on the PATH.');
  for (const hooks of AGENT_HOOKS) initCommand.option(`--${hooks.hookName}`, `install the hooks of ${hooks.name}`);
  initCommand
    .option('--require-trace', 'refuse pushes that cannot be attested (sets requireTrace: true)')
    .option('-y, --yes', 'ask nothing')
    .addOption(jsonOption())
    .action(
      run(async (options: InitOptions) => {
        const { init } = await import('./commands/init.js');
        return init({ ...options, cwd: process.cwd(), interactive: !options.yes && process.stdin.isTTY === true });
      }),
    );

  program
    .command('uninstall')
    .description('remove exactly what `trace init` added and delete the local state')
    .option('-y, --yes', 'ask nothing')
    .addOption(jsonOption())
    .action(
      run(async (options: { yes?: boolean; json?: boolean }) => {
        const { uninstall } = await import('./commands/uninstall.js');
        return uninstall({ ...options, cwd: process.cwd(), interactive: !options.yes && process.stdin.isTTY === true });
      }),
    );

  program
    .command('doctor')
    .description('check what can be wrong with trace here (PATH, hooks, config, signing key, notes, store) and say how to fix each')
    .option('--remote <name>', 'the remote to check', 'origin')
    .addOption(jsonOption())
    .action(
      run(async (options: { remote: string; json?: boolean }) => {
        const { doctor } = await import('./commands/doctor.js');
        return doctor({ cwd: process.cwd(), env: process.env, remote: options.remote });
      }),
    );

  program
    .command('status')
    .description('show what is recorded: sessions, uncaptured or skipped files, pending commits, problems, hooks')
    .addOption(jsonOption())
    .action(
      run(async () => {
        const { status } = await import('./commands/status.js');
        return status({ cwd: process.cwd(), now: new Date(), style: (await terminal()).style });
      }),
    );

  program
    .command('show [commit]')
    .description('show the line attribution of a commit (default HEAD)')
    .addOption(jsonOption())
    .action(
      run(async (_options: { json?: boolean }, args: string[]) => {
        const { show } = await import('./commands/show.js');
        return show({ cwd: process.cwd(), ...(args[0] ? { commit: args[0] } : {}), style: (await terminal()).style });
      }),
    );

  program
    .command('blame <file>')
    .description('show who wrote each line of a file: ai (with session, agent, model) or human')
    .option('--rev <rev>', 'the revision to blame', 'HEAD')
    .addOption(jsonOption())
    .action(
      run(async (options: { rev: string; json?: boolean }, args: string[]) => {
        const { blame } = await import('./commands/blame.js');
        const { style, progress } = await terminal();
        return blame({ cwd: process.cwd(), file: args[0]!, rev: options.rev, style, progress });
      }),
    );

  program
    .command('why <target>')
    .description('who wrote <file>:<line>[-<line>]: the commit, and for AI lines the session, prompt, tool call and model')
    .option('--rev <rev>', 'the revision to read the lines at', 'HEAD')
    .addOption(jsonOption())
    .action(
      run(async (options: { rev: string; json?: boolean }, args: string[]) => {
        const { why } = await import('./commands/why.js');
        return why({ cwd: process.cwd(), target: args[0]!, rev: options.rev, style: (await terminal()).style });
      }),
    );

  program
    .command('attest [range]')
    .description('attest commits by hand: sign and upload what pre-push would (default: commits not on the remote yet)')
    .option('--dry-run', 'print the in-toto statement without signing or uploading')
    .option('--output <file>', 'also write the signed bundle to this file')
    .option('--remote <name>', 'the remote to push the notes to (default origin)')
    .addOption(jsonOption())
    .action(
      run(async (options: { dryRun?: boolean; output?: string; remote?: string; json?: boolean }, args: string[]) => {
        const { attest } = await import('./commands/attest.js');
        return attest({
          cwd: process.cwd(),
          ...(args[0] ? { range: args[0] } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.output ? { output: options.output } : {}),
          ...(options.remote ? { remote: options.remote } : {}),
          env: process.env,
          interactive: process.stdin.isTTY === true,
        });
      }),
    );

  const sessions = program
    .command('sessions')
    .description('list the agent sessions recorded here (newest activity first), show one as threads, stats, export, prune')
    // The list's flags (--json, filters) belong to the subcommand when one is named.
    .enablePositionalOptions();
  const filterOptions = (command: Command): Command =>
    command
      .option('--agent <name>', `only sessions of this agent (${AGENT_HOOKS.map((hooks) => hooks.name).join(', ')})`)
      .option('--model <model>', 'only sessions that used this model (exact, or a prefix with a trailing *)')
      .option('--author <email>', 'only sessions run by this git identity (email or name; `me` for yours)')
      .option('--branch <name>', 'only sessions on this branch')
      .option('--commit <sha>', 'only sessions with lines in this commit (4+ hex digits)')
      .option('--file <path>', 'only sessions that edited this file (repository-relative)')
      .option('--since <time>', 'last active at or after: RFC 3339, a date (2026-11-20) or a span (7d, 24h)')
      .option('--until <time>', 'last active before: RFC 3339, a date (the whole day counts) or a span')
      .option('--id <prefix>', 'only sessions whose id starts with this')
      .option('--has <what>', 'only sessions that have errors, denied, unpriced or commits (repeatable)', collect, [])
      .option('--search <text>', 'only sessions whose prompts, tool inputs or errors contain this')
      .option('--source <where>', "local (captured here), notes (attested in refs/notes/chainloop-trace: teammates' too) or all (the default)");
  const listAction = run(async (options: Record<string, unknown>) => {
    const { sessionsList } = await import('./commands/sessions.js');
    return sessionsList({ ...(options as object), cwd: process.cwd(), now: new Date(), style: (await terminal()).style });
  });
  const listOptions = (command: Command): Command =>
    filterOptions(command)
      .option('--limit <n>', `sessions per page (default 25, at most 500)`)
      .option('--after <cursor>', 'the page after this cursor (printed under each page)')
      .option('--offset <n>', 'skip this many sessions (not with --after)')
      .addOption(jsonOption());
  listOptions(sessions).action(listAction);
  listOptions(sessions.command('list', { isDefault: false }).description('list sessions, newest activity first (the default)')).action(listAction);
  filterOptions(sessions.command('stats').description('totals of a period (default the last 7 days) with the change against the period before, and a breakdown'))
    .option('--by <what>', 'a breakdown by day, week, agent, model or author')
    .addOption(jsonOption())
    .action(
      run(async (options: Record<string, unknown>) => {
        const { sessionsStats } = await import('./commands/sessions-stats.js');
        return sessionsStats({ ...(options as object), cwd: process.cwd(), now: new Date(), style: (await terminal()).style });
      }),
    );
  filterOptions(sessions.command('export').description('every matching session, one per line, redacted as the attestation is (stdout)'))
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .action(
      run(async (options: Record<string, unknown>) => {
        const { sessionsExport } = await import('./commands/sessions-export.js');
        return sessionsExport({ ...(options as object), cwd: process.cwd(), now: new Date(), write: (chunk) => io.stdout(chunk) });
      }),
    );
  sessions
    .command('prune')
    .description('delete the captured prompts, tool inputs and file contents of old sessions (trace.retention.days, or --older-than); figures stay')
    .option('--older-than <age>', 'sessions inactive longer than this: 90d, 12w, 36h (default: trace.retention.days)')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .addOption(jsonOption())
    .action(
      run(async (options: { olderThan?: string; dryRun?: boolean; json?: boolean }) => {
        const { sessionsPrune } = await import('./commands/sessions-prune.js');
        return sessionsPrune({ cwd: process.cwd(), now: new Date(), ...(options.olderThan !== undefined ? { olderThan: options.olderThan } : {}), ...(options.dryRun ? { dryRun: true } : {}) });
      }),
    );
  sessions
    .command('show <id>')
    .description('one session (id or unique prefix): header, then each thread: prompt, model responses, tool calls')
    .option('--thread <n>', 'only this thread')
    .option('--diffs', 'add each edit as a unified diff of the stored contents')
    .option('--full', 'whole prompts and tool inputs, and the thinking the transcript holds')
    .addOption(jsonOption())
    .action(
      run(async (options: { thread?: string; diffs?: boolean; full?: boolean; json?: boolean }, args: string[]) => {
        const { sessionsShow } = await import('./commands/sessions.js');
        return sessionsShow({ cwd: process.cwd(), now: new Date(), style: (await terminal()).style, id: args[0]!, ...options });
      }),
    );

  program
    .command('ui')
    .description('the session workspace in your browser: serves this repository’s sessions on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'listen on this port (default: a free one)')
    .option('--no-open', 'print the URL, do not open a browser')
    .option('--source <source>', 'sessions recorded here (local), teammates’ attested ones (notes), or both (all, the default)')
    .action(
      run(async (options: { port?: string; open: boolean; source?: string; json?: boolean }) => {
        const { ui } = await import('./commands/ui.js');
        const stop = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        return ui({ cwd: process.cwd(), ...pick(options, ['port', 'source']), open: options.open, print: io.stdout, log: (line) => io.stderr(`${line}\n`), stop });
      }),
    );

  program
    .command('schema [kind]')
    .description('print the JSON Schema of .chainloop.yml (config, the default), the attestation predicate (predicate), `trace sessions` JSON (sessions-list, sessions-show, sessions-stats), `trace report` JSON (report), or trace-server.yml (server)')
    .option('--output <file>', 'write it to this file instead')
    .action(
      run(async (options: { output?: string; json?: boolean }, args: string[]) => {
        const { schema } = await import('./commands/schema.js');
        return schema({ cwd: process.cwd(), ...(args[0] ? { kind: args[0] } : {}), ...(options.output ? { output: options.output } : {}) });
      }),
    );

  program
    .command('fetch [remote]')
    .description('fetch the attestations (refs/notes/chainloop-trace) from a remote, default origin')
    .addOption(jsonOption())
    .action(
      run(async (_options: { json?: boolean }, args: string[]) => {
        const { fetchAttestations } = await import('./commands/fetch.js');
        return fetchAttestations({ cwd: process.cwd(), remote: args[0] ?? 'origin' });
      }),
    );

  const keys = program.command('keys').description('the public keys CI trusts (.chainloop/keys/): list them, add yours, remove one');
  keys
    .command('list')
    .description('list the trusted keys (id, owner, the commit that added each) at a revision')
    .option('--rev <rev>', "the revision to read the keys at (default: the remote's default branch, else HEAD)")
    .option('--remote <name>', 'the remote whose default branch is the default revision', 'origin')
    .addOption(jsonOption())
    .action(
      run(async (options: { rev?: string; remote: string; json?: boolean }) => {
        const { keysList } = await import('./commands/keys.js');
        return keysList({ cwd: process.cwd(), ...(options.rev ? { rev: options.rev } : {}), remote: options.remote, env: process.env });
      }),
    );
  keys
    .command('add')
    .description("export your signing key's public half to .chainloop/keys/<id>.pem with you as owner, and say what to commit")
    .option('--rotate', 'retire your current signing key (kept, renamed), make a new one and replace its file')
    .addOption(jsonOption())
    .action(
      run(async (options: { rotate?: boolean; json?: boolean }) => {
        const { keysAdd } = await import('./commands/keys.js');
        return keysAdd({ cwd: process.cwd(), ...(options.rotate ? { rotate: true } : {}), env: process.env });
      }),
    );
  keys
    .command('remove <id-prefix>')
    .description('stop trusting a key: delete its file from .chainloop/keys/ and say what to commit')
    .addOption(jsonOption())
    .action(
      run(async (_options: { json?: boolean }, args: string[]) => {
        const { keysRemove } = await import('./commands/keys.js');
        return keysRemove({ cwd: process.cwd(), prefix: args[0]!, env: process.env });
      }),
    );

  const guard = program.command('guard').description('the guard: the same rules as verify, checked before an agent’s tool runs');
  guard
    .command('check')
    .description('validate trace.guard in .chainloop.yml and print the rules the hook applies')
    .addOption(jsonOption())
    .action(
      run(async () => {
        const { guardCheck } = await import('./commands/guard.js');
        return guardCheck({ cwd: process.cwd() });
      }),
    );
  guard
    .command('test')
    .description('decide one tool call as the guard hook would (exit 0 allow, 1 deny, 3 ask)')
    .option('--tool <name>', 'the tool (default Bash with --command, Write with --path); mcp__<server>__<tool> for an MCP call')
    .option('--command <text>', 'the shell command')
    .option('--path <path>', 'a file the tool writes (repeatable)', collect, [])
    .option('--mcp-server <name>', 'the MCP server of the call')
    .option('--branch <name>', 'the current branch (default: HEAD’s)')
    .addOption(jsonOption())
    .action(
      run(async (options: { tool?: string; command?: string; path: string[]; mcpServer?: string; branch?: string; json?: boolean }) => {
        const { guardTest } = await import('./commands/guard.js');
        return guardTest({ cwd: process.cwd(), path: options.path, ...pick(options, ['tool', 'command', 'mcpServer', 'branch']) });
      }),
    );
  guard
    .command('log')
    .description('the guard’s recorded decisions (every deny, ask and warning), oldest first')
    .option('--session <id>', 'only this session (an id or its prefix)')
    .option('--limit <n>', 'only the last n', (v) => Number.parseInt(v, 10))
    .addOption(jsonOption())
    .action(
      run(async (options: { session?: string; limit?: number; json?: boolean }) => {
        const { guardLog } = await import('./commands/guard.js');
        return guardLog({ cwd: process.cwd(), ...pick(options, ['session', 'limit']) });
      }),
    );

  /** The flags `trace verify` and `trace report` share: where attestations come from and whom to trust. */
  const verifyFlags = (command: Command): Command =>
    command
      .option('--all-commits', 'fail on any commit without a valid attestation (the default when CI=true)')
      .option('--no-all-commits', 'report unattested commits without failing')
      .option('--no-fetch', 'do not fetch refs/notes/chainloop-trace from the remote first')
      .option('--remote <name>', 'remote to fetch attestations from', 'origin')
      .option('--bundle <file>', 'verify this bundle file (or JSON Lines of bundles) instead of the notes', collect, [])
      .option('--key <file>', 'also trust this PEM public key', collect, [])
      .option('--certificate-identity <id>', 'trusted keyless signer identity, exactly')
      .option('--certificate-identity-regexp <re>', 'trusted keyless signer identity, as a regular expression')
      .option('--certificate-oidc-issuer <url>', 'trusted keyless signer OIDC issuer')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json (for a private Sigstore, or offline)')
      .option('--policy <file>', 'policies file (YAML: the trace.policies keys) instead of .chainloop.yml at the base');
  const verifyCommandOptions = (options: VerifyFlags, args: string[]): VerifyCommandOptions => ({
    cwd: process.cwd(),
    ...(args[0] ? { range: args[0] } : {}),
    ...(options.allCommits !== undefined ? { allCommits: options.allCommits } : {}),
    fetch: options.fetch,
    remote: options.remote,
    bundle: options.bundle,
    key: options.key,
    ...(options.certificateIdentity ? { certificateIdentity: options.certificateIdentity } : {}),
    ...(options.certificateIdentityRegexp ? { certificateIdentityRegexp: options.certificateIdentityRegexp } : {}),
    ...(options.certificateOidcIssuer ? { certificateOidcIssuer: options.certificateOidcIssuer } : {}),
    ...(options.trustedRoot ? { trustedRoot: options.trustedRoot } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.report ? { report: options.report } : {}),
    ...(options.reportFormat ? { reportFormat: options.reportFormat } : {}),
    env: process.env,
  });

  verifyFlags(
    program
      .command('verify [range]')
      .description('verify the attestations of a range of commits (default: the branch’s commits not on the remote’s default branch)'),
  )
    .option('--report <file>', 'also write the pull-request report (trace report) to this file: Markdown, or JSON for a .json file')
    .option('--report-format <format>', 'the --report file’s format: markdown or json')
    .addOption(jsonOption())
    .action(
      run(async (options: VerifyFlags, args: string[]) => {
        const { verify } = await import('./commands/verify.js');
        return verify(verifyCommandOptions(options, args));
      }),
    );

  verifyFlags(
    program
      .command('report [range]')
      .description('the pull-request report: commits attested and verified, sessions, AI share per file, guard decisions, policy results, unattested commits'),
  )
    .option('--format <format>', 'markdown (a pull-request comment) or json', 'markdown')
    .addOption(jsonOption())
    .action(
      run(async (options: VerifyFlags & { format: string }, args: string[]) => {
        const { report } = await import('./commands/report.js');
        return report({ ...verifyCommandOptions(options, args), format: options.format, now: new Date() });
      }),
    );

  const serverCommand = program
    .command('server')
    .description('run the org server: verified attestations of many repositories in PostgreSQL (or SQLite), the sessions API for all of them')
    .option('--config <file>', 'the server config (default ./trace-server.yml; TRACE_SERVER_LISTEN and TRACE_SERVER_DATABASE override)')
    .action(
      run(async (options: { config?: string; json?: boolean }) => {
        const { server } = await import('./commands/server.js');
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        return server({ cwd: process.cwd(), config: options.config, env: process.env, log: (line) => io.stderr(`${line}\n`), stopped });
      }),
    );
  serverCommand
    .command('sync [remotes...]')
    .description('fetch refs/notes/chainloop-trace from git remotes (default: sync.remotes) and ingest every attestation through the same checks')
    .option('--config <file>', 'the server config (default ./trace-server.yml)')
    .addOption(jsonOption())
    .action(
      run(async (options: { config?: string; json?: boolean }, args: string[]) => {
        const { serverSync } = await import('./commands/server.js');
        return serverSync({ cwd: process.cwd(), config: options.config, env: process.env, remotes: args });
      }),
    );

  program
    .command('hook <agent> <event>')
    .description('capture an agent hook event from its JSON payload on stdin (run by the agent; prints nothing, exits 0)')
    .addHelpText(
      'after',
      [
        '',
        `Agents: ${AGENT_HOOKS.map((hooks) => `${hooks.hookName} (recorded as ${hooks.name})`).join(', ')}.`,
        'Events: the agent’s own, as `trace init` writes them in its hook config.',
        '',
        '`trace init` installs these commands in each agent’s hook config (.claude/settings.json, .codex/hooks.json, …);',
        'you do not run them by hand. Problems go to .git/chainloop-trace/log.txt; `trace status` shows them.',
      ].join('\n'),
    )
    .action(async (agent: string, event: string) => {
      const { hookMain } = await import('./hook-main.js');
      await hookMain([agent, event]);
    });

  program
    .command('auto-init', { hidden: true })
    .description('set up trace’s local part in a clone of a traced repository (run by the agent hook)')
    .action(async () => {
      try {
        await import('./context.js').then(async (context) => context.openRepoSettingUp(process.cwd()));
      } catch {
        // The hook that runs this must stay silent; the next trace command reports the problem.
      }
    });

  // In a clone of a traced repository, the first trace command sets up the local part.
  program.hook('preAction', async (_program, action) => {
    if (!AUTO_INIT_COMMANDS.has(action.name()) || action.parent?.name() === 'sessions') return;
    try {
      await import('./context.js').then(async (context) => context.openRepoSettingUp(process.cwd()));
    } catch {
      // Not a repository, or the setup failed: the command itself says so.
    }
  });

  program
    .command('git-hook <name> [args...]', { hidden: true })
    .description('run trace’s part of a git hook (run by git)')
    .action(
      run(async (_options: { json?: boolean }, args: string[]) => {
        const { gitHook, readStandardInput } = await import('./commands/git-hook.js');
        return gitHook({ name: args[0] ?? '', args: args.slice(1), cwd: process.cwd(), readInput: readStandardInput });
      }),
    );

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof TraceError) {
      const { style } = await import('./terminal.js');
      io.stderr(`${style(process.stderr).failed('trace:')} ${error.message}\n`);
      if (error.hint) io.stderr(`  → ${error.hint}\n`);
      if (process.env.TRACE_DEBUG && error.cause instanceof Error) io.stderr(`${error.cause.stack ?? error.cause.message}\n`);
      return USAGE_ERRORS.has(error.code) ? 2 : 1;
    }
    io.stderr(`trace: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
