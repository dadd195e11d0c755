// Push: pre-push attesting 200 commits that carry 2,000 captured tool calls, signed with the local
// key and uploaded as notes to a local bare remote. `git push` with trace's hooks against the same
// push without hooks, measured in the same run; `trace attest --json` on an identical copy for the
// time per phase; the size of the bundle.
import { Buffer } from 'node:buffer';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { addRemote, BenchAgent, captureCheck, codeLines, commitAll, Files, logProblems, NO_HOOKS, traceOk } from './agent.mjs';
import { formatBytes, formatCount, formatMs, makeRepo, median, prng, removeTemp, tempDir, TRACE_BIN, timedSpawn } from './util.mjs';

export const name = 'push';
export const description = 'pre-push of 200 commits with 2,000 captured calls: git push with and without hooks, phases, bundle size';

const PRE_PUSH_TARGET_MS = 3000;
/** Issue 10: the redaction phase of a 200-commit push. */
const REDACTION_TARGET_MS = 300;
const COMMITS = 200;
const CALLS_PER_COMMIT = 10;
const SESSIONS = 4;
const PATHS = 40;
const NOTES_REF = 'refs/notes/chainloop-trace';

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** 200 commits, each made of 10 captured calls on two files (and now and then a human edit), over 4 sessions. */
async function buildHistory(repo, log) {
  const rand = prng(21);
  const files = new Files();
  const started = performance.now();
  let agent;
  for (let c = 0; c < COMMITS; c++) {
    if (c % (COMMITS / SESSIONS) === 0) {
      await agent?.end();
      agent = new BenchAgent(repo, `bench-push-session-${c / (COMMITS / SESSIONS)}`);
      await agent.start();
    }
    await agent.prompt(`change ${c}: implement the next part`);
    const paths = [`src/p${c % PATHS}.ts`, `src/p${(c * 7 + 3) % PATHS}.ts`];
    for (let k = 0; k < CALLS_PER_COMMIT; k++) {
      const path = paths[k % 2];
      const lines = files.get(path);
      if (!lines) {
        await agent.write(files, path, codeLines(rand, 30, `w${c}`));
        continue;
      }
      if (rand() < 0.1) {
        const edited = lines.slice();
        edited[Math.floor(rand() * edited.length)] += ' // by hand';
        files.set(repo, path, edited);
      }
      const current = files.get(path);
      await agent.edit(files, path, Math.floor(rand() * current.length), codeLines(rand, 1 + Math.floor(rand() * 4), `c${c}`));
    }
    if (c % 10 === 9) repo.write(`docs/notes${c % 5}.md`, `# notes\n\n${codeLines(rand, 5 + c, 'doc').join('\n')}\n`);
    commitAll(repo, `change ${c}`); // with hooks: post-commit attributes each commit, as in real work
    if ((c + 1) % 50 === 0) process.stderr.write(`    ${c + 1}/${COMMITS} commits, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  await agent.end();
  log(`set-up: ${COMMITS} commits, ${formatCount(COMMITS * CALLS_PER_COMMIT)} captured calls (in-process) in ${SESSIONS} sessions over ${PATHS} files, committed with hooks, in ${seconds(performance.now() - started)}`);
}

/** An identical copy of the repository, its remote and its home (signing key included), for one push. */
function copyOf(repo) {
  const base = tempDir('trace-bench-push-');
  const copied = timedSpawn('cp', ['-a', `${repo.base}/.`, base]);
  if (copied.code !== 0) throw new Error(`cp failed: ${copied.stderr}`);
  const dir = join(base, 'work');
  const home = join(base, 'home');
  const env = { ...repo.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  const copy = {
    base,
    dir,
    home,
    env,
    stateDir: join(dir, '.git', 'chainloop-trace'),
    git(args) {
      const result = timedSpawn('git', args, { cwd: dir, env });
      if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return result;
    },
    trace: (args, input) => timedSpawn(process.execPath, [TRACE_BIN, ...args], { cwd: dir, env, input }),
    cleanup: () => removeTemp(base),
  };
  copy.git(['remote', 'set-url', 'origin', join(base, 'remote.git')]);
  return copy;
}

export async function run(context) {
  const { log, quick } = context;
  const runs = quick ? 3 : 5;
  const repo = makeRepo();
  try {
    addRemote(repo);
    commitAll(repo, 'trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    await buildHistory(repo, log);
    const { calls, done } = captureCheck(repo);
    const problems = logProblems(repo);
    const captured = done === COMMITS * CALLS_PER_COMMIT && calls === done && problems.length === 0;
    log(`check            ${formatCount(done)} of ${formatCount(calls)} captured calls done (expected ${formatCount(COMMITS * CALLS_PER_COMMIT)}), ${problems.length} problem(s) logged${captured ? '' : '  <-- INCOMPLETE'}`);
    for (const problem of problems.slice(0, 5)) log(`  log: ${problem}`);
    log(`each run pushes a fresh copy of that repository (cp -a, not timed) to its own bare remote; ${runs} runs, alternating order`);

    const hookedMs = [];
    const plainMs = [];
    const attestMs = [];
    const phases = {};
    let bundle;
    for (let r = 0; r < runs; r++) {
      const hooked = () => {
        const copy = copyOf(repo);
        try {
          const result = timedSpawn('git', ['push', '-q', 'origin', 'main'], { cwd: copy.dir, env: copy.env });
          if (result.code !== 0) throw new Error(`git push failed (${result.code}): ${result.stderr}`);
          if (!result.stderr.includes(`attested ${COMMITS} commit(s)`)) throw new Error(`pre-push did not attest ${COMMITS} commits: ${result.stderr}`);
          hookedMs.push(result.ms);
        } finally {
          copy.cleanup();
        }
      };
      const attestThenPlain = () => {
        const copy = copyOf(repo);
        try {
          const attest = traceOk(copy, ['attest', '--json']);
          attestMs.push(attest.ms);
          const result = JSON.parse(attest.stdout);
          if (result.commits.length !== COMMITS) throw new Error(`trace attest attested ${result.commits.length} commits, expected ${COMMITS}`);
          for (const [phase, ms] of Object.entries(result.timings)) (phases[phase] ??= []).push(ms);
          const note = copy.git(['notes', `--ref=${NOTES_REF}`, 'show', 'HEAD']).stdout.split('\n').filter(Boolean);
          bundle = { bytes: Buffer.byteLength(note[0] ?? ''), lines: note.length, commits: result.statement.subject.length, sessions: result.statement.predicate.sessions.length };
          const plain = timedSpawn('git', [...NO_HOOKS, 'push', '-q', 'origin', 'main'], { cwd: copy.dir, env: copy.env });
          if (plain.code !== 0) throw new Error(`git push failed (${plain.code}): ${plain.stderr}`);
          plainMs.push(plain.ms);
        } finally {
          copy.cleanup();
        }
      };
      if (r % 2 === 0) {
        hooked();
        attestThenPlain();
      } else {
        attestThenPlain();
        hooked();
      }
    }
    const hooked = median(hookedMs);
    const plain = median(plainMs);
    const attest = median(attestMs);
    const prePush = hooked - plain;
    const phaseMedians = Object.fromEntries(Object.entries(phases).map(([phase, values]) => [phase, median(values)]));
    const phaseText = Object.entries(phaseMedians)
      .map(([phase, ms]) => `${phase} ${formatMs(ms)}`)
      .join(', ');
    const inPhases = Object.values(phaseMedians).reduce((sum, ms) => sum + ms, 0);
    log(`git push, with hooks     median ${seconds(hooked)}  (${hookedMs.map(seconds).join(', ')})`);
    log(`git push, no hooks       median ${formatMs(plain)}`);
    log(`pre-push                 ${seconds(prePush)} (difference of the medians)`);
    log(`trace attest --json      median ${seconds(attest)} wall; its phases (medians): ${phaseText}; ${seconds(inPhases)} in phases, the rest is start-up, loading and planning`);
    const redaction = phaseMedians.redaction;
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    log(`redaction phase          median ${formatMs(redaction)} (${(phases.redaction ?? []).map(formatMs).join(', ')}), target <= ${REDACTION_TARGET_MS} ms; load average ${load}`);
    const perCommit = bundle.bytes / bundle.commits;
    const perSession = bundle.bytes / bundle.sessions;
    log(`bundle                   ${formatBytes(bundle.bytes)} (one note line; the same line on each of the ${bundle.commits} commits): ${formatBytes(perCommit)} per commit, ${formatBytes(perSession)} per session (${bundle.sessions} sessions)`);
    return [
      figure('pre_push.200_commits', `pre-push: ${COMMITS} commits, ${formatCount(COMMITS * CALLS_PER_COMMIT)} calls, local key`, {
        value: Math.round(prePush),
        unit: 'ms',
        result: `${seconds(prePush)} (git push ${seconds(hooked)} with hooks, ${formatMs(plain)} without; n=${runs})`,
        target: `< ${PRE_PUSH_TARGET_MS / 1000} s`,
        met: prePush < PRE_PUSH_TARGET_MS,
        captured,
        details: { runs, hookedPushMs: hookedMs, plainPushMs: plainMs },
      }),
      figure('pre_push.phases', 'trace attest --json: wall time and phases', {
        value: Math.round(attest),
        unit: 'ms',
        result: `${seconds(attest)}: ${phaseText}`,
        target: null,
        met: null,
        captured,
        details: { runs, attestMs, phases, phaseMedians },
      }),
      figure('pre_push.redaction', `redaction phase of the ${COMMITS}-commit push`, {
        value: Math.round(redaction),
        unit: 'ms',
        result: `${formatMs(redaction)} (median of ${runs}; load average ${load})`,
        target: `<= ${REDACTION_TARGET_MS} ms`,
        met: redaction <= REDACTION_TARGET_MS,
        captured,
        details: { runs, redactionMs: phases.redaction, loadavg: loadavg() },
      }),
      figure('pre_push.bundle_size', 'bundle size per commit / per session', {
        value: bundle.bytes,
        unit: 'bytes',
        result: `${formatBytes(perCommit)} / ${formatBytes(perSession)} (${formatBytes(bundle.bytes)} for ${bundle.commits} commits, ${bundle.sessions} sessions)`,
        target: null,
        met: null,
        details: bundle,
      }),
    ];
  } finally {
    repo.cleanup();
  }
}
