// The capture hot path: `trace hook claude …` as Claude Code runs it on every tool call, timed from
// the caller's side against bare `node -e 0` measured in the same run, plus the store's growth.
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bareNode, childrenCpuMs, formatBytes, formatCount, formatLoad, formatMs, formatRatio, makeRepo, median, percentile, PACKAGE_ROOT, prng, timedSpawn } from './util.mjs';

export const name = 'capture';
export const description = 'trace hook claude pre/post-tool-use per call against bare Node; store size after many edits';

const SESSION_ID = 'bench-session-0001';
// The whole Edit call (every hook Claude Code runs for it) against one bare node start.
const EDIT_TARGET = 1.25;
const BASH_TARGET = 2;
const STORE_TARGET_BYTES = 2_000_000;

// ---- payloads, shaped like Claude Code's (see test/support/claude.ts) ----

function payload(repo, event, fields) {
  return JSON.stringify({
    session_id: SESSION_ID,
    transcript_path: join(repo.home, '.claude', 'projects', 'bench', `${SESSION_ID}.jsonl`),
    cwd: repo.dir,
    permission_mode: 'acceptEdits',
    hook_event_name: event,
    ...fields,
  });
}

function editPayloads(repo, toolUseId, path, oldString, newString, originalFile) {
  const file = join(repo.dir, path);
  const input = { file_path: file, old_string: oldString, new_string: newString, replace_all: false };
  return {
    // What Claude Code runs for an Edit, as installed: the guard's PreToolUse entry (its shell lane, which
    // starts Node only for a call it cannot allow itself: src/guard/lane.ts) and
    // the PostToolUse spooling step (a shell, no Node); timed as Claude runs them (`sh -c`).
    commands: { pre: installedCommands(repo, 'PreToolUse', 'Edit'), post: installedCommands(repo, 'PostToolUse', 'Edit') },
    what: { pre: "the guard's shell lane; Node only for a call it cannot allow", post: 'the spooling step: sh, no Node' },
    // The baseline: one bare node start per call.
    withPre: false,
    pre: payload(repo, 'PreToolUse', { tool_name: 'Edit', tool_input: input, tool_use_id: toolUseId }),
    post: payload(repo, 'PostToolUse', {
      tool_name: 'Edit',
      tool_input: input,
      tool_use_id: toolUseId,
      // Claude Code sends the whole original file back in the response: keep the payload that size.
      tool_response: { filePath: file, oldString, newString, originalFile, structuredPatch: [], userModified: false, replaceAll: false },
      duration_ms: 8,
    }),
  };
}

function bashPayloads(repo, toolUseId, command) {
  const input = { command, description: 'Update one file' };
  return {
    // What Claude Code runs for Bash's capture, as installed (the shell lanes: capture/shell-lane.ts);
    // the guard's entry is bench guard's. The baseline: a bare node start per hook, pre and post.
    commands: { pre: installedCommands(repo, 'PreToolUse', 'Bash').filter((command) => !command.includes('trace hook claude guard')), post: installedCommands(repo, 'PostToolUse', 'Bash') },
    what: { pre: 'the shell lane: sh and git, no Node', post: 'the same' },
    withPre: true,
    pre: payload(repo, 'PreToolUse', { tool_name: 'Bash', tool_input: input, tool_use_id: toolUseId }),
    post: payload(repo, 'PostToolUse', {
      tool_name: 'Bash',
      tool_input: input,
      tool_use_id: toolUseId,
      tool_response: { stdout: '', stderr: '', interrupted: false, isImage: false },
    }),
  };
}

function hook(repo, event, input) {
  const result = repo.trace(['hook', 'claude', event], input);
  if (result.code !== 0 || result.stderr !== '') throw new Error(`trace hook claude ${event} failed (${result.code}): ${result.stderr}`);
  return result.ms;
}

/** A hook command, shortened for the log. */
const short = (command) => (command.length > 60 ? `${command.slice(0, 57)}...` : command);

/** Claude Code's matcher test: a plain list of tool names, or a regular expression. */
function matches(matcher, tool) {
  if (matcher === undefined || matcher === '' || matcher === '*') return true;
  if (/^[A-Za-z0-9_|, -]+$/.test(matcher)) return matcher.split(/[|,]/).map((name) => name.trim()).includes(tool);
  return new RegExp(matcher).test(tool);
}

/** The commands Claude Code runs for `event` on `tool`, as the installed .claude/settings.json configures them. */
function installedCommands(repo, event, tool) {
  const settings = JSON.parse(readFileSync(join(repo.dir, '.claude', 'settings.json'), 'utf8'));
  return (settings.hooks?.[event] ?? []).filter((group) => matches(group.matcher, tool)).flatMap((group) => (group.hooks ?? []).map((handler) => handler.command));
}

/** Runs installed hook commands as Claude Code does (`sh -c`, the payload on stdin, CLAUDE_PROJECT_DIR set); their total ms. */
function runCommands(repo, commands, input) {
  let ms = 0;
  for (const command of commands) {
    const result = timedSpawn('sh', ['-c', command], { cwd: repo.dir, env: { ...repo.env, CLAUDE_PROJECT_DIR: repo.dir }, input });
    if (result.code !== 0 || result.stderr !== '' || result.stdout !== '') throw new Error(`hook command failed (${result.code}): ${command}\n${result.stderr}${result.stdout}`);
    ms += result.ms;
  }
  return ms;
}

/**
 * Takes the spooled calls into the store in a process of its own, timed inside it (the process a git
 * hook or a command would be): returns { calls, ms, settingsMs } (the capture settings, read from
 * their cache or, when .chainloop.yml changed, parsed, apart from the take-in itself).
 */
function takeInSpool(repo) {
  const script = `
    const { Store } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'store.js'))});
    const { findRepo } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'repo.js'))});
    const { ingestSpool } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'capture', 'spool.js'))});
    const { captureSettings } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'capture', 'config-cache.js'))});
    const { fileLogger } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'log.js'))});
    const repo = findRepo(process.cwd());
    const logger = fileLogger(repo.stateDir);
    const store = Store.open(repo.stateDir);
    const started = performance.now();
    const settings = await captureSettings(repo.root, repo.stateDir, logger);
    const settingsMs = performance.now() - started;
    const calls = ingestSpool(store, repo, { logger, settings: () => settings });
    const ms = performance.now() - started - settingsMs;
    store.close();
    process.stdout.write(JSON.stringify({ calls, ms, settingsMs }));`;
  const result = timedSpawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repo.dir, env: repo.env });
  if (result.code !== 0) throw new Error(`spool take-in failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** One tool call as an agent makes it: pre hook (when installed for the tool), the tool's effect on disk, post hook. Returns [pre ms or null, post ms]. */
function toolCall(repo, payloads, effect) {
  if (payloads.commands) {
    const pre = runCommands(repo, payloads.commands.pre, payloads.pre);
    effect();
    return [pre, runCommands(repo, payloads.commands.post, payloads.post)];
  }
  const pre = payloads.withPre ? hook(repo, 'pre-tool-use', payloads.pre) : null;
  effect();
  const post = hook(repo, 'post-tool-use', payloads.post);
  return [pre, post];
}

/**
 * Bare `node -e 0` with the hook's cwd, environment and stdin, so only the hook's own work differs
 * (the environment matters: NODE_EXTRA_CA_CERTS, say, makes every Node start-up load certificates).
 */
function bareNodeLike(repo, input) {
  return bareNode({ cwd: repo.dir, env: repo.env, input }).ms;
}

/** Bare node once per hook process of the call. */
function bareNodeCall(repo, payloads) {
  return (payloads.withPre ? bareNodeLike(repo, payloads.pre) : 0) + bareNodeLike(repo, payloads.post);
}

/**
 * `runs` rounds of one measured tool call and one baseline pair, alternating which goes first so drift
 * in machine load falls on both equally.
 */
function interleaved(runs, makeCall) {
  const pairs = [];
  const pres = [];
  const posts = [];
  const baselines = [];
  let hookCpu = 0;
  let nodeCpu = 0;
  let hooks = 2;
  let label = null;
  for (let run = 0; run < runs; run++) {
    const call = makeCall(run);
    const commands = call.payloads.commands;
    if (commands) label = `${commands.pre.length} PreToolUse command (${call.payloads.what.pre}) + ${commands.post.length} PostToolUse command (${call.payloads.what.post}), each run as sh -c`;
    const measure = () => {
      const cpu = childrenCpuMs();
      const [pre, post] = toolCall(call.repo, call.payloads, call.effect);
      hookCpu += childrenCpuMs() - cpu;
      if (pre !== null) pres.push(pre);
      posts.push(post);
      pairs.push((pre ?? 0) + post);
    };
    const baseline = () => {
      const cpu = childrenCpuMs();
      baselines.push(bareNodeCall(call.repo, call.payloads));
      nodeCpu += childrenCpuMs() - cpu;
    };
    hooks = call.payloads.withPre ? 2 : 1;
    if (run % 2 === 0) {
      measure();
      baseline();
    } else {
      baseline();
      measure();
    }
  }
  // Per hook process: the call's hooks against as many bare node starts.
  const perCall = median(pairs) / hooks;
  const nodePerCall = median(baselines) / hooks;
  const pairedRatios = pairs.map((pair, index) => pair / baselines[index]);
  const cpuKnown = childrenCpuMs() !== null;
  return {
    runs,
    hooks,
    label,
    // Mean CPU time (user + sys, the hook's git children included) per hook process; null off Linux.
    cpuPerCall: cpuKnown ? hookCpu / (hooks * runs) : null,
    nodeCpuPerCall: cpuKnown ? nodeCpu / (hooks * runs) : null,
    perCall,
    nodePerCall,
    ratio: perCall / nodePerCall,
    // The whole call (every hook it runs) against one bare node start: what the agent waits.
    call: median(pairs),
    callRatio: median(pairs) / nodePerCall,
    pairedRatio: median(pairedRatios),
    pre: pres.length > 0 ? median(pres) : null,
    post: median(posts),
    p90PerCall: percentile(pairs, 90) / hooks,
    p90NodePerCall: percentile(baselines, 90) / hooks,
  };
}

function describeRatio(log, result) {
  if (result.label) log(`per call         ${result.label}; the whole call median ${formatMs(result.call)} = ${formatRatio(result.callRatio)} one bare node start (load ${formatLoad()})`);
  else log(`hooks per call   ${result.hooks} (${result.pre === null ? 'post-tool-use only' : 'pre-tool-use + post-tool-use'}); the whole call median ${formatMs(result.call)} = ${formatRatio(result.callRatio)} one bare node start`);
  log(`per hook process median ${formatMs(result.perCall)}  (p90 ${formatMs(result.p90PerCall)})  ${result.pre === null ? '' : `pre ${formatMs(result.pre)}, `}post ${formatMs(result.post)}`);
  log(`bare node -e 0   median ${formatMs(result.nodePerCall)}  (p90 ${formatMs(result.p90NodePerCall)})`);
  log(`ratio            ${formatRatio(result.ratio)} of medians per hook process; ${formatRatio(result.pairedRatio)} median of per-run ratios; ${result.runs} interleaved runs each`);
  if (result.cpuPerCall !== null) {
    log(`CPU time per call ${formatMs(result.cpuPerCall)} vs ${formatMs(result.nodeCpuPerCall)} for bare node (${formatRatio(result.cpuPerCall / result.nodeCpuPerCall)}; means, user+sys incl. children, 10 ms ticks)`);
  }
}

const cpuNote = (result) => (result.cpuPerCall === null ? '' : `; CPU ${formatRatio(result.cpuPerCall / result.nodeCpuPerCall)}`);

// ---- the store, read back to check the hooks really captured (a hook that bails out early is fast) ----

function openDb(repo) {
  const require = createRequire(join(PACKAGE_ROOT, 'package.json'));
  const Database = require('better-sqlite3');
  return new Database(join(repo.stateDir, 'trace.db'));
}

function capturedCalls(repo, toolName) {
  const db = openDb(repo);
  try {
    return db
      .prepare(
        `SELECT count(DISTINCT t.id) AS calls, count(f.id) AS changes FROM tool_calls t LEFT JOIN file_changes f ON f.tool_call_id = t.id AND f.after_state = 'content'
         WHERE t.tool_name = ? AND t.status = 'done'`,
      )
      .get(toolName);
  } finally {
    db.close();
  }
}

function logProblems(repo) {
  const path = join(repo.stateDir, 'log.txt');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => / (error|warn) /.test(line));
}

function checkCaptured(log, repo, toolName, expectedCalls) {
  const { calls, changes } = capturedCalls(repo, toolName);
  const problems = logProblems(repo);
  const ok = calls === expectedCalls && changes === expectedCalls && problems.length === 0;
  log(`check            ${calls} ${toolName} calls done, ${changes} file changes with content captured (expected ${expectedCalls} each)${ok ? '' : '  <-- CAPTURE INCOMPLETE, figures above are not trustworthy'}`);
  for (const problem of problems.slice(0, 5)) log(`  log: ${problem}`);
  return ok;
}

// ---- file contents ----

function codeLine(rand, tag) {
  const r = rand();
  if (r < 0.1) return '}';
  if (r < 0.16) return '';
  const indent = '  '.repeat(1 + Math.floor(rand() * 3));
  return `${indent}const v${Math.floor(rand() * 1e9)} = compute(${tag}, ${Math.floor(rand() * 1000)});`;
}

function uniqueLines(rand, count, tag) {
  // Every line unique, so an Edit's old_string always names exactly one place.
  return Array.from({ length: count }, (_, index) => `${codeLine(rand, tag)} // ${tag}:${index}`.trimStart());
}

const text = (lines) => `${lines.join('\n')}\n`;

// ---- figures ----

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

/**
 * The Edit call in a repository of `files` other committed files: its cost must not grow with the
 * repository (no hook of a file tool walks the work tree).
 */
function largeRepoEditFigure(context, small) {
  const { log, runs } = context;
  const files = 30_000;
  const started = performance.now();
  const path = 'src/module.ts';
  const rand = prng(4);
  let lines = uniqueLines(rand, 200, 'base');
  const repo = makeRepo({ populate: populateFiles(files) });
  repo.write(path, text(lines));
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'add module']);
  // The commit's detached settle, done now: it would take spooled calls in during the timed runs.
  repo.trace(['git-hook', 'settle']);
  let calls = 0;
  try {
    log(`Edit of a 200-line file in a repository of ${formatCount(files)} committed files (set up in ${((performance.now() - started) / 1000) | 0} s)`);
    const steady = interleaved(runs, () => {
      const at = Math.floor(rand() * lines.length);
      const next = lines.slice();
      next[at] = `${codeLine(rand, `edit${calls}`)} // edit:${calls}`;
      const payloads = editPayloads(repo, `toolu_large_${String(calls++).padStart(5, '0')}`, path, lines[at], next[at], text(lines));
      return { repo, payloads, effect: () => { lines = next; repo.write(path, text(lines)); } };
    });
    describeRatio(log, steady);
    const growth = steady.callRatio / small.callRatio;
    log(`against the small repository: ${formatRatio(steady.callRatio)} vs ${formatRatio(small.callRatio)} one bare node start (${formatRatio(growth)})`);
    const taken = takeInSpool(repo);
    log(`take-in          ${taken.calls} spooled Edits: ${formatMs(taken.ms)} (${formatMs(taken.ms / Math.max(1, taken.calls))} per call; capture settings ${formatMs(taken.settingsMs)} apart)`);
    const captured = checkCaptured(log, repo, 'Edit', calls);
    return figure('edit.large_repo', `Edit call in ${formatCount(files)} files vs one node -e 0`, {
      value: Number(steady.callRatio.toFixed(3)),
      unit: 'x',
      result: `${formatRatio(steady.callRatio)} (${formatMs(steady.call)} vs ${formatMs(steady.nodePerCall)}, n=${runs}; small repository ${formatRatio(small.callRatio)}${cpuNote(steady)})`,
      target: `<= ${EDIT_TARGET}x`,
      met: steady.callRatio <= EDIT_TARGET,
      captured,
      details: { ...steady, files, smallCallRatio: small.callRatio },
    });
  } finally {
    repo.cleanup();
  }
}

function editFigures(context) {
  const { log, runs } = context;
  const path = 'src/module.ts';
  const rand = prng(1);
  let lines = uniqueLines(rand, 200, 'base');
  const repo = makeRepo({ populate: (dir) => writeFileSync(join(dir, 'README.md'), '# bench\n') });
  repo.write(path, text(lines));
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'add module']);
  repo.trace(['git-hook', 'settle']);
  let calls = 0;
  const editCall = () => {
    const at = Math.floor(rand() * lines.length);
    const next = lines.slice();
    next[at] = `${codeLine(rand, `edit${calls}`)} // edit:${calls}`;
    const payloads = editPayloads(repo, `toolu_edit_${String(calls++).padStart(5, '0')}`, path, lines[at], next[at], text(lines));
    return { repo, payloads, effect: () => { lines = next; repo.write(path, text(lines)); } };
  };
  try {
    log('every process (hook and bare node) runs in the temp repo with the same isolated env: HOME, XDG_CONFIG_HOME, PATH, LANG, TMPDIR');
    const first = editCall();
    log(`Edit of a ${lines.length}-line file, what Claude Code runs for it as installed: PreToolUse ${JSON.stringify(first.payloads.commands.pre.map(short))}, PostToolUse ${JSON.stringify(first.payloads.commands.post.map(short))}`);
    const [firstPre, firstPost] = toolCall(repo, first.payloads, first.effect);
    log(`first call after init (1 sample)  pre ${formatMs(firstPre)}, post ${formatMs(firstPost)}`);

    const steady = interleaved(runs, () => editCall());
    describeRatio(log, steady);

    // The deferred part: the spooled calls taken in by the next process that opens the store (a git
    // hook, a command, trace's next Node hook), timed inside that process.
    const batch = takeInSpool(repo);
    log(`take-in          ${batch.calls} spooled Edits in one process: ${formatMs(batch.ms)} (${formatMs(batch.ms / Math.max(1, batch.calls))} per call; capture settings ${formatMs(batch.settingsMs)} apart)`);
    // One call at a time (a commit after each Edit), with the config cache warm and missing.
    const cachePath = join(repo.stateDir, 'config-cache.json');
    const single = [];
    const miss = [];
    for (let run = 0; run < runs; run++) {
      const call = editCall();
      toolCall(repo, call.payloads, call.effect);
      if (run % 2 === 1) rmSync(cachePath, { force: true });
      const taken = takeInSpool(repo);
      if (taken.calls !== 1) throw new Error(`expected one spooled call, took in ${taken.calls}`);
      (run % 2 === 1 ? miss : single).push(taken.ms + taken.settingsMs);
    }
    const takeIn = median(single);
    log(`take-in          one spooled Edit: median ${formatMs(takeIn)}; with the config cache missing (.chainloop.yml parsed): ${formatMs(median(miss))}; ${runs} runs`);
    const captured = checkCaptured(log, repo, 'Edit', calls);
    return [
      figure('edit.per_call', 'Edit call as Claude Code runs it (guard lane pre + spooling post) vs one node -e 0', {
        value: Number(steady.callRatio.toFixed(3)),
        unit: 'x',
        result: `${formatRatio(steady.callRatio)} (${formatMs(steady.call)} vs ${formatMs(steady.nodePerCall)}, n=${runs}; ${formatRatio(steady.ratio)} per hook process${cpuNote(steady)})`,
        target: `<= ${EDIT_TARGET}x`,
        met: steady.callRatio <= EDIT_TARGET,
        captured,
        details: { ...steady, firstCallPreMs: firstPre, firstCallPostMs: firstPost, loadavg: formatLoad() },
      }),
      figure('edit.take_in', 'Edit: deferred take-in of one spooled call (in the process that takes it in)', {
        value: Number(takeIn.toFixed(1)),
        unit: 'ms',
        result: `${formatMs(takeIn)} per call taken in alone; ${formatMs(batch.ms / Math.max(1, batch.calls))} per call in a batch of ${batch.calls}; config cache missing ${formatMs(median(miss))} (n=${runs}, load ${formatLoad()})`,
        target: null,
        met: null,
        captured,
        details: { runs, singleMs: single, missMs: miss, batch },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

/** `count` small committed source files (a multiple of 1,000): top dirs of 10 subdirs of 100 files. */
function populateFiles(count) {
  return (dir) => {
    // No automatic gc left running in the background of the timed hooks: the initial commit's loose
    // objects would start one.
    execFileSync('git', ['config', 'gc.auto', '0'], { cwd: dir });
    let n = 0;
    for (let top = 0; top < count / 1000; top++) {
      for (let sub = 0; sub < 10; sub++) {
        const folder = join(dir, 'src', `pkg${top}`, `mod${sub}`);
        mkdirSync(folder, { recursive: true });
        for (let file = 0; file < 100; file++, n++) {
          writeFileSync(join(folder, `file${file}.ts`), `// file ${n}\nexport const id${n} = ${n};\nexport function f${n}() {\n  return id${n} * 2;\n}\n`);
        }
      }
    }
  };
}

/**
 * The floor under the Bash pair: the snapshot each hook takes (capture/shell.ts: `git add --all` into
 * the private index the calls leave, then `git write-tree`) timed alone, interleaved with bare node.
 * Nothing changed since the last call, so neither writes.
 */
function scanFloor(repo, runs) {
  const index = join(repo.stateDir, 'shell', 'base.index');
  const env = { ...repo.env, GIT_INDEX_FILE: index, GIT_LITERAL_PATHSPECS: '1' };
  const scans = [];
  const nodes = [];
  for (let run = 0; run < runs; run++) {
    const scan = () => scans.push(timedSpawn('git', ['add', '--all', '--ignore-errors'], { cwd: repo.dir, env }).ms + timedSpawn('git', ['write-tree'], { cwd: repo.dir, env }).ms);
    const node = () => nodes.push(bareNodeLike(repo, ''));
    if (run % 2 === 0) {
      scan();
      node();
    } else {
      node();
      scan();
    }
  }
  return { scan: median(scans), node: median(nodes) };
}

function bashFigures(context) {
  const { log, runs } = context;
  const fileCount = 20_000;
  const started = performance.now();
  const repo = makeRepo({ populate: populateFiles(fileCount) });
  try {
    log(`Bash in a repository of ${formatCount(fileCount)} committed files (set up in ${(performance.now() - started) / 1000 | 0} s), the command changes one file`);
    const rand = prng(2);
    let calls = 0;
    const bashCall = () => {
      const n = Math.floor(rand() * fileCount);
      const file = join('src', `pkg${Math.floor(n / 1000)}`, `mod${Math.floor((n % 1000) / 100)}`, `file${n % 100}.ts`);
      const call = calls++;
      const payloads = bashPayloads(repo, `toolu_bash_${String(call).padStart(5, '0')}`, `echo 'export const touched${call} = true;' >> ${file}`);
      return {
        repo,
        payloads,
        effect: () => writeFileSync(join(repo.dir, file), `${readFileSync(join(repo.dir, file), 'utf8')}export const touched${call} = true;\n`),
      };
    };
    const warm = bashCall();
    const [warmPre, warmPost] = toolCall(repo, warm.payloads, warm.effect);
    log(`warm-up (1 call, not counted: the first call builds the private index and every tree)  pre ${formatMs(warmPre)}, post ${formatMs(warmPost)}`);
    const steady = interleaved(runs, () => bashCall());
    describeRatio(log, steady);
    const floor = scanFloor(repo, runs);
    log(`git's own scan  median ${formatMs(floor.scan)} for one snapshot alone (git add --all and write-tree on the private index; bare node ${formatMs(floor.node)}, same runs): ${formatRatio(floor.scan / floor.node)} of a node start per hook before trace does anything`);
    const takeIn = takeInSpool(repo);
    log(`take-in          ${takeIn.calls} spooled Bash events (pre and post) in one process: ${formatMs(takeIn.ms)} (${formatMs(takeIn.ms / Math.max(1, calls))} per call)`);
    const captured = checkCaptured(log, repo, 'Bash', calls);
    return [
      figure('bash.per_call', `Bash pre/post in ${formatCount(fileCount)} files, per call vs node -e 0`, {
        value: Number(steady.ratio.toFixed(3)),
        unit: 'x',
        result: `${formatRatio(steady.ratio)} (${formatMs(steady.perCall)} vs ${formatMs(steady.nodePerCall)}, n=${runs}, after 1 warm-up${cpuNote(steady)})`,
        target: `<= ${BASH_TARGET}x`,
        met: steady.ratio <= BASH_TARGET,
        captured,
        details: { ...steady, files: fileCount, warmUpPreMs: warmPre, warmUpPostMs: warmPost, scanMs: floor.scan, scanNodeMs: floor.node, takeInMs: takeIn.ms },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

function storeFigures(context) {
  const { log, quick } = context;
  const edits = quick ? 200 : 1000;
  const path = 'src/large.ts';
  const rand = prng(3);
  let lines = uniqueLines(rand, 2000, 'base');
  const repo = makeRepo({ populate: (dir) => writeFileSync(join(dir, 'README.md'), '# bench\n') });
  repo.write(path, text(lines));
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', 'add large file']);
  const fileBytes = Buffer.byteLength(text(lines));
  try {
    log(`${formatCount(edits)} Edit calls (the hooks Claude Code runs for each) on a ${formatCount(lines.length)}-line file (${formatBytes(fileBytes)}), each replacing 2 lines at a seeded random place${quick ? ' (--quick)' : ''}`);
    const started = performance.now();
    for (let call = 0; call < edits; call++) {
      const at = Math.floor(rand() * (lines.length - 1));
      const next = lines.slice();
      next.splice(at, 2, `${codeLine(rand, `e${call}`)} // e${call}:a`.trimStart(), `${codeLine(rand, `e${call}`)} // e${call}:b`.trimStart());
      const before = text(lines);
      const payloads = editPayloads(repo, `toolu_store_${String(call).padStart(5, '0')}`, path, lines.slice(at, at + 2).join('\n'), next.slice(at, at + 2).join('\n'), before);
      toolCall(repo, payloads, () => {
        lines = next;
        repo.write(path, text(lines));
      });
      if ((call + 1) % 100 === 0) process.stderr.write(`    ${call + 1}/${edits} edits, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
    const taken = takeInSpool(repo);
    const seconds = (performance.now() - started) / 1000;
    log(`take-in          ${formatCount(taken.calls)} spooled Edits in one process: ${formatMs(taken.ms)} (${formatMs(taken.ms / Math.max(1, taken.calls))} per call)`);
    const db = openDb(repo);
    let blobs;
    let tables;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      blobs = db
        .prepare(
          `SELECT count(*) AS count, sum(length(data)) AS bytes, sum(base IS NOT NULL) AS deltas,
             coalesce(sum(CASE WHEN base IS NULL THEN length(data) END), 0) AS fullBytes FROM blobs`,
        )
        .get();
      try {
        // Where the pages go (dbstat is compiled into better-sqlite3's SQLite).
        tables = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all();
      } catch {
        tables = [];
      }
    } finally {
      db.close();
    }
    const dbPath = join(repo.stateDir, 'trace.db');
    const size = (file) => (existsSync(file) ? statSync(file).size : 0);
    const total = size(dbPath) + size(`${dbPath}-wal`);
    log(`trace.db ${formatBytes(size(dbPath))} + -wal ${formatBytes(size(`${dbPath}-wal`))} after wal_checkpoint(TRUNCATE) = ${formatBytes(total)} (${formatCount(total)} bytes)`);
    log(`blobs            ${formatCount(blobs.count)} stored (${formatCount(blobs.deltas)} as deltas), ${formatBytes(blobs.bytes)} of blob data; uncompressed snapshots would be ${formatBytes(fileBytes * (edits + 1))}`);
    log(`                 ${formatCount(blobs.count - blobs.deltas)} full copies take ${formatBytes(blobs.fullBytes)}, ${formatCount(blobs.deltas)} deltas ${formatBytes(blobs.bytes - blobs.fullBytes)}`);
    if (tables.length > 0) log(`pages by table   ${tables.map((table) => `${table.name} ${formatBytes(table.bytes)}`).join(', ')}`);
    log(`driving time     ${seconds.toFixed(0)} s for ${formatCount(edits * 2)} hook processes (${formatMs((seconds * 1000) / (edits * 2))} per call, mean)`);
    const captured = checkCaptured(log, repo, 'Edit', edits);
    return [
      figure('store.size', `Store size after ${formatCount(edits)} edits of a 2,000-line file${quick ? ' (--quick, not extrapolated)' : ''}`, {
        value: total,
        unit: 'bytes',
        result: formatBytes(total),
        target: edits === 1000 ? '< 2 MB' : null,
        met: edits === 1000 ? total < STORE_TARGET_BYTES : null,
        captured,
        details: { edits, fileBytes, dbBytes: size(dbPath), walBytes: size(`${dbPath}-wal`), blobs: blobs.count, deltas: blobs.deltas, blobDataBytes: blobs.bytes, fullCopyBytes: blobs.fullBytes, tables, seconds },
      }),
    ];
  } finally {
    repo.cleanup();
  }
}

export function run(context) {
  const edit = editFigures(context);
  return [...edit, largeRepoEditFigure(context, edit[0].details), ...bashFigures(context), ...storeFigures(context)];
}
