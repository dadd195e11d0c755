// Every agent's edit hook pair, per call against bare `node -e 0`, as the Claude figure of the capture
// section is measured. Each agent's simulator (src/agents/<agent>/simulator.ts) first runs the hook
// commands `trace init --<agent>` installed, with the agent's own payloads, against a `trace` on the
// PATH that only records them; the bench then replays each recorded pre and post hook through the real
// bin/trace around the same file change, interleaved with bare node given the same stdin.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bareNode, formatMs, formatRatio, makeRepo, median, PACKAGE_ROOT } from './util.mjs';

export const name = 'agents';
export const description = "each agent's edit hooks (its own payloads, replayed through bin/trace) per call against bare node -e 0";

const EDIT_TARGET = 1.5;

/** A `trace` that writes each call's arguments and stdin to `dir`, numbered in call order. */
function recordingTrace(dir) {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const script = `#!/bin/sh
n=$(ls "${dir}/calls" 2>/dev/null | wc -l)
mkdir -p "${dir}/calls"
f="${dir}/calls/$(printf %06d "$n")"
printf '%s\\n' "$@" > "$f.args"
cat > "$f.json"
`;
  writeFileSync(join(bin, 'trace'), script);
  chmodSync(join(bin, 'trace'), 0o755);
  return bin;
}

function recordedCalls(dir) {
  const calls = join(dir, 'calls');
  let names;
  try {
    names = readdirSync(calls).filter((name) => name.endsWith('.args')).sort();
  } catch {
    return [];
  }
  const result = names.map((name) => {
    const base = join(calls, name.slice(0, -'.args'.length));
    return { args: readFileSync(`${base}.args`, 'utf8').split('\n').filter(Boolean), input: readFileSync(`${base}.json`) };
  });
  rmSync(calls, { recursive: true, force: true });
  return result;
}

const lineOf = (i) => `export const v${i} = ${i};`;
const editedLine = (i, run) => `export const v${i} = ${i}; // edited ${run}`;

function agentFigure(agent, runs, log) {
  const hookName = agent.hooks.hookName;
  const repo = makeRepo({ init: false });
  try {
    const init = repo.trace(['init', '--yes', `--${hookName}`]);
    if (init.code !== 0) throw new Error(`trace init --${hookName} failed: ${init.stderr}`);
    const path = 'src/module.ts';
    const lines = Array.from({ length: 200 }, (_, i) => lineOf(i));
    repo.write(path, `${lines.join('\n')}\n`);

    // Record: the simulator's session start, prompt and `runs` edits, each edit's calls apart.
    const recordDir = join(repo.base, 'record');
    const recordEnv = { ...repo.env, PATH: `${recordingTrace(recordDir)}:${repo.env.PATH}` };
    const simulated = agent.simulate({ dir: repo.dir, env: recordEnv }, { sessionId: `bench-${hookName}-0001` });
    simulated.start();
    simulated.prompt('bench');
    const setup = recordedCalls(recordDir);
    const edits = [];
    for (let run = 0; run < runs; run++) {
      const at = run % lines.length;
      const before = [...lines];
      simulated.edit(path, lines[at], editedLine(at, run));
      lines[at] = editedLine(at, run);
      // The guard's calls (`trace hook <agent> guard`) have a section of their own (bench guard).
      const calls = recordedCalls(recordDir).filter((call) => call.args[2] !== 'guard');
      // Claude Code's Write and Edit run no capture hook at all: a shell step spools them (bench capture times the call as installed).
      if (calls.length === 0 && run === 0) {
        log(`${agent.hooks.name.padEnd(12)} no capture hook runs for an edit: a shell step spools it (see bench capture)`);
        return null;
      }
      if (calls.length < 1 || calls.length > 2) throw new Error(`${agent.hooks.name}: an edit ran ${calls.length} capture hook commands, expected a post and at most one pre`);
      edits.push({ before: `${before.join('\n')}\n`, after: `${lines.join('\n')}\n`, calls });
    }

    // Replay through bin/trace: the session's start and prompt, then each edit interleaved with bare node.
    for (const call of setup) repo.trace(call.args, call.input);
    const hook = [];
    const node = [];
    for (const [index, edit] of edits.entries()) {
      repo.write(path, edit.before);
      // Every call but the last runs before the file changes (a pre hook, when the agent needs one).
      const measure = () => {
        const runs = edit.calls.map((call, i) => {
          if (i === edit.calls.length - 1) repo.write(path, edit.after);
          return repo.trace(call.args, call.input);
        });
        const failed = runs.find((run) => run.code !== 0);
        if (failed) throw new Error(`${agent.hooks.name}: hook failed: ${failed.stderr}`);
        hook.push(runs.reduce((sum, run) => sum + run.ms, 0) / runs.length);
      };
      const baseline = () => node.push(edit.calls.reduce((sum, call) => sum + bareNode({ cwd: repo.dir, env: repo.env, input: call.input }).ms, 0) / edit.calls.length);
      if (index % 2 === 0) {
        measure();
        baseline();
      } else {
        baseline();
        measure();
      }
    }
    const captured = capturedEdits(repo, edits.length);
    const perCall = median(hook);
    const nodePerCall = median(node);
    const ratio = perCall / nodePerCall;
    const hooks = edits[0].calls.length;
    log(`${agent.hooks.name.padEnd(12)} ${hooks === 1 ? 'post only' : 'pre + post'}: ${formatMs(perCall)} per hook vs ${formatMs(nodePerCall)} bare node (${formatRatio(ratio)}), n=${edits.length}; ${captured} of ${edits.length} edits in the store`);
    return {
      section: name,
      id: `edit.${agent.hooks.name}`,
      label: `${agent.displayName} edit capture hooks, per hook vs node -e 0`,
      value: Number(ratio.toFixed(3)),
      unit: 'x',
      result: `${formatRatio(ratio)} (${formatMs(perCall)} vs ${formatMs(nodePerCall)}, n=${edits.length})`,
      target: `<= ${EDIT_TARGET}x`,
      met: ratio <= EDIT_TARGET,
      captured: captured === edits.length,
      details: { runs: edits.length, hooksPerEdit: hooks, perCallMs: perCall, nodePerCallMs: nodePerCall, captured },
    };
  } finally {
    repo.cleanup();
  }
}

/** How many file changes the store holds for the bench's file: a hook that bails out early is fast. */
function capturedEdits(repo, expected) {
  const status = repo.trace(['status', '--json']);
  if (status.code !== 0) return 0;
  const sessions = JSON.parse(status.stdout).sessions ?? [];
  const edits = sessions.reduce((sum, session) => sum + (session.file_edits ?? 0), 0);
  return Math.min(edits, expected);
}

export async function run(context) {
  const { AGENTS } = await import(join(PACKAGE_ROOT, 'dist', 'agents', 'index.js'));
  context.log("each agent's simulator records its capture hook payloads (pre, when the agent needs one, and post; the guard's calls are bench guard's); each is replayed through bin/trace, interleaved with bare node -e 0 on the same stdin");
  return AGENTS.map((agent) => agentFigure(agent, context.runs, context.log)).filter((figure) => figure !== null);
}
