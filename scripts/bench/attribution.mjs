/* global Buffer */
// Attribution: the post-commit hook's work for a commit with many captured tool calls (next to
// `git commit` without hooks, in the same run), the pure engine on one large file, the same file end
// to end, and post-rewrite after a rebase of 50 commits (next to the rebase without hooks).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { attributeLines, replay } from '../../dist/core/attribution.js';
import { alignLines, diffHunks, splitLines } from '../../dist/core/diff.js';
import { BenchAgent, captureCheck, codeLines, commitAll, Files, headSha, lineTotals, logProblems, NO_HOOKS, traceOk } from './agent.mjs';
import { formatCount, formatMs, formatRatio, makeRepo, median, percentile, prng, timedSpawn } from './util.mjs';

export const name = 'attribution';
export const description = 'post-commit per commit, the engine on a 10,000-line file, post-rewrite after a 50-commit rebase';

const POST_COMMIT_TARGET_MS = 300;
const BIG_FILE_TARGET_MS = 1000;
const REWRITE_TARGET_MS = 5000;

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Sets up `repo` as a developer would after `trace init`: the files init wrote are committed. */
function commitSetup(repo) {
  commitAll(repo, 'trace set up', { hooks: false });
}

function checkRepo(log, repo, expectedCalls) {
  const { calls, done } = captureCheck(repo);
  const problems = logProblems(repo);
  const ok = (expectedCalls === null || (calls === expectedCalls && done === expectedCalls)) && problems.length === 0;
  log(`check            ${formatCount(done ?? 0)} of ${formatCount(calls)} captured tool calls done${expectedCalls === null ? '' : ` (expected ${formatCount(expectedCalls)})`}, ${problems.length} problem(s) logged${ok ? '' : '  <-- INCOMPLETE, figures above are not trustworthy'}`);
  for (const problem of problems.slice(0, 5)) log(`  log: ${problem}`);
  return ok;
}

// ---- post-commit: 20 files, 2,000 added lines, 200 tool calls ----

const FILES = 20;
const CALLS_PER_FILE = 10; // one Write of 28 lines, then 9 Edits that each turn one line into 9: 100 lines a file

/** 200 captured calls making 20 new files of 100 lines under `dir`, with a human edit now and then. */
async function agentWork(agent, files, rand, dir) {
  const paths = Array.from({ length: FILES }, (_, f) => `${dir}/mod${f}.ts`);
  for (let round = 0; round < CALLS_PER_FILE; round++) {
    for (const path of paths) {
      if (round === 0) {
        await agent.write(files, path, codeLines(rand, 28, 'w'));
        continue;
      }
      if (rand() < 0.2) {
        // A human touches one line between calls: it becomes human.
        const lines = files.get(path).slice();
        const at = Math.floor(rand() * lines.length);
        lines[at] = `${lines[at]} // reviewed`;
        files.set(agent.repo, path, lines);
      }
      const lines = files.get(path);
      await agent.edit(files, path, Math.floor(rand() * lines.length), codeLines(rand, 9, `e${round}`));
    }
  }
}

async function postCommitFigures(context) {
  const { log, quick } = context;
  const runs = quick ? 11 : 15;
  const repo = makeRepo();
  try {
    commitSetup(repo);
    const agent = new BenchAgent(repo, 'bench-post-commit');
    await agent.start();
    await agent.prompt('write the modules');
    const files = new Files();
    const rand = prng(11);
    log(`post-commit of a commit adding ${FILES} files, ${formatCount(FILES * 100)} lines, behind ${FILES * CALLS_PER_FILE} captured tool calls (new paths each run); ${runs} runs`);
    log('per run: `git commit` without hooks (core.hooksPath=/dev/null) and with them, and `trace git-hook post-commit` timed on its own (it attributes HEAD)');
    const hookMs = [];
    const plainMs = [];
    const hookedMs = [];
    let captureMs = 0;
    let last;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await agentWork(agent, files, rand, `run${run}`);
      captureMs += performance.now() - started;
      // Alternate which commit comes first; the second one re-commits the same change after moving HEAD
      // back (update-ref, like `reset --soft` but without a reset reflog entry, which would make the next
      // hooked commit's reference-transaction hook record the work tree).
      const plainFirst = run % 2 === 0;
      const plain = () => plainMs.push(commitAll(repo, `run ${run} (no hooks)`, { hooks: false }).ms);
      const hooked = () => hookedMs.push(commitAll(repo, `run ${run} (hooks)`).ms);
      if (plainFirst) plain();
      else hooked();
      repo.git(['update-ref', '-m', 'bench: uncommit', 'HEAD', 'HEAD^']);
      if (plainFirst) hooked();
      else plain();
      // HEAD is now the second commit: if it was the plain one it has no attribution yet, as after a commit.
      hookMs.push(traceOk(repo, ['git-hook', 'post-commit'], '').ms);
      last = headSha(repo);
    }
    const totals = lineTotals(repo, [last]);
    const captured = checkRepo(log, repo, runs * FILES * CALLS_PER_FILE);
    const hook = median(hookMs);
    const plain = median(plainMs);
    const hooked = median(hookedMs);
    log(`trace git-hook post-commit  median ${formatMs(hook)}  (p90 ${formatMs(percentile(hookMs, 90))}; in run order: ${hookMs.map((ms) => ms.toFixed(0)).join(' ')} ms)`);
    log(`git commit, no hooks        median ${formatMs(plain)}`);
    log(`git commit, with hooks      median ${formatMs(hooked)}  (+${formatMs(hooked - plain)}, ${formatRatio(hooked / plain)})`);
    log(`last commit's attribution   ${formatCount(totals.ai)} ai + ${formatCount(totals.human)} human added lines (expected ${formatCount(FILES * 100)} in all, the human ones from edits between calls)`);
    log(`(capturing ${formatCount(runs * FILES * CALLS_PER_FILE)} calls in-process took ${seconds(captureMs)})`);
    return [
      figure('post_commit.20_files', `post-commit: ${FILES} files, 2,000 lines, 200 calls`, {
        value: Number(hook.toFixed(1)),
        unit: 'ms',
        result: `${formatMs(hook)} (git commit ${formatMs(plain)} without hooks, ${formatMs(hooked)} with; n=${runs})`,
        target: `< ${POST_COMMIT_TARGET_MS} ms`,
        met: hook < POST_COMMIT_TARGET_MS,
        captured: captured && totals.ai + totals.human === FILES * 100,
        details: { runs, hookMs, plainCommitMs: plainMs, hookedCommitMs: hookedMs, lastCommit: totals },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

// ---- the pure engine (was scripts/bench-attribution.mjs) ----

/** Code-like lines with the repeats real code has (braces, blank lines). */
function engineLine(rand, tag) {
  const r = rand();
  if (r < 0.12) return '}';
  if (r < 0.2) return '';
  const indent = '  '.repeat(Math.floor(rand() * 4));
  return `${indent}const v${Math.floor(rand() * 1e6)} = compute(${tag}, ${Math.floor(rand() * 1000)});`;
}

/** One agent call: replace a few lines at a random place with a few new ones. */
function engineEdit(rand, lines, tag) {
  const at = Math.floor(rand() * (lines.length + 1));
  const removed = Math.floor(rand() * 4);
  const added = Array.from({ length: Math.floor(rand() * 5) }, () => engineLine(rand, tag));
  const next = lines.slice();
  next.splice(at, removed, ...added);
  return next;
}

// Callers hand in texts decoded from bytes (flat strings), not concatenations: do the same.
const flat = (lines) => Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'latin1').toString('latin1');

/** Changes of one file through `calls` agent calls, with a human edit before some of them. */
function history(rand, initialLines, calls, sessions) {
  const changes = [];
  let lines = initialLines;
  for (let c = 0; c < calls; c++) {
    if (rand() < 0.2) lines = engineEdit(rand, lines, `human${c}`); // human gap: before ≠ previous after
    const after = engineEdit(rand, lines, `ai${c}`);
    changes.push({ before: flat(lines), after: flat(after), author: { kind: 'ai', sessionId: sessions[c % sessions.length] } });
    lines = after;
  }
  if (rand() < 0.5) lines = engineEdit(rand, lines, 'final'); // edited by hand before committing
  return { changes, committed: flat(lines), parent: flat(initialLines) };
}

function addedLinesOf(parent, committed) {
  const added = [];
  for (const h of diffHunks(splitLines(parent), splitLines(committed), { mode: 'exact' })) {
    for (let k = 0; k < h.newCount; k++) added.push(h.newStart + k + 1);
  }
  return added;
}

function attributeFile({ changes, committed, parent }) {
  const state = replay(changes);
  return attributeLines({ committed, addedLines: addedLinesOf(parent, committed), sources: [state] });
}

function timeEngine(runs, setup, work) {
  const times = [];
  let result;
  for (let r = 0; r < runs; r++) {
    const input = setup();
    const t0 = performance.now();
    result = work(input);
    times.push(performance.now() - t0);
  }
  return { ms: median(times), times, result };
}

function engineFigures(context) {
  const { log, quick } = context;
  const runs = quick ? 5 : 11;
  log(`engine (in-process, dist/core; inputs built before the clock starts), ${runs} runs each`);
  const big = timeEngine(
    runs,
    () => {
      const rand = prng(1);
      return history(rand, Array.from({ length: 10_000 }, () => engineLine(rand, 'base')), 500, ['s1', 's2']);
    },
    attributeFile,
  );
  log(`replay a 10,000-line file through 500 calls + attributeLines  median ${formatMs(big.ms)}  (${big.result.ai} ai, ${big.result.human} human added lines)`);
  const small = timeEngine(
    runs,
    () => {
      const rand = prng(2);
      return Array.from({ length: 20 }, (_, f) => history(rand, Array.from({ length: 100 }, () => engineLine(rand, `f${f}`)), 10, ['s1']));
    },
    (files) => files.map(attributeFile),
  );
  log(`20 files x 100 lines, 200 changes + attributeLines            median ${formatMs(small.ms)}`);
  const rewrite = timeEngine(
    runs,
    () => {
      const rand = prng(3);
      return [Array.from({ length: 10_000 }, () => engineLine(rand, 'a')), Array.from({ length: 10_000 }, () => engineLine(rand, 'b'))];
    },
    ([a, b]) => alignLines(a, b, { mode: 'exact' }),
  );
  log(`align two unrelated 10,000-line files                         median ${formatMs(rewrite.ms)}`);
  const pathological = timeEngine(
    runs,
    () => {
      const rand = prng(4);
      const gen = () => Array.from({ length: 10_000 }, () => `line ${Math.floor(rand() * 10)}`);
      return [gen(), gen()];
    },
    ([a, b]) => alignLines(a, b, { mode: 'exact' }),
  );
  log(`align two random 10,000-line files over 10 distinct lines     median ${formatMs(pathological.ms)}`);
  const info = (id, label, result) => figure(id, label, { value: Number(result.ms.toFixed(1)), unit: 'ms', result: `${formatMs(result.ms)} (n=${runs})`, target: null, met: null, details: { times: result.times } });
  return [
    figure('engine.10k_lines_500_calls', 'engine: 10,000-line file through 500 calls', {
      value: Number(big.ms.toFixed(1)),
      unit: 'ms',
      result: `${formatMs(big.ms)} (replay + attributeLines, n=${runs})`,
      target: `< ${BIG_FILE_TARGET_MS / 1000} s`,
      met: big.ms < BIG_FILE_TARGET_MS,
      details: { times: big.times, ai: big.result.ai, human: big.result.human },
    }),
    info('engine.20_files_200_changes', 'engine: 20 files x 100 lines, 200 changes', small),
    info('engine.align_unrelated_10k', 'engine: align two unrelated 10,000-line files', rewrite),
    info('engine.align_pathological_10k', 'engine: align 10,000 lines over 10 distinct', pathological),
  ];
}

// ---- the same 10,000-line file end to end: 500 captured calls, then post-commit ----

async function bigFileFigures(context) {
  const { log, quick } = context;
  const calls = 500;
  const runs = quick ? 3 : 5;
  const rand = prng(5);
  const repo = makeRepo();
  try {
    commitSetup(repo);
    const files = new Files();
    const path = 'src/large.ts';
    files.set(repo, path, codeLines(rand, 10_000, 'base'));
    commitAll(repo, 'add a 10,000-line file', { hooks: false });
    const agent = new BenchAgent(repo, 'bench-large-file');
    await agent.start();
    await agent.prompt('rework the large file');
    const started = performance.now();
    for (let call = 0; call < calls; call++) {
      if (rand() < 0.2) {
        const lines = files.get(path).slice();
        lines[Math.floor(rand() * lines.length)] += ' // by hand';
        files.set(repo, path, lines);
      }
      const lines = files.get(path);
      await agent.edit(files, path, Math.floor(rand() * lines.length), codeLines(rand, 1 + Math.floor(rand() * 4), `c${call}`));
    }
    const captureMs = performance.now() - started;
    const plain = commitAll(repo, 'rework', { hooks: false }).ms;
    const hookMs = [];
    for (let run = 0; run < runs; run++) hookMs.push(traceOk(repo, ['git-hook', 'post-commit'], '').ms);
    const hook = median(hookMs);
    const totals = lineTotals(repo, [headSha(repo)]);
    log(`end to end: ${calls} Edit calls captured on a 10,000-line file (in-process, ${seconds(captureMs)}), committed without hooks (${formatMs(plain)})`);
    log(`trace git-hook post-commit on it  median ${formatMs(hook)} over ${runs} runs (each re-attributes HEAD); ${formatCount(totals.ai)} ai + ${formatCount(totals.human)} human added lines`);
    const captured = checkRepo(log, repo, calls);
    return [
      figure('post_commit.10k_lines_500_calls', 'post-commit: 10,000-line file after 500 calls', {
        value: Number(hook.toFixed(1)),
        unit: 'ms',
        result: `${formatMs(hook)} (git commit without hooks ${formatMs(plain)}; n=${runs})`,
        target: `< ${BIG_FILE_TARGET_MS / 1000} s`,
        met: hook < BIG_FILE_TARGET_MS,
        captured,
        details: { runs, hookMs, plainCommitMs: plain, captureMs, totals },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

// ---- rebase of 50 commits: post-rewrite ----

async function rebaseFigures(context) {
  const { log } = context;
  const commits = 50;
  const runs = 3;
  const rand = prng(6);
  const repo = makeRepo();
  try {
    commitSetup(repo);
    repo.write('other.txt', 'main\n');
    commitAll(repo, 'other', { hooks: false });
    const base = headSha(repo);
    repo.git(['checkout', '-q', '-b', 'feature']);
    const files = new Files();
    const agent = new BenchAgent(repo, 'bench-rebase');
    await agent.start();
    let calls = 0;
    const setupStarted = performance.now();
    for (let c = 0; c < commits; c++) {
      const path = `feature/f${c % 10}.ts`;
      if (c % 5 !== 4) {
        // AI commit: 4 calls on one file (a Write when the file is new).
        await agent.prompt(`step ${c}`);
        for (let k = 0; k < 4; k++, calls++) {
          const lines = files.get(path);
          if (!lines) await agent.write(files, path, codeLines(rand, 20, `w${c}`));
          else await agent.edit(files, path, Math.floor(rand() * lines.length), codeLines(rand, 3, `c${c}`));
        }
      } else {
        // Human commit: a few lines of their own in the same file.
        const lines = (files.get(path) ?? codeLines(rand, 10, `h${c}`)).slice();
        lines.splice(Math.floor(rand() * lines.length), 1, ...codeLines(rand, 4, `h${c}`));
        files.set(repo, path, lines);
      }
      commitAll(repo, `feature ${c}`); // with hooks: post-commit attributes each, as in real work
    }
    const oldTip = headSha(repo);
    const oldList = repo.git(['rev-list', '--reverse', `${base}..${oldTip}`]).stdout.trim().split('\n');
    const oldTotals = lineTotals(repo, oldList);
    repo.git(['checkout', '-q', 'main']);
    repo.write('other.txt', 'main\nchanged on main\n');
    commitAll(repo, 'main moves on', { hooks: false });
    repo.git(['checkout', '-q', 'feature']);
    log(`rebase of ${commits} commits (${formatCount(calls)} captured calls, ${commits / 5} human commits; set up with hooks in ${seconds(performance.now() - setupStarted)}) onto a main that changed another file; ${runs} runs`);

    // Trace's hooks without post-commit: git's sequencer runs post-commit for every picked commit,
    // so this variant shows what the rebase costs when only post-rewrite attributes the new commits.
    const partialHooks = join(repo.base, 'hooks-without-post-commit');
    mkdirSync(partialHooks);
    for (const hook of ['post-rewrite', 'pre-push', 'reference-transaction']) copyFileSync(join(repo.dir, '.git', 'hooks', hook), join(partialHooks, hook));
    const plainMs = [];
    const hookMs = [];
    const hookedMs = [];
    const partialMs = [];
    let newTotals;
    for (let run = 0; run < runs; run++) {
      // A distinct committer date per run, so every rebase makes new commits.
      const env = { GIT_COMMITTER_DATE: `${1_800_000_000 + run * 100} +0000` };
      const rebase = (hooksPath) => {
        const config = hooksPath === undefined ? [] : ['-c', `core.hooksPath=${hooksPath}`];
        const result = timedSpawn('git', [...config, 'rebase', '-q', 'main'], { cwd: repo.dir, env: { ...repo.env, ...env } });
        if (result.code !== 0) throw new Error(`git rebase failed (${result.code}): ${result.stderr}`);
        return result.ms;
      };
      // Back to the branch as it was; `checkout -B` rather than `reset --hard`, whose reflog entry would
      // make the next hooked rebase's reference-transaction hook record the work tree (trace's reset check).
      const back = () => repo.git([...NO_HOOKS, 'checkout', '-q', '-B', 'feature', oldTip]);
      const hooked = () => {
        hookedMs.push(rebase(undefined));
        back();
        partialMs.push(rebase(partialHooks));
        back();
      };
      const plainAndHook = () => {
        plainMs.push(rebase('/dev/null'));
        const newList = repo.git(['rev-list', '--reverse', 'main..HEAD']).stdout.trim().split('\n');
        if (newList.length !== oldList.length) throw new Error(`rebase made ${newList.length} commits, expected ${oldList.length}`);
        const pairs = oldList.map((old, index) => `${old} ${newList[index]}\n`).join('');
        hookMs.push(traceOk(repo, ['git-hook', 'post-rewrite', 'rebase'], pairs).ms);
        newTotals = lineTotals(repo, newList);
        back();
      };
      if (run % 2 === 0) {
        plainAndHook();
        hooked();
      } else {
        hooked();
        plainAndHook();
      }
    }
    const hook = median(hookMs);
    const plain = median(plainMs);
    const hooked = median(hookedMs);
    log(`trace git-hook post-rewrite rebase (${commits} pairs)  median ${formatMs(hook)}  (${formatMs(hook / commits)} per commit)`);
    log(`git rebase, no hooks    median ${formatMs(plain)}`);
    log(`git rebase, with hooks  median ${formatMs(hooked)}  (+${formatMs(hooked - plain)}, ${formatRatio(hooked / plain)}): git runs post-commit for each of the ${commits} picks, then post-rewrite`);
    log(`  without post-commit   median ${formatMs(median(partialMs))}  (trace's other hooks: post-rewrite once, reference-transaction per ref update)`);
    const carried = newTotals.missing === 0 && newTotals.ai === oldTotals.ai && newTotals.human === oldTotals.human;
    log(`attribution carried     before ${formatCount(oldTotals.ai)} ai + ${formatCount(oldTotals.human)} human lines in ${oldTotals.commits} commits; after ${formatCount(newTotals.ai)} ai + ${formatCount(newTotals.human)} human in ${newTotals.commits}${carried ? '' : '  <-- DIFFERS'}`);
    const captured = checkRepo(log, repo, agent.calls) && carried;
    return [
      figure('post_rewrite.rebase_50', `post-rewrite: rebase of ${commits} commits`, {
        value: Number(hook.toFixed(1)),
        unit: 'ms',
        result: `${seconds(hook)} (git rebase ${seconds(plain)} without hooks, ${seconds(hooked)} with, ${seconds(median(partialMs))} with all but post-commit; n=${runs})`,
        target: `< ${REWRITE_TARGET_MS / 1000} s`,
        met: hook < REWRITE_TARGET_MS,
        captured,
        details: { runs, commits, hookMs, plainRebaseMs: plainMs, hookedRebaseMs: hookedMs, withoutPostCommitRebaseMs: partialMs, oldTotals, newTotals },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

export async function run(context) {
  return [...(await postCommitFigures(context)), ...engineFigures(context), ...(await bigFileFigures(context)), ...(await rebaseFigures(context))];
}
