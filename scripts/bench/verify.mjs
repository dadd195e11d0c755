// Verify: `trace verify` in a fresh clone (as CI runs it) of 1,000 commits attested in 10 pushes,
// next to git alone listing the same range with its notes. The 10 pushes attest commits made
// without capture, attributing each on the fly: their time is printed too.
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { addRemote, commitAll, headSha, NO_HOOKS } from './agent.mjs';
import { formatCount, formatMs, makeRepo, median, prng, TRACE_BIN, timedSpawn } from './util.mjs';

export const name = 'verify';
export const description = 'trace verify of 1,000 commits attested in 10 pushes, in a fresh clone; the pushes themselves';

const VERIFY_TARGET_MS = 10_000;
const COMMITS = 1000;
const PUSHES = 10;
const FILES = 50;
const NOTES_REF = 'refs/notes/chainloop-trace';

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** `count` commits on top of `parent`, each changing one of 50 files (5 lines added, 1 changed), through git fast-import. */
function fastImport(repo, parent, count) {
  const rand = prng(31);
  const contents = Array.from({ length: FILES }, () => []);
  const chunks = [];
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const start = 1_767_600_000;
  for (let i = 0; i < count; i++) {
    const f = i % FILES;
    const lines = contents[f];
    if (lines.length > 0) lines[Math.floor(rand() * lines.length)] = `export const changed${i} = ${Math.floor(rand() * 1e6)};`;
    for (let k = 0; k < 5; k++) lines.push(`export const v${i}_${k} = compute(${Math.floor(rand() * 1e6)});`);
    const when = `${start + i * 60} +0000`;
    chunks.push(
      `commit refs/heads/main\nauthor Dev <dev@example.com> ${when}\ncommitter Dev <dev@example.com> ${when}\n${data(`change ${i}`)}`,
      i === 0 ? `from ${parent}\n` : '',
      `M 100644 inline src/m${f}.ts\n${data(`${lines.join('\n')}\n`)}\n`,
    );
  }
  const result = timedSpawn('git', ['fast-import', '--quiet'], { cwd: repo.dir, env: repo.env, input: chunks.join('') });
  if (result.code !== 0) throw new Error(`git fast-import failed (${result.code}): ${result.stderr}`);
  return result.ms;
}

export async function run(context) {
  const { log, quick } = context;
  const runs = quick ? 3 : 5;
  const repo = makeRepo();
  try {
    const remote = addRemote(repo);
    commitAll(repo, 'trace set up'); // the signing key's public half is committed here: CI trusts it from the base of the range
    repo.git(['push', '-q', 'origin', 'main']);
    const base = headSha(repo);
    const importMs = fastImport(repo, base, COMMITS);
    repo.git([...NO_HOOKS, 'reset', '-q', '--hard', 'main']);
    const shas = repo.git(['rev-list', '--reverse', `${base}..main`]).stdout.trim().split('\n');
    if (shas.length !== COMMITS) throw new Error(`fast-import made ${shas.length} commits, expected ${COMMITS}`);
    log(`${formatCount(COMMITS)} commits made with git fast-import in ${formatMs(importMs)} (no capture: pre-push attributes them on the fly, as commits made without trace)`);

    const perPush = COMMITS / PUSHES;
    const pushMs = [];
    const started = performance.now();
    for (let p = 1; p <= PUSHES; p++) {
      const tip = shas[p * perPush - 1];
      const result = timedSpawn('git', ['push', '-q', 'origin', `${tip}:refs/heads/main`], { cwd: repo.dir, env: repo.env });
      if (result.code !== 0) throw new Error(`git push failed (${result.code}): ${result.stderr}`);
      if (!result.stderr.includes(`attested ${perPush} commit(s)`)) throw new Error(`push ${p} did not attest ${perPush} commits: ${result.stderr}`);
      pushMs.push(result.ms);
    }
    const pushTotal = performance.now() - started;
    const push = median(pushMs);
    log(`${PUSHES} pushes of ${perPush} commits with hooks: median ${seconds(push)} per push (${pushMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s), ${seconds(pushTotal)} in all`);

    const clone = join(repo.base, 'clone');
    repo.git(['clone', '-q', remote, clone]);
    const range = `${base}..HEAD`;
    log(`trace verify ${base.slice(0, 10)}..HEAD --all-commits --json in a fresh clone (notes fetched from the remote by verify); ${runs} runs, alternating with the baseline`);
    log(`baseline: git log --notes=${NOTES_REF} over the same range, which reads every commit's note`);
    const verifyMs = [];
    const baselineMs = [];
    let result;
    const verify = () => {
      const out = timedSpawn(process.execPath, [TRACE_BIN, 'verify', range, '--all-commits', '--json'], { cwd: clone, env: repo.env });
      if (out.code !== 0) throw new Error(`trace verify failed (${out.code}): ${out.stderr || out.stdout.slice(0, 2000)}`);
      result = JSON.parse(out.stdout);
      verifyMs.push(out.ms);
    };
    const baseline = () => {
      const out = timedSpawn('git', ['log', `--notes=${NOTES_REF}`, '--format=%H %N', range], { cwd: clone, env: repo.env });
      if (out.code !== 0) throw new Error(`git log failed: ${out.stderr}`);
      baselineMs.push(out.ms);
    };
    for (let r = 0; r < runs; r++) {
      if (r % 2 === 0) {
        verify();
        baseline();
      } else {
        baseline();
        verify();
      }
    }
    const verified = median(verifyMs);
    const git = median(baselineMs);
    const okCommits = result.commits.filter((c) => c.ok).length;
    log(`trace verify             median ${seconds(verified)}  (${verifyMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)`);
    log(`git log with notes       median ${formatMs(git)}`);
    log(`result                   ok=${result.ok}, ${formatCount(result.commits.length)} commits (${formatCount(okCommits)} ok), ${result.bundles_verified} distinct signatures verified (expected ${PUSHES}), ${result.violations.length} policy violation(s)`);
    const correct = result.ok && result.commits.length === COMMITS && okCommits === COMMITS && result.bundles_verified === PUSHES;
    return [
      figure('verify.1000_commits', `verify: ${formatCount(COMMITS)} commits attested in ${PUSHES} pushes`, {
        value: Math.round(verified),
        unit: 'ms',
        result: `${seconds(verified)} (${result.bundles_verified} signatures verified, ${formatCount(result.commits.length)} commits${result.ok ? ' ok' : ' NOT ok'}; git log with notes ${formatMs(git)}; n=${runs})`,
        target: `< ${VERIFY_TARGET_MS / 1000} s`,
        met: verified < VERIFY_TARGET_MS,
        captured: correct,
        details: { runs, verifyMs, gitLogNotesMs: baselineMs, commits: result.commits.length, okCommits, bundlesVerified: result.bundles_verified, ok: result.ok },
      }),
      figure('verify.push_100_uncaptured', `pre-push attesting ${perPush} uncaptured commits`, {
        value: Math.round(push),
        unit: 'ms',
        result: `${seconds(push)} per push (git push with hooks; ${seconds(pushTotal)} for all ${PUSHES})`,
        target: null,
        met: null,
        details: { pushMs, pushTotalMs: pushTotal, importMs },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}
