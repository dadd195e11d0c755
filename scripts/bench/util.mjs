// Shared helpers for `npm run bench` sections: statistics, temporary git repositories with an isolated
// HOME (like test/support/repo.ts), timed child processes, and formatting.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The same isolated HOME and PATH as the tests and the demo (bench.mjs builds dist/ first).
const { sandboxEnv } = await import(join(PACKAGE_ROOT, 'dist', 'simulate', 'sandbox.js'));
export const TRACE_BIN = join(PACKAGE_ROOT, 'bin', 'trace');

// ---- statistics ----

/** The value below which `p` percent of `values` fall (nearest rank on sorted values, linear between ranks). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export function median(values) {
  return percentile(values, 50);
}

/** mulberry32: a small seeded PRNG, so every run makes the same edits. */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- machine ----

export function loadAverage() {
  return loadavg().map((value) => Number(value.toFixed(2)));
}

export function formatLoad(load = loadAverage()) {
  return load.map((value) => value.toFixed(2)).join(' ');
}

// ---- temporary directories ----

const temps = new Set();

export function tempDir(prefix = 'trace-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.add(dir);
  return dir;
}

export function removeTemp(dir) {
  // Retried: a commit of many files leaves git's automatic gc running in the background, writing packs.
  rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  temps.delete(dir);
}

/** Removes every temporary directory still alive; safe to call more than once. */
export function cleanupTemps() {
  for (const dir of [...temps]) removeTemp(dir);
}

// ---- processes ----

/** Runs a command to completion and returns how long it took in milliseconds, wall clock, as seen by the caller. */
export function timedSpawn(command, args, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { maxBuffer: 256 * 1024 * 1024, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    ms,
    code: result.status ?? 1,
    stdout: result.stdout?.toString('utf8') ?? '',
    stderr: result.stderr?.toString('utf8') ?? '',
    error: result.error,
  };
}

/**
 * CPU time (user + system, ms) used so far by this process's waited-for children and their own
 * children, from /proc (Linux; null elsewhere). Clock-tick resolution (10 ms), so use it on sums of
 * many runs: unlike wall time it hardly moves with machine load.
 */
export function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5), cutime and cstime, in clock ticks (100 per second on Linux).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** `node -e 0`: the floor every Node CLI pays. */
export function bareNode(options = {}) {
  return timedSpawn(process.execPath, ['-e', '0'], options);
}

// ---- repositories ----

/**
 * A new git repository in a temporary directory with one commit on `main`, HOME and XDG dirs of its own,
 * and (unless `init: false`) `trace init --yes` run in it. `populate(dir)` writes the initial files.
 */
export function makeRepo({ init = true, populate } = {}) {
  const base = tempDir();
  const dir = join(base, 'work');
  const home = join(base, 'home');
  mkdirSync(dir);
  const env = sandboxEnv(home);
  const check = (what, result) => {
    if (result.code !== 0 || result.error) throw new Error(`${what} failed (${result.code}): ${result.stderr || result.error?.message}`);
    return result;
  };
  const repo = {
    base,
    dir,
    home,
    env,
    stateDir: join(dir, '.git', 'chainloop-trace'),
    git: (args) => check(`git ${args.join(' ')}`, timedSpawn('git', args, { cwd: dir, env })),
    /** Runs bin/trace the way an agent's hook command does (cwd = the work tree), timing it. */
    trace: (args, input) => timedSpawn(process.execPath, [TRACE_BIN, ...args], { cwd: dir, env, input }),
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    cleanup: () => removeTemp(base),
  };
  repo.git(['init', '-q']);
  if (populate) populate(dir);
  else repo.write('README.md', '# project\n');
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'initial']);
  if (init) {
    check('trace init --yes', repo.trace(['init', '--yes']));
    // As in a repository where .chainloop.yml was written before the session: the guard's shell lane
    // trusts only a config older than two seconds (src/guard/lane.ts).
    const config = join(dir, '.chainloop.yml');
    if (existsSync(config)) {
      const before = new Date(Date.now() - 60_000);
      utimesSync(config, before, before);
    }
  }
  return repo;
}

// ---- formatting ----

export function formatMs(ms) {
  return `${ms.toFixed(1)} ms`;
}

export function formatRatio(ratio) {
  return `${ratio.toFixed(2)}x`;
}

export function formatBytes(bytes) {
  // Decimal units, as targets are stated (2 MB = 2,000,000 bytes).
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

export function formatCount(count) {
  return count.toLocaleString('en-US');
}

/** A plain text table: left-aligned columns separated by two spaces, a rule under the header. */
export function table(header, rows) {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => String(row[column] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, column) => String(cell ?? '').padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
