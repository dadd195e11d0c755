#!/usr/bin/env node
// End-to-end demonstration: a temporary repository, a Claude Code session driven through the real
// hook commands that `trace init` installs, a human edit, commits, and a push to a local bare
// remote that carries the signed attestation; then a fresh clone verifies it, as CI would.
// Run with `npm run demo` (it builds first); `npm run demo -- --keep` keeps the repository, to open its
// session workspace with `trace ui` afterwards.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { SimulatedClaude } = await import(join(root, 'dist', 'agents', 'claude', 'simulator.js'));
const { sandboxEnv } = await import(join(root, 'dist', 'simulate', 'sandbox.js'));
const { style } = await import(join(root, 'dist', 'terminal.js'));
// Colour only when this demo writes to a terminal and NO_COLOR is unset: piped, it is plain text.
const colour = style(process.stdout, process.env);

const keep = process.argv.slice(2).includes('--keep');
const traceBin = join(root, 'bin', 'trace');
const base = mkdtempSync(join(tmpdir(), 'trace-demo-'));
const dir = join(base, 'acme');
const remote = join(base, 'acme-remote.git');
const home = join(base, 'home');
mkdirSync(dir);
const env = sandboxEnv(home, { name: 'Ana Developer', email: 'ana@example.com' });
// The trace commands below write into this script's pipe: let them colour exactly when the demo does.
if (colour.chalk.level > 0) env.FORCE_COLOR = String(colour.chalk.level);

function sh(command, { quiet = false } = {}) {
  if (!quiet) process.stdout.write(`\n$ ${command}\n`);
  const result = spawnSync('sh', ['-c', command], { cwd: dir, env, encoding: 'utf8' });
  if (!quiet) process.stdout.write(result.stdout + result.stderr);
  if (result.status !== 0) throw new Error(`demo step failed: ${command}\n${result.stderr}`);
  return result.stdout;
}
const step = (title) => process.stdout.write(`\n${colour.bold(`== ${title}`)}\n`);
const write = (path, text) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

try {
  step('A repository with a bare remote');
  sh(`git init -q --bare ${JSON.stringify(remote)} && git init -q && git remote add origin ${JSON.stringify(remote)}`);
  write('src/cli.js', "import { parse } from './args.js';\n\nexport function main(argv) {\n  const options = parse(argv);\n  return run(options);\n}\n");
  sh('git add -A && git commit -q -m "initial" && git push -q origin main');

  step('trace init: Claude Code hooks, git hooks, config');
  sh('trace init --yes');
  sh('git add .claude/settings.json .chainloop.yml .chainloop/keys && git commit -q -m "Trace AI contributions" && git log --oneline');

  step('A Claude Code session, driven through the installed hook commands');
  const agent = new SimulatedClaude({ dir, env }, { sessionId: 'demo-session-0001' });
  // A small transcript in Claude Code's format, so the session's tokens and cost can be read.
  mkdirSync(dirname(agent.transcriptPath), { recursive: true });
  const line = (type, extra) => JSON.stringify({ type, sessionId: agent.sessionId, version: '2.1.240', cwd: dir, gitBranch: 'main', timestamp: new Date().toISOString(), ...extra });
  writeFileSync(
    agent.transcriptPath,
    [
      line('user', { uuid: 'u1', message: { role: 'user', content: 'Add a --json flag to the CLI' } }),
      line('assistant', { uuid: 'a1', requestId: 'r1', message: { id: 'msg_1', role: 'assistant', model: 'claude-opus-4-8', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Edit', input: {} }], usage: { input_tokens: 1200, output_tokens: 850, cache_read_input_tokens: 24000, cache_creation_input_tokens: 1500 } } }),
    ].join('\n') + '\n',
  );
  agent.start('claude-opus-4-8');
  agent.prompt('Add a --json flag to the CLI');
  agent.edit('src/cli.js', '  return run(options);\n', '  const result = run(options);\n  if (options.json) return JSON.stringify(result);\n  return result;\n');
  agent.write('src/format.js', 'export function format(result) {\n  return `${result.count} items`;\n}\n');
  agent.bash('mkdir -p test && printf "import { format } from \'../src/format.js\';\\nconsole.assert(format({ count: 2 }) === \'2 items\');\\n" > test/format.test.js');
  process.stdout.write('  agent: Edit src/cli.js, Write src/format.js, Bash creating test/format.test.js\n');

  step('The developer edits too, then commits');
  write('src/format.js', 'export function format(result) {\n  return `${result.count} items`;\n}\n\n// Keep in sync with the docs.\n');
  sh('git add -A && git commit -q -m "Add --json output" && trace show');

  step('trace blame src/cli.js');
  sh('trace blame src/cli.js');

  step('trace status');
  sh('trace status');

  step('git push: pre-push signs one in-toto attestation and pushes it as a git note');
  const baseCommit = sh('git rev-parse HEAD~1', { quiet: true }).trim();
  sh('git push origin main 2>&1');
  agent.end();
  sh('git ls-remote origin');

  step('The attestation on the remote (a Sigstore bundle per line of the note)');
  const note = sh('git notes --ref=chainloop-trace show HEAD', { quiet: true }).trim();
  const bundle = JSON.parse(note.split('\n')[0]);
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  const session = statement.predicate.sessions[0];
  process.stdout.write(
    JSON.stringify(
      {
        mediaType: bundle.mediaType,
        payloadType: bundle.dsseEnvelope.payloadType,
        statement: {
          _type: statement._type,
          predicateType: statement.predicateType,
          subject: statement.subject,
          predicate: {
            commits: statement.predicate.commits.map((c) => ({ sha: c.sha.slice(0, 12), files: c.files.map((f) => ({ path: f.path, status: f.status, lines: f.lines })) })),
            sessions: [{ agent: session.agent, model: session.model, usage: session.usage && { total_tokens: session.usage.total_tokens, estimated_cost_usd: session.usage.estimated_cost_usd } }],
            redaction: statement.predicate.redaction,
          },
        },
      },
      null,
      2,
    ) + '\n',
  );

  step('CI: a fresh clone verifies signature, signer (key committed at the base), subject and diff');
  const clone = join(base, 'ci-clone');
  spawnSync('git', ['clone', '-q', remote, clone], { env });
  const verify = spawnSync('trace', ['verify', `${baseCommit}..HEAD`, '--all-commits'], { cwd: clone, env, encoding: 'utf8' });
  process.stdout.write(`\n$ trace verify ${baseCommit.slice(0, 10)}..HEAD --all-commits   (in a fresh clone)\n${verify.stdout}${verify.stderr}`);
  if (verify.status !== 0) throw new Error('verification failed');
  step('A second session, still at work (its edit is not committed yet)');
  const next = new SimulatedClaude({ dir, env }, { sessionId: 'demo-session-0002' });
  next.start('claude-sonnet-4-5');
  next.prompt('Say "item" for a single result');
  next.edit('src/format.js', '  return `${result.count} items`;\n', '  return `${result.count} ${result.count === 1 ? \'item\' : \'items\'}`;\n');
  process.stdout.write('  agent: Edit src/format.js\n');

  step('trace sessions: each session with its prompts, tools, tokens and cost');
  sh('trace sessions');

  step('The session workspace in your browser (trace ui)');
  if (keep) {
    process.stdout.write(
      [
        `The demo repository stays at ${dir}. Open its sessions, threads and dashboard with:`,
        '',
        `  cd ${JSON.stringify(dir)} && ${JSON.stringify(traceBin)} ui`,
        '',
        'It prints a one-time link and opens your browser (--no-open to only print it); Ctrl-C stops it.',
        `Remove the demo when done: rm -rf ${JSON.stringify(base)}`,
        '',
      ].join('\n'),
    );
  } else {
    process.stdout.write(
      [
        'To look at these sessions in your browser, keep the demo repository and run `trace ui` in it:',
        '',
        '  npm run demo -- --keep      (it ends by printing the `trace ui` command for its repository)',
        '',
        'In your own repository: `trace ui` (a one-time link on 127.0.0.1; Ctrl-C stops it).',
        '',
      ].join('\n'),
    );
  }
  process.stdout.write(`\nEverything above ran the real bin/trace; ${keep ? 'the temporary repositories are kept (see above).' : 'the temporary repositories are removed now.'}\n`);
} finally {
  if (!keep) rmSync(base, { recursive: true, force: true });
}
