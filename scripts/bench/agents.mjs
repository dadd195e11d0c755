// Every agent's edit hook pair, driven the way the agent drives it: its simulator (src/agents/<agent>/
// simulator.ts) runs the commands `trace init --<agent>` installed, with the agent's own payloads,
// around a real edit. Measured against the same shell running bare `node -e 0` as many times.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatMs, formatRatio, makeRepo, median, PACKAGE_ROOT } from './util.mjs';

export const name = 'agents';
export const description = "each agent's edit (pre + post hooks, as its simulator runs them) against sh -c 'node -e 0' twice";

const EDIT_TARGET = 1.5;

/** Two `sh -c 'node -e 0'` runs: what an edit's two hook processes cost at the least. */
function baselinePair(repo) {
  const started = performance.now();
  for (let i = 0; i < 2; i++) spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} -e 0`], { cwd: repo.dir, env: repo.env, input: '{}' });
  return performance.now() - started;
}

function agentFigure(agent, runs, log) {
  const hookName = agent.hooks.hookName;
  const repo = makeRepo({ init: false });
  try {
    const init = repo.trace(['init', '--yes', `--${hookName}`]);
    if (init.code !== 0) throw new Error(`trace init --${hookName} failed: ${init.stderr}`);
    const path = 'src/module.ts';
    let text = Array.from({ length: 200 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
    repo.write(path, text);
    const simulated = agent.simulate({ dir: repo.dir, env: repo.env }, { sessionId: `bench-${hookName}-0001` });
    simulated.start();
    simulated.prompt('bench');
    const edits = [];
    const baselines = [];
    for (let run = 0; run < runs; run++) {
      const before = `export const v${run % 200} = ${run % 200};`;
      const after = `export const v${run % 200} = ${run % 200}; // edited ${run}`;
      const edit = () => {
        const started = performance.now();
        simulated.edit(path, before, after);
        edits.push(performance.now() - started);
        text = text.replace(before, after);
        // Back to the line as it was, outside the timing, so the next run finds it.
        repo.write(path, text.replace(after, before));
        text = text.replace(after, before);
      };
      if (run % 2 === 0) {
        edit();
        baselines.push(baselinePair(repo));
      } else {
        baselines.push(baselinePair(repo));
        edit();
      }
    }
    simulated.end();
    const perEdit = median(edits);
    const baseline = median(baselines);
    const ratio = perEdit / baseline;
    log(`${agent.hooks.name.padEnd(12)} edit ${formatMs(perEdit)} vs ${formatMs(baseline)} (${formatRatio(ratio)}), n=${runs}`);
    return {
      section: name,
      id: `edit.${agent.hooks.name}`,
      label: `${agent.displayName} edit hooks, per call vs node -e 0`,
      value: Number(ratio.toFixed(3)),
      unit: 'x',
      result: `${formatRatio(ratio)} (${formatMs(perEdit / 2)} vs ${formatMs(baseline / 2)} per hook, n=${runs})`,
      target: `<= ${EDIT_TARGET}x`,
      met: ratio <= EDIT_TARGET,
      details: { runs, perEditMs: perEdit, baselinePairMs: baseline },
    };
  } finally {
    repo.cleanup();
  }
}

export async function run(context) {
  const { AGENTS } = await import(join(PACKAGE_ROOT, 'dist', 'agents', 'index.js'));
  context.log('each edit: the simulator runs the installed pre and post hook commands (sh -c) around the file write; baseline: sh -c "node -e 0" twice');
  return AGENTS.map((agent) => agentFigure(agent, context.runs, context.log));
}
