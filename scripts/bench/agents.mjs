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
      const calls = recordedCalls(recordDir);
      if (calls.length !== 2) throw new Error(`${agent.hooks.name}: an edit ran ${calls.length} hook commands, expected a pre and a post`);
      edits.push({ before: `${before.join('\n')}\n`, after: `${lines.join('\n')}\n`, calls });
    }

    // Replay through bin/trace: the session's start and prompt, then each edit interleaved with bare node.
    for (const call of setup) repo.trace(call.args, call.input);
    const hook = [];
    const node = [];
    for (const [index, edit] of edits.entries()) {
      repo.write(path, edit.before);
      const measure = () => {
        const pre = repo.trace(edit.calls[0].args, edit.calls[0].input);
        repo.write(path, edit.after);
        const post = repo.trace(edit.calls[1].args, edit.calls[1].input);
        if (pre.code !== 0 || post.code !== 0) throw new Error(`${agent.hooks.name}: hook failed: ${pre.stderr}${post.stderr}`);
        hook.push((pre.ms + post.ms) / 2);
      };
      const baseline = () => node.push((bareNode({ cwd: repo.dir, env: repo.env, input: edit.calls[0].input }).ms + bareNode({ cwd: repo.dir, env: repo.env, input: edit.calls[1].input }).ms) / 2);
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
    log(`${agent.hooks.name.padEnd(12)} ${formatMs(perCall)} per hook vs ${formatMs(nodePerCall)} bare node (${formatRatio(ratio)}), n=${edits.length}; ${captured} of ${edits.length} edits in the store`);
    return {
      section: name,
      id: `edit.${agent.hooks.name}`,
      label: `${agent.displayName} edit pre/post, per call vs node -e 0`,
      value: Number(ratio.toFixed(3)),
      unit: 'x',
      result: `${formatRatio(ratio)} (${formatMs(perCall)} vs ${formatMs(nodePerCall)}, n=${edits.length})`,
      target: `<= ${EDIT_TARGET}x`,
      met: ratio <= EDIT_TARGET,
      captured: captured === edits.length,
      details: { runs: edits.length, perCallMs: perCall, nodePerCallMs: nodePerCall, captured },
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
  context.log("each agent's simulator records its pre and post hook payloads; each is replayed through bin/trace, interleaved with bare node -e 0 on the same stdin");
  return AGENTS.map((agent) => agentFigure(agent, context.runs, context.log));
}
