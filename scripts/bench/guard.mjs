// The guard's hot path: `trace hook claude guard` as Claude Code runs it before a Bash or Edit call,
// in enforce mode with a custom rule, timed from the caller's side against bare `node -e 0` measured
// in the same run (interleaved). Allowed calls (the common case) and a denied one.
import { join } from 'node:path';
import { bareNode, formatMs, formatRatio, makeRepo, median } from './util.mjs';

export const name = 'guard';
export const description = 'trace hook claude guard per pre-tool call (enforce mode) against bare Node';

const TARGET = 1.3;
const CONFIG = [
  'trace:',
  '  guard:',
  '    mode: enforce',
  '    rules:',
  '      - id: no-prod',
  '        tools: [Write, Edit]',
  '        paths: ["infra/prod/**"]',
  '        decision: ask',
  '      - id: no-curl-to-shell',
  '        command: "\\\\b(curl|wget)\\\\b[^|]*\\\\|\\\\s*(ba)?sh\\\\b"',
  '        decision: deny',
  '',
].join('\n');

function payload(repo, tool, input, n) {
  return JSON.stringify({ session_id: 'bench-guard-0001', transcript_path: join(repo.home, 't.jsonl'), cwd: repo.dir, permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input, tool_use_id: `toolu_bench_${n}` });
}

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

function measure(repo, runs, makePayload, expectOutput) {
  const guard = [];
  const node = [];
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    const input = makePayload(i);
    const bare = bareNode({ cwd: repo.dir, env: repo.env, input }).ms;
    const result = repo.trace(['hook', 'claude', 'guard'], input);
    if (result.code !== 0) throw new Error(`trace hook claude guard failed (${result.code}): ${result.stderr}`);
    if (expectOutput !== (result.stdout !== '')) throw new Error(`unexpected guard output: ${JSON.stringify(result.stdout)}`);
    guard.push(result.ms);
    node.push(bare);
    ratios.push(result.ms / bare);
  }
  return { guard: median(guard), node: median(node), ratio: median(guard) / median(node), pairedRatio: median(ratios) };
}

export function run(context) {
  const { log, runs } = context;
  const repo = makeRepo();
  try {
    repo.write('.chainloop.yml', CONFIG);
    // The first call fills the config cache (yaml + zod); the figures are the steady state after it.
    const first = repo.trace(['hook', 'claude', 'guard'], payload(repo, 'Bash', { command: 'ls' }, 0));
    log(`first call (config cache miss) ${formatMs(first.ms)}`);
    const bash = measure(repo, runs, (i) => payload(repo, 'Bash', { command: `npm test -- --grep case${i} && git status` }, i), false);
    log(`Bash allowed     median ${formatMs(bash.guard)} vs node ${formatMs(bash.node)}: ${formatRatio(bash.ratio)} (paired ${formatRatio(bash.pairedRatio)})`);
    const edit = measure(repo, runs, (i) => payload(repo, 'Edit', { file_path: join(repo.dir, 'src', `m${i}.ts`), old_string: 'a', new_string: 'b' }, i), false);
    log(`Edit allowed     median ${formatMs(edit.guard)} vs node ${formatMs(edit.node)}: ${formatRatio(edit.ratio)} (paired ${formatRatio(edit.pairedRatio)})`);
    const deny = measure(repo, runs, (i) => payload(repo, 'Bash', { command: `FOO=${i} git push -f origin main` }, i), true);
    log(`Bash denied      median ${formatMs(deny.guard)} vs node ${formatMs(deny.node)}: ${formatRatio(deny.ratio)}`);
    const one = (id, label, m) =>
      figure(id, label, { value: Number(m.ratio.toFixed(3)), unit: 'x', result: `${formatRatio(m.ratio)} (${formatMs(m.guard)} vs ${formatMs(m.node)}, n=${runs})`, target: `<= ${TARGET}x`, met: m.ratio <= TARGET, details: m });
    return [one('bash.allow', 'guarded Bash pre-tool call vs node -e 0', bash), one('edit.allow', 'guarded Edit pre-tool call vs node -e 0', edit), one('bash.deny', 'denied Bash pre-tool call vs node -e 0', deny)];
  } finally {
    repo.cleanup();
  }
}
