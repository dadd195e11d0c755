// Git stays fast with trace's hooks (issue 17): each git command timed with trace's hooks and
// without them (`core.hooksPath=/dev/null`), alternating, in the same run. Attribution runs after
// the hook returns (a detached `trace git-hook settle`); between runs, and never inside the timed
// part, the queue is settled and the attributions checked, so the figures are of complete work.
import { performance } from 'node:perf_hooks';
import { BenchAgent, codeLines, commitAll, Files, headSha, lineTotals, logProblems, NO_HOOKS, traceOk } from './agent.mjs';
import { formatCount, formatLoad, formatMs, formatRatio, makeRepo, median, prng, timedSpawn } from './util.mjs';

export const name = 'git';
export const description = 'git with and without trace hooks: rebase of 50 commits, squashing rebase -i of 14, git commit of 5 and 20 files';

const REBASE_RATIO_TARGET = 1.3;
/** Added time a commit may take with trace's hooks: a typical commit, and the bench's 20 files. */
const COMMIT_TARGETS_MS = { typical: 40, large: 80 };

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Waits for the detached attribution (as every reader does), outside any timing. */
function settle(repo) {
  traceOk(repo, ['git-hook', 'settle'], '');
}

/** A feature branch of `commits` commits, 4 in 5 made of captured agent calls, on a main that then moves on. */
async function featureBranch(repo, commits, seed) {
  commitAll(repo, 'trace set up', { hooks: false });
  repo.write('other.txt', 'main\n');
  commitAll(repo, 'other', { hooks: false });
  const base = headSha(repo);
  repo.git(['checkout', '-q', '-b', 'feature']);
  const rand = prng(seed);
  const files = new Files();
  const agent = new BenchAgent(repo, `bench-git-${seed}`);
  await agent.start();
  for (let c = 0; c < commits; c++) {
    const path = `feature/f${c % 10}.ts`;
    if (c % 5 !== 4) {
      await agent.prompt(`step ${c}`);
      for (let k = 0; k < 4; k++) {
        const lines = files.get(path);
        if (!lines) await agent.write(files, path, codeLines(rand, 20, `w${c}`));
        else await agent.edit(files, path, Math.floor(rand() * lines.length), codeLines(rand, 3, `c${c}`));
      }
    } else {
      const lines = (files.get(path) ?? codeLines(rand, 10, `h${c}`)).slice();
      lines.splice(Math.floor(rand() * lines.length), 1, ...codeLines(rand, 4, `h${c}`));
      files.set(repo, path, lines);
    }
    commitAll(repo, `feature ${c}`);
  }
  settle(repo);
  const tip = headSha(repo);
  const list = repo.git(['rev-list', '--reverse', `${base}..${tip}`]).stdout.trim().split('\n');
  repo.git(['checkout', '-q', 'main']);
  repo.write('other.txt', 'main\nchanged on main\n');
  commitAll(repo, 'main moves on', { hooks: false });
  repo.git(['checkout', '-q', 'feature']);
  return { tip, list, totals: lineTotals(repo, list) };
}

/**
 * Times `git <args>` with trace's hooks and without, alternating which goes first, `runs` times;
 * `back` restores the branch (untimed) and `check` looks at the hooked result once it is settled.
 */
function timeBoth(repo, args, runs, { env = {}, back, check }) {
  const plainMs = [];
  const hookedMs = [];
  const loads = [];
  let checked = true;
  for (let run = 0; run < runs; run++) {
    // A distinct committer date per run, so every run makes new commits.
    const runEnv = { ...repo.env, GIT_COMMITTER_DATE: `${1_800_000_000 + run * 100} +0000`, ...env };
    const once = (hooks) => {
      const result = timedSpawn('git', [...(hooks ? [] : NO_HOOKS), ...args], { cwd: repo.dir, env: runEnv });
      if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      (hooks ? hookedMs : plainMs).push(result.ms);
      if (hooks) {
        settle(repo);
        if (!check()) checked = false;
      }
      back();
    };
    const order = run % 2 === 0 ? [false, true] : [true, false];
    for (const hooks of order) once(hooks);
    loads.push(formatLoad());
  }
  return { plainMs, hookedMs, plain: median(plainMs), hooked: median(hookedMs), checked, loads };
}

function report(log, id, label, timing, extra) {
  const ratio = timing.hooked / timing.plain;
  log(`${label}, no hooks    median ${formatMs(timing.plain)}  (${timing.plainMs.map((ms) => ms.toFixed(0)).join(' ')} ms)`);
  log(`${label}, with hooks  median ${formatMs(timing.hooked)}  (${timing.hookedMs.map((ms) => ms.toFixed(0)).join(' ')} ms): ${formatRatio(ratio)}, +${formatMs(timing.hooked - timing.plain)}`);
  log(`  load average after each run: ${timing.loads.join('; ')}`);
  return figure(id, label, {
    value: Number(ratio.toFixed(2)),
    unit: 'x',
    result: `${formatRatio(ratio)}: ${seconds(timing.hooked)} with hooks, ${seconds(timing.plain)} without (n=${timing.hookedMs.length})`,
    target: `≤ ${REBASE_RATIO_TARGET}x`,
    met: ratio <= REBASE_RATIO_TARGET,
    captured: timing.checked,
    details: { plainMs: timing.plainMs, hookedMs: timing.hookedMs, loads: timing.loads, ...extra },
  });
}

async function rebaseFigures(context) {
  const { log } = context;
  const commits = 50;
  const runs = Math.max(context.runs, context.quick ? 5 : 9);
  const repo = makeRepo();
  try {
    const started = performance.now();
    const { tip, list, totals } = await featureBranch(repo, commits, 61);
    log(`rebase of ${commits} commits (${formatCount(totals.ai)} ai + ${formatCount(totals.human)} human added lines; set up in ${seconds(performance.now() - started)}) onto a main that changed another file; ${runs} runs each`);
    const back = () => repo.git([...NO_HOOKS, 'checkout', '-q', '-B', 'feature', tip]);
    const check = () => {
      const now = repo.git(['rev-list', '--reverse', 'main..HEAD']).stdout.trim().split('\n');
      const after = lineTotals(repo, now);
      return now.length === list.length && after.missing === 0 && after.ai === totals.ai && after.human === totals.human;
    };
    const timing = timeBoth(repo, ['rebase', '-q', 'main'], runs, { back, check });
    const problems = logProblems(repo);
    log(`after each hooked rebase, settled: every new commit attributed with the old ones' ai/human lines: ${timing.checked ? 'yes' : 'NO'}; ${problems.length} problem(s) logged`);
    return [report(log, 'rebase.50_commits', `git rebase of ${commits} commits`, timing, { totals })];
  } finally {
    repo.cleanup();
  }
}

async function squashFigures(context) {
  const { log } = context;
  const commits = 14;
  const runs = Math.max(context.runs, context.quick ? 5 : 9);
  const repo = makeRepo();
  try {
    const { tip, list, totals } = await featureBranch(repo, commits, 62);
    const base = `${list[0]}^`;
    log(`rebase -i of ${commits} commits squashed into one (${formatCount(totals.ai)} ai + ${formatCount(totals.human)} human added lines); ${runs} runs each`);
    const back = () => repo.git([...NO_HOOKS, 'checkout', '-q', '-B', 'feature', tip]);
    const check = () => {
      const now = repo.git(['rev-list', `${base}..HEAD`]).stdout.trim().split('\n');
      const after = lineTotals(repo, now);
      // Lines later commits rewrote are not in the squashed commit: its lines are at most the branch's, and some are ai.
      return now.length === 1 && after.missing === 0 && after.ai > 0 && after.ai <= totals.ai;
    };
    // Every commit after the first becomes a squash; the message editor keeps git's message.
    const env = { GIT_SEQUENCE_EDITOR: "sed -i -e '2,$ s/^pick/squash/'", GIT_EDITOR: 'true' };
    const timing = timeBoth(repo, ['rebase', '-q', '-i', base], runs, { env, back, check });
    log(`after each hooked rebase -i, settled: the squashed commit attributed: ${timing.checked ? 'yes' : 'NO'}`);
    return [report(log, 'rebase.squash_14', `git rebase -i squashing ${commits} commits`, timing, { totals })];
  } finally {
    repo.cleanup();
  }
}

// ---- git commit: agent-written files, committed with and without the hooks ----

async function commitFigures(context, { id, files: fileCount, lines: lineCount, target }) {
  const { log } = context;
  const runs = Math.max(context.runs, context.quick ? 7 : 11);
  const repo = makeRepo();
  try {
    commitAll(repo, 'trace set up', { hooks: false });
    // A repository of some size around the change (~100 files), as in the issue.
    for (let i = 0; i < 100; i++) repo.write(`lib/existing${i}.ts`, `export const e${i} = ${i};\n`);
    commitAll(repo, 'existing code', { hooks: false });
    const agent = new BenchAgent(repo, `bench-commit-${fileCount}`);
    await agent.start();
    const files = new Files();
    const rand = prng(fileCount);
    const perFile = lineCount / fileCount;
    const plainMs = [];
    const hookedMs = [];
    const loads = [];
    let attributed = true;
    for (let run = 0; run < runs; run++) {
      await agent.prompt(`run ${run}`);
      // One Write and a few Edits a file: the commit's lines all come from captured calls.
      for (let f = 0; f < fileCount; f++) {
        const path = `run${run}/m${f}.ts`;
        await agent.write(files, path, codeLines(rand, perFile - 3, `w${f}`));
        const current = files.get(path);
        await agent.edit(files, path, Math.floor(rand() * current.length), codeLines(rand, 4, `e${f}`));
      }
      const plainFirst = run % 2 === 0;
      const plain = () => plainMs.push(commitAll(repo, `run ${run} (no hooks)`, { hooks: false }).ms);
      const hooked = () => {
        hookedMs.push(commitAll(repo, `run ${run} (hooks)`).ms);
        settle(repo);
      };
      if (plainFirst) plain();
      else hooked();
      // Uncommit without a reset reflog entry (which the reference-transaction hook would act on).
      repo.git(['update-ref', '-m', 'bench: uncommit', 'HEAD', 'HEAD^']);
      if (plainFirst) hooked();
      else plain();
      if (!plainFirst) settle(repo);
      loads.push(formatLoad());
      // The hooked commit is HEAD or HEAD's parent's twin; check the last hooked one is fully ai.
      const sha = plainFirst ? headSha(repo) : null;
      if (sha) {
        const totals = lineTotals(repo, [sha]);
        if (totals.missing !== 0 || totals.ai !== lineCount) attributed = false;
      }
    }
    const plain = median(plainMs);
    const hooked = median(hookedMs);
    const added = hooked - plain;
    log(`git commit of ${fileCount} agent-written files, ${formatCount(lineCount)} lines, in a ~100-file repository; ${runs} runs each`);
    log(`git commit, no hooks    median ${formatMs(plain)}  (${plainMs.map((ms) => ms.toFixed(0)).join(' ')} ms)`);
    log(`git commit, with hooks  median ${formatMs(hooked)}  (${hookedMs.map((ms) => ms.toFixed(0)).join(' ')} ms): +${formatMs(added)}, ${formatRatio(hooked / plain)}`);
    log(`  hooked commits attributed (settled after each, untimed), every line ai: ${attributed ? 'yes' : 'NO'}; load average after each run: ${loads.join('; ')}`);
    return [
      figure(id, `git commit: ${fileCount} files, ${formatCount(lineCount)} lines`, {
        value: Number(added.toFixed(1)),
        unit: 'ms',
        result: `+${formatMs(added)}: ${formatMs(hooked)} with hooks, ${formatMs(plain)} without (n=${runs})`,
        target: `≤ +${target} ms`,
        met: added <= target,
        captured: attributed,
        details: { plainMs, hookedMs, loads },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

/** BENCH_GIT=rebase,squash,commit (the default: all) picks the figures of this section. */
export async function run(context) {
  const parts = new Set((process.env.BENCH_GIT ?? 'rebase,squash,commit').split(','));
  return [
    ...(parts.has('rebase') ? await rebaseFigures(context) : []),
    ...(parts.has('squash') ? await squashFigures(context) : []),
    ...(parts.has('commit') ? await commitFigures(context, { id: 'commit.typical', files: 5, lines: 200, target: COMMIT_TARGETS_MS.typical }) : []),
    ...(parts.has('commit') ? await commitFigures(context, { id: 'commit.20_files', files: 20, lines: 2000, target: COMMIT_TARGETS_MS.large }) : []),
  ];
}
