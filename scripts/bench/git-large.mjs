// Git stays fast with trace's hooks in a large history (issue 17): a commit adding 30,000 files
// (1.2 M lines) made without capture. `trace blame` of one of its 40-line files next to `git blame`,
// and the first push of that commit with trace's hooks (time, peak memory of the hook's trace
// process, size of the note) next to the same push without hooks, in the same run.
import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { addRemote, NO_HOOKS, traceOk } from './agent.mjs';
import { formatBytes, formatCount, formatMs, formatRatio, makeRepo, median, prng, timedSpawn, TRACE_BIN } from './util.mjs';

export const name = 'git-large';
export const description = 'a commit of 30,000 files made without capture: trace blame of a 40-line file, first push (time, memory, note size)';

const FILES = 30_000;
const LINES = 40;
const BLAME_TARGET_MS = 1000;
const PUSH_MEMORY_TARGET = 256_000_000;
const NOTES_REF = 'refs/notes/chainloop-trace';

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

function populate(dir) {
  const rand = prng(71);
  for (let f = 0; f < FILES; f++) {
    const folder = join(dir, 'vendor', `d${Math.floor(f / 500)}`);
    if (f % 500 === 0) mkdirSync(folder, { recursive: true });
    const lines = [];
    for (let l = 0; l < LINES; l++) lines.push(`export const v${f}_${l} = ${Math.floor(rand() * 1e9)};`);
    writeFileSync(join(folder, `m${f}.ts`), `${lines.join('\n')}\n`);
  }
}

/** `cmd` run under GNU time: its wall time and the largest resident set of it and its descendants. */
function timedWithMemory(command, args, options) {
  if (!existsSync('/usr/bin/time')) return { ...timedSpawn(command, args, options), maxRssBytes: null };
  const result = timedSpawn('/usr/bin/time', ['-f', 'maxrss=%M', command, ...args], options);
  const match = /maxrss=(\d+)\s*$/.exec(result.stderr);
  return { ...result, maxRssBytes: match ? Number(match[1]) * 1024 : null };
}

export async function run(context) {
  const { log } = context;
  const runs = context.quick ? 3 : 5;
  const started = performance.now();
  const repo = makeRepo();
  try {
    // No background gc or maintenance racing the figures (and the clean-up) after the large commit.
    repo.git(['config', 'gc.auto', '0']);
    repo.git(['config', 'maintenance.auto', 'false']);
    addRemote(repo);
    repo.git([...NO_HOOKS, 'push', '-q', 'origin', 'HEAD:main']);
    populate(repo.dir);
    repo.git(['add', '-A']);
    repo.git([...NO_HOOKS, 'commit', '-q', '-m', 'vendor 30,000 files (made without capture)']);
    const path = 'vendor/d37/m18512.ts';
    log(`a commit of ${formatCount(FILES)} files, ${formatCount(FILES * LINES)} lines, made without capture (set up in ${seconds(performance.now() - started)}); ${runs} runs each`);

    // ---- blame: every line of the file comes from the large commit ----
    const gitMs = [];
    const traceMs = [];
    let lines = 0;
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? ['git', 'trace'] : ['trace', 'git'];
      for (const which of order) {
        if (which === 'git') gitMs.push(repo.git(['blame', '--porcelain', 'HEAD', '--', path]).ms);
        else {
          const result = traceOk(repo, ['blame', path, '--json']);
          traceMs.push(result.ms);
          lines = JSON.parse(result.stdout).lines.length;
        }
      }
    }
    const blame = median(traceMs);
    const plainBlame = median(gitMs);
    log(`trace blame of a ${lines}-line file of that commit  median ${formatMs(blame)}  (${traceMs.map((ms) => ms.toFixed(0)).join(' ')} ms)`);
    log(`git blame --porcelain of it                 median ${formatMs(plainBlame)}: ${formatRatio(blame / plainBlame)}`);

    // ---- first push: with hooks (pre-push attests the commit) and without, on fresh remotes ----
    const hookedMs = [];
    const plainMs = [];
    const memory = [];
    const plainMemory = [];
    // The hook's `trace` under GNU time too, for its own peak (the push's includes git's processes).
    const traceMemory = [];
    const traceRss = join(repo.base, 'trace-rss.txt');
    const shim = join(repo.base, 'shim');
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, 'trace'), `#!/bin/sh\nexec /usr/bin/time -a -o '${traceRss}' -f %M '${process.execPath}' '${TRACE_BIN}' "$@"\n`, { mode: 0o755 });
    const shimEnv = existsSync('/usr/bin/time') ? { ...repo.env, PATH: `${shim}:${repo.env.PATH}` } : repo.env;
    let noteBytes = 0;
    for (let r = 0; r < runs; r++) {
      const remote = (tag) => {
        const dir = join(repo.base, `remote-${r}-${tag}.git`);
        repo.git(['init', '-q', '--bare', dir]);
        return dir;
      };
      const hooked = () => {
        const url = remote('hooks');
        repo.git(['update-ref', '-d', NOTES_REF]);
        rmSync(traceRss, { force: true });
        const result = timedWithMemory('git', ['push', '-q', url, 'HEAD:main'], { cwd: repo.dir, env: shimEnv });
        const own = existsSync(traceRss) ? Math.max(...readFileSync(traceRss, 'utf8').split('\n').filter(Boolean).map(Number)) * 1024 : null;
        traceMemory.push(own);
        if (result.code !== 0) throw new Error(`git push failed: ${result.stderr}`);
        if (!/attested \d+ commit/.test(result.stderr)) throw new Error(`pre-push did not attest the commit: ${result.stderr}`);
        hookedMs.push(result.ms);
        memory.push(result.maxRssBytes);
        const head = repo.git(['rev-parse', 'HEAD']).stdout.trim();
        noteBytes = Buffer.byteLength(repo.git(['notes', `--ref=${NOTES_REF}`, 'show', head]).stdout);
      };
      const plain = () => {
        const url = remote('plain');
        const result = timedWithMemory('git', [...NO_HOOKS, 'push', '-q', url, 'HEAD:main'], { cwd: repo.dir, env: repo.env });
        if (result.code !== 0) throw new Error(`git push failed: ${result.stderr}`);
        plainMs.push(result.ms);
        plainMemory.push(result.maxRssBytes);
      };
      if (r % 2 === 0) {
        plain();
        hooked();
      } else {
        hooked();
        plain();
      }
    }
    const peak = memory.every((m) => m !== null) ? Math.max(...memory) : null;
    log(`first push with hooks   median ${seconds(median(hookedMs))}  (${hookedMs.map((ms) => ms.toFixed(0)).join(' ')} ms); peak memory ${peak === null ? 'n/a (no /usr/bin/time)' : formatBytes(peak)} (largest process: git or trace)`);
    const tracePeak = traceMemory.every((m) => m !== null) ? Math.max(...traceMemory) : null;
    log(`  the pre-push hook's trace process alone: peak ${tracePeak === null ? 'n/a' : formatBytes(tracePeak)}`);
    const plainPeak = plainMemory.every((m) => m !== null) ? Math.max(...plainMemory) : null;
    log(`first push, no hooks    median ${seconds(median(plainMs))}; peak memory ${plainPeak === null ? 'n/a' : formatBytes(plainPeak)} (git alone)`);
    log(`the note: ${formatBytes(noteBytes)} for ${formatCount(FILES)} files`);
    return [
      figure('blame.large_history', `trace blame: 40-line file of a 30,000-file commit without capture`, {
        value: Number(blame.toFixed(1)),
        unit: 'ms',
        result: `${formatMs(blame)} (git blame ${formatMs(plainBlame)}; n=${runs})`,
        target: `< ${BLAME_TARGET_MS / 1000} s`,
        met: blame < BLAME_TARGET_MS,
      }),
      figure('push.first_30k_files', 'first push: a commit adding 30,000 files, 1.2 M lines', {
        value: tracePeak === null ? null : Math.round(tracePeak / 1_000_000),
        unit: 'MB',
        result: `trace ${tracePeak === null ? 'n/a' : formatBytes(tracePeak)} peak (whole push ${peak === null ? 'n/a' : formatBytes(peak)}), ${seconds(median(hookedMs))} (no hooks ${seconds(median(plainMs))}), note ${formatBytes(noteBytes)} (n=${runs})`,
        target: '≤ 256 MB',
        met: tracePeak === null ? null : tracePeak <= PUSH_MEMORY_TARGET,
        details: { hookedMs, plainMs, memory, traceMemory, plainMemory, noteBytes },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}
