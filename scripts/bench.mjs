// `npm run bench`: benchmark sections that print figures (never timed tests; a missed target is
// reported, not failed). Usage: node scripts/bench.mjs [--only <section>[,<section>]] [--runs N] [--quick]
// A section is a module in scripts/bench/ exporting `name`, `description` and `run(context)`, which
// returns figures: { id, label, value, unit, result, target, met, details }. Add one to SECTIONS below.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { cleanupTemps, formatLoad, loadAverage, PACKAGE_ROOT, table } from './bench/util.mjs';

const SECTIONS = {
  capture: () => import('./bench/capture.mjs'),
  attribution: () => import('./bench/attribution.mjs'),
  push: () => import('./bench/push.mjs'),
  verify: () => import('./bench/verify.mjs'),
  agents: () => import('./bench/agents.mjs'),
  guard: () => import('./bench/guard.mjs'),
  git: () => import('./bench/git.mjs'),
  'git-large': () => import('./bench/git-large.mjs'),
  sessions: () => import('./bench/sessions.mjs'),
  'ui-api': () => import('./bench/ui-api.mjs'),
  'ui-pages': () => import('./bench/ui-pages.mjs'),
  'real-agent': () => import('./bench/real-agent.mjs'),
  server: () => import('./bench/server.mjs'),
};

const MIN_RUNS = 21;
const USAGE = `usage: node scripts/bench.mjs [--only <section>[,<section>]] [--runs N] [--quick]
  sections: ${Object.keys(SECTIONS).join(', ')}
  --runs N   interleaved runs per timed figure (default ${MIN_RUNS}; medians of fewer are noisier)
  --quick    smaller workloads where a section offers one (figures are labelled, never extrapolated)`;

function parseArgs(argv) {
  const options = { only: Object.keys(SECTIONS), runs: MIN_RUNS, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--only') {
      options.only = value().split(',').filter(Boolean);
      const unknown = options.only.filter((section) => !(section in SECTIONS));
      if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}`);
    } else if (arg === '--runs') {
      options.runs = Number(value());
      if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs needs a positive whole number');
    } else if (arg === '--quick') {
      options.quick = true;
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}

function status(figure) {
  if (figure.met === null || figure.met === undefined) return '';
  return figure.met ? 'met' : 'MISSED';
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'commands', 'hook.cjs'))) {
    console.error('bench: dist/ is missing; run `npm run build` (or `npm run bench`, which builds first)');
    process.exitCode = 1;
    return;
  }
  const loadStart = loadAverage();
  console.log('trace bench');
  console.log(`  node ${process.version} on ${process.platform} ${release()} (${process.arch}), ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`);
  console.log(`  load average ${formatLoad(loadStart)} (1, 5, 15 min)`);
  console.log(`  ${options.runs} interleaved runs per timed figure, medians${options.quick ? ', --quick' : ''}`);
  if (options.runs < MIN_RUNS) console.log(`  note: fewer than ${MIN_RUNS} runs; medians are noisier`);

  const figures = [];
  const sectionLoads = {};
  for (const section of options.only) {
    const module = await SECTIONS[section]();
    console.log(`\n== ${module.name}: ${module.description}`);
    console.log(`   load average ${formatLoad()}`);
    const started = Date.now();
    const context = { runs: options.runs, quick: options.quick, log: (line) => console.log(`   ${line}`) };
    const results = await module.run(context);
    figures.push(...results);
    sectionLoads[section] = loadAverage();
    console.log(`   (${((Date.now() - started) / 1000).toFixed(0)} s; load average ${formatLoad(sectionLoads[section])})`);
  }

  const loadEnd = loadAverage();
  console.log('\nSummary');
  const rows = figures.map((figure) => [
    figure.label,
    figure.target ?? '-',
    `${figure.result}${figure.captured === false ? ' (capture incomplete)' : ''}`,
    status(figure),
  ]);
  console.log(table(['figure', 'target', 'result', ''], rows));
  console.log(`load average ${formatLoad(loadStart)} at start, ${formatLoad(loadEnd)} at end; ${cpus().length} CPUs`);

  const out = join(PACKAGE_ROOT, '.bench', 'results.json');
  mkdirSync(join(PACKAGE_ROOT, '.bench'), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${release()} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? null,
    loadAverage: { start: loadStart, end: loadEnd, afterSection: sectionLoads },
    options,
    figures,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`figures written to ${out}`);
}

const cleanupAndExit = (signal) => {
  cleanupTemps();
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', cleanupAndExit);
process.on('SIGTERM', cleanupAndExit);

try {
  await main();
} catch (error) {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exitCode = 1;
} finally {
  cleanupTemps();
}
