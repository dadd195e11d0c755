// The real Claude Code (pinned in test/agents/agents.json, from the agent cache) running one scripted
// session of 20 file tool calls (10 Write, 10 Edit) in a repository, three ways, interleaved run by run:
// (a) with trace's hooks as `trace init` installs them, (b) every hook command replaced by `node -e 0`,
// (c) every hook command replaced by `true`. (a) − (c) is what trace costs the agent; (b) − (c) what the
// same hooks would cost as bare Node starts. The model is test/agents/support's scripted Anthropic
// server on 127.0.0.1, and Claude runs through its runner (fresh HOME, nothing reaches the internet):
// both are TypeScript, bundled here with esbuild rather than copied.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatLoad, formatMs, makeRepo, median, PACKAGE_ROOT, tempDir } from './util.mjs';

export const name = 'real-agent';
export const description = 'the real Claude Code, 20 file tool calls: trace\'s hooks vs every hook as `node -e 0` vs as `true`';

const CALLS = 20;
const SETTINGS = join('.claude', 'settings.json');

/** test/agents/support (scripted Anthropic server, Claude runner), bundled into one ES module and imported. */
async function support() {
  const { build } = await import('esbuild');
  const dir = join(PACKAGE_ROOT, 'test', 'agents', 'support');
  const outfile = join(tempDir('trace-bench-support-'), 'support.mjs');
  await build({
    stdin: { contents: "export * from './anthropic.ts';\nexport * from './model-server.ts';\nexport * from './claude-code.ts';\nexport * from './runner.ts';\n", resolveDir: dir, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}

/** The installed settings with every hook command replaced by `command` (timeouts and matchers kept). */
function withCommands(settings, command) {
  const copy = JSON.parse(JSON.stringify(settings));
  for (const groups of Object.values(copy.hooks ?? {})) for (const group of groups) for (const hook of group.hooks ?? []) hook.command = command(hook.command);
  return copy;
}

/** The session: Write 10 new files (named for the run, so no run sees another's), Edit each, a last text. */
function replies(dir, run) {
  const file = (i) => join(dir, 'src', `r${run}`, `m${i}.ts`);
  const usage = { input: 20, output: 10, cacheRead: 1_000 };
  return [
    ...Array.from({ length: CALLS / 2 }, (_, i) => ({ tools: [{ name: 'Write', input: { file_path: file(i), content: `export const v${i} = ${i};\nexport const w${i} = ${i};\n` } }], usage })),
    ...Array.from({ length: CALLS / 2 }, (_, i) => ({ tools: [{ name: 'Edit', input: { file_path: file(i), old_string: `export const w${i} = ${i};`, new_string: `export const w${i} = ${i + 1};` } }], usage })),
    { text: 'Done.', usage },
  ];
}

export async function run(context) {
  const { log } = context;
  const { agentBinary, anthropicScenario, PINS, runClaude, startModelServer } = await support();
  try {
    agentBinary('claude-code');
  } catch {
    log(`skipped: Claude Code ${PINS['claude-code'].version} is not in the agent cache (run node scripts/agents-install.mjs claude-code)`);
    return [];
  }
  const runs = context.quick ? 3 : Math.min(context.runs, 9);
  const repo = makeRepo();
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'trace set up']);
  const installed = JSON.parse(readFileSync(join(repo.dir, SETTINGS), 'utf8'));
  let scenario;
  const server = await startModelServer((request, response) => scenario.route(request, response));
  try {
    const session = async (settings, run) => {
      writeFileSync(join(repo.dir, SETTINGS), `${JSON.stringify(settings, null, 2)}\n`);
      scenario = anthropicScenario(replies(repo.dir, run));
      const { run: claude, result } = await runClaude(repo, server.url, 'write and edit the modules');
      const unscripted = server.unscripted.splice(0);
      if (result.is_error || scenario.remaining() !== 0 || unscripted.length > 0) {
        throw new Error(`Claude's session did not run as scripted (error ${result.is_error}, ${scenario.remaining()} replies left, unscripted: ${unscripted.map((r) => `${r.method} ${r.url}`).join(', ')})`);
      }
      if (!existsSync(join(repo.dir, 'src', `r${run}`, 'm0.ts'))) throw new Error('Claude wrote nothing');
      return claude.ms;
    };

    // Warm-up, which also counts the hook commands one session runs (each writes its event to a log).
    const callLog = join(repo.home, 'hook-calls.log');
    const counting = JSON.parse(JSON.stringify(installed));
    // Each command is counted with what it starts: trace (Node), only a shell (the spooling step of
    // Write and Edit), or a lane (a shell that starts Node only for a call it cannot decide: the guard's
    // for Write and Edit, src/guard/lane.ts, whose first call of a session always goes to Node).
    const kind = (command) => (/\/spool\//.test(command) ? 'sh' : /\/lanes\//.test(command) ? 'lane' : 'node');
    for (const [event, groups] of Object.entries(counting.hooks ?? {})) {
      for (const group of groups) for (const hook of group.hooks ?? []) hook.command = `echo ${event}:${kind(hook.command)} >> '${callLog}'`;
    }
    await session(counting, 'count');
    const calls = readFileSync(callLog, 'utf8').split('\n').filter(Boolean);
    const events = calls.map((line) => line.split(':')[0]);
    const byEvent = Object.entries(calls.reduce((m, e) => ({ ...m, [e]: (m[e] ?? 0) + 1 }), {})).map(([e, n]) => `${e} ${n}`).join(', ');
    const toolCommands = calls.filter((line) => /^(PreToolUse|PostToolUse):/.test(line));
    const nodeStarts = toolCommands.filter((line) => line.endsWith(':node')).length;
    const laneSteps = toolCommands.filter((line) => line.endsWith(':lane')).length;
    log(`Claude Code ${PINS['claude-code'].version}, ${CALLS} file tool calls (10 Write, 10 Edit) per session; ${runs} interleaved runs per variant; load ${formatLoad()}`);
    log(`hook commands per session: ${events.length} (${byEvent}): ${(nodeStarts / CALLS).toFixed(1)} Node starts, ${(laneSteps / CALLS).toFixed(1)} lanes (Node only for a call the lane cannot decide) and ${((toolCommands.length - nodeStarts - laneSteps) / CALLS).toFixed(1)} shell steps per file tool call with trace`);

    // Before the spool: Write and Edit's PostToolUse ran trace's Node hook (what older settings still run).
    const unspooled = withCommands(installed, (command) => {
      const event = /exec trace hook claude ([a-z-]+);/.exec(command)?.[1];
      return command.includes('/spool/') && event ? `if command -v trace >/dev/null 2>&1; then trace hook claude ${event}; fi` : command;
    });
    const variants = {
      trace: installed,
      unspooled,
      node: withCommands(installed, () => `${JSON.stringify(process.execPath)} -e 0`),
      none: withCommands(installed, () => 'true'),
    };
    const ms = { trace: [], unspooled: [], node: [], none: [] };
    for (let i = 0; i < runs; i++) for (const variant of Object.keys(variants)) ms[variant].push(await session(variants[variant], `${variant}${i}`));
    const m = { trace: median(ms.trace), unspooled: median(ms.unspooled), node: median(ms.node), none: median(ms.none) };
    const perCall = { trace: (m.trace - m.none) / CALLS, unspooled: (m.unspooled - m.none) / CALLS, node: (m.node - m.none) / CALLS };
    const nodeStart = (m.node - m.none) / events.length;
    log(`session, trace's hooks        median ${formatMs(m.trace)}`);
    log(`session, trace without spool  median ${formatMs(m.unspooled)} (Write/Edit PostToolUse as trace's Node hook, as before)`);
    log(`session, hooks as node -e 0   median ${formatMs(m.node)}`);
    log(`session, hooks as true        median ${formatMs(m.none)}`);
    log(`per file tool call: trace ${formatMs(perCall.trace)}, the same hooks as bare node ${formatMs(perCall.node)} (session hooks spread over the ${CALLS} calls)`);
    log(`one bare Node start under the agent: ${formatMs(nodeStart)} ((node − true) / ${events.length} hook commands); load ${formatLoad()}`);
    log(`per file tool call in bare Node starts: trace ${(perCall.trace / nodeStart).toFixed(2)}, trace without spool ${(perCall.unspooled / nodeStart).toFixed(2)} (Write and Edit's PostToolUse a Node start of its own)`);
    const met = perCall.trace <= nodeStart;
    const details = { runs, calls: CALLS, hookCommands: events.length, hooksByEvent: byEvent, nodeStartsPerCall: nodeStarts / CALLS, medians: m, samples: ms, perCall, nodeStart, loadavg: formatLoad() };
    return [
      {
        section: name,
        id: 'claude.file_call',
        label: 'real Claude Code: trace per file tool call vs one bare Node start',
        value: Number(perCall.trace.toFixed(1)),
        unit: 'ms',
        result: `${formatMs(perCall.trace)} per call vs ${formatMs(nodeStart)} per Node start (${(perCall.trace / nodeStart).toFixed(2)} Node starts' worth; without the spool ${formatMs(perCall.unspooled)}; sessions ${formatMs(m.trace)} / ${formatMs(m.unspooled)} / ${formatMs(m.node)} / ${formatMs(m.none)}, n=${runs}, ${(nodeStarts / CALLS).toFixed(1)} Node starts and ${(laneSteps / CALLS).toFixed(1)} lanes per call, load ${formatLoad()})`,
        target: '<= 1 bare Node start',
        met,
        details,
      },
    ];
  } finally {
    await server.stop();
    repo.cleanup();
  }
}
