/* global Buffer */
// Benchmark of the pure attribution engine. Build first: npx tsc -p tsconfig.build.json
// Prints `name: median X ms (n runs)`. Deterministic: a seeded PRNG makes the same edits every run.
import { attributeLines, replay } from '../dist/core/attribution.js';
import { alignLines, diffHunks, splitLines } from '../dist/core/diff.js';

const RUNS = 7;

/** mulberry32 */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code-like lines, with the repeats real code has (braces, blank lines). */
function codeLine(rand, tag) {
  const r = rand();
  if (r < 0.12) return '}';
  if (r < 0.2) return '';
  const indent = '  '.repeat(Math.floor(rand() * 4));
  return `${indent}const v${Math.floor(rand() * 1e6)} = compute(${tag}, ${Math.floor(rand() * 1000)});`;
}

/** One agent call: replace a few lines at a random place with a few new ones. */
function edit(rand, lines, tag) {
  const at = Math.floor(rand() * (lines.length + 1));
  const removed = Math.floor(rand() * 4);
  const added = Array.from({ length: Math.floor(rand() * 5) }, () => codeLine(rand, tag));
  const next = lines.slice();
  next.splice(at, removed, ...added);
  return next;
}

// Callers hand in texts decoded from bytes (flat strings), not concatenations: do the same.
const join = (lines) => Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'latin1').toString('latin1');

/** Changes of one file through `calls` agent calls, with a human edit before some of them. */
function history(rand, initialLines, calls, sessions) {
  const changes = [];
  let lines = initialLines;
  for (let c = 0; c < calls; c++) {
    if (rand() < 0.2) lines = edit(rand, lines, `human${c}`); // human gap: before ≠ previous after
    const after = edit(rand, lines, `ai${c}`);
    changes.push({ before: join(lines), after: join(after), author: { kind: 'ai', sessionId: sessions[c % sessions.length] } });
    lines = after;
  }
  if (rand() < 0.5) lines = edit(rand, lines, 'final'); // edited by hand before committing
  return { changes, committed: join(lines), parent: join(initialLines) };
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

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function bench(name, setup, run) {
  const times = [];
  let result;
  for (let r = 0; r < RUNS; r++) {
    const input = setup();
    const t0 = process.hrtime.bigint();
    result = run(input);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`${name}: median ${median(times).toFixed(1)} ms (${RUNS} runs)`);
  return result;
}

const big = bench(
  'replay 10,000-line file through 500 calls + attributeLines',
  () => {
    const rand = prng(1);
    return history(rand, Array.from({ length: 10_000 }, () => codeLine(rand, 'base')), 500, ['s1', 's2']);
  },
  attributeFile,
);
console.log(`  (${big.ai} ai, ${big.human} human added lines)`);

bench(
  '20 files x 100 lines, 200 changes total + attributeLines',
  () => {
    const rand = prng(2);
    return Array.from({ length: 20 }, (_, f) => history(rand, Array.from({ length: 100 }, () => codeLine(rand, `f${f}`)), 10, ['s1']));
  },
  (files) => files.map(attributeFile),
);

bench(
  'rewrite: align two unrelated 10,000-line files',
  () => {
    const rand = prng(3);
    return [Array.from({ length: 10_000 }, () => codeLine(rand, 'a')), Array.from({ length: 10_000 }, () => codeLine(rand, 'b'))];
  },
  ([a, b]) => alignLines(a, b, { mode: 'exact' }),
);

bench(
  'pathological: align two random 10,000-line files over 10 distinct lines',
  () => {
    const rand = prng(4);
    const gen = () => Array.from({ length: 10_000 }, () => `line ${Math.floor(rand() * 10)}`);
    return [gen(), gen()];
  },
  ([a, b]) => alignLines(a, b, { mode: 'exact' }),
);
