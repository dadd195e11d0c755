// `trace doctor`: checks what a person can get wrong in setting trace up, and says how to fix each.
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { AGENTS } from '../agents/index.js';
import { CONFIG_FILE, loadConfig, type TraceConfig } from '../config.js';
import { openRepo } from '../context.js';
import { errorMessage } from '../errors.js';
import { gitRaw } from '../git.js';
import { remoteDefault } from '../verify/remote.js';
import { packagePath } from '../install/assets.js';
import { GIT_HOOKS, hookManager, hooksDirectory, hooksFolderInWorkTree, hookScript, isTraceHook } from '../install/git-hooks.js';
import { logPath, parseLog } from '../log.js';
import type { Outcome } from '../program.js';
import { isInitialised, type Repo } from '../repo.js';
import { style } from '../terminal.js';

export interface DoctorOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  remote?: string;
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to run or do; null when nothing is wrong. */
  fix: string | null;
  /** A unified diff of what is installed against what this version installs. */
  diff?: string;
}

const ok = (id: string, message: string): Check => ({ id, status: 'ok', message, fix: null });
const problem = (id: string, status: 'warn' | 'fail', message: string, fix: string, diff?: string): Check => ({ id, status, message, fix, ...(diff ? { diff } : {}) });

function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}

/** `trace` as the agents find it: the PATH of a plain `sh`, and the version it reports. */
async function checkTraceOnPath(repo: Repo, env: DoctorOptions['env']): Promise<Check> {
  const { execa } = await import('execa');
  const found = await execa('sh', ['-c', 'command -v trace'], { cwd: repo.root, env, extendEnv: false, reject: false, timeout: 10_000 });
  const path = found.exitCode === 0 ? found.stdout.trim() : '';
  if (!path) {
    return problem(
      'trace-on-path',
      'fail',
      'trace is not on the PATH the agents and git hooks see: they skip tracing silently',
      'install trace where that PATH finds it (`npm install -g chainloop-trace`), or add its bin directory to PATH in your shell profile',
    );
  }
  const version = await execa(path, ['--version'], { env, extendEnv: false, reject: false, timeout: 10_000 });
  const theirs = version.exitCode === 0 ? version.stdout.trim() : 'unknown';
  const mine = packageVersion();
  if (theirs !== mine) {
    return problem('trace-on-path', 'warn', `the trace on the PATH (${path}) is version ${theirs}; this one is ${mine}`, `run this check with the trace on the PATH (\`${path} doctor\`), or install one version`);
  }
  return ok('trace-on-path', `trace ${theirs} on the PATH (${path})`);
}

/** Each git hook of trace in the directory git really uses, equal to this version's script. */
async function checkGitHooks(repo: Repo): Promise<Check[]> {
  const dir = await hooksDirectory(repo.root);
  const folder = hooksFolderInWorkTree(repo.root, dir);
  const manager = hookManager(repo.root, dir);
  const where = folder ? `${folder}${manager ? ` (${manager})` : ''}` : relative(repo.root, dir) || dir;
  const missing: string[] = [];
  const foreign: string[] = [];
  const outdated: string[] = [];
  const diffs: string[] = [];
  for (const name of GIT_HOOKS) {
    const path = join(dir, name);
    if (!existsSync(path)) missing.push(name);
    else if (!isTraceHook(path)) foreign.push(name);
    else {
      const installed = readFileSync(path, 'utf8');
      const current = hookScript(name);
      if (installed !== current) {
        outdated.push(name);
        diffs.push(createTwoFilesPatch(`${where}/${name} (installed)`, `${where}/${name} (this version)`, installed, current));
      }
    }
  }
  const checks: Check[] = [];
  if (missing.length + foreign.length + outdated.length === 0) checks.push(ok('git-hooks', `git hooks installed and current in ${where}`));
  else {
    const parts = [
      ...(missing.length ? [`missing: ${missing.join(', ')}`] : []),
      ...(foreign.length ? [`not trace's: ${foreign.join(', ')}`] : []),
      ...(outdated.length ? [`written by another version: ${outdated.join(', ')}`] : []),
    ];
    checks.push(
      problem(
        'git-hooks',
        'fail',
        `git hooks in ${where}, the directory git uses: ${parts.join('; ')}`,
        `run \`trace init\` (it rewrites trace's hooks and chains any other hook)${folder ? `, then commit ${folder}` : ''}`,
        diffs.join('') || undefined,
      ),
    );
  }
  // A hook of trace in .git/hooks does nothing while core.hooksPath points elsewhere.
  const defaultDir = join(repo.commonDir, 'hooks');
  if (realPath(defaultDir) !== realPath(dir)) {
    const stray = GIT_HOOKS.filter((name) => isTraceHook(join(defaultDir, name)));
    if (stray.length > 0) {
      checks.push(
        problem(
          'git-hooks-stray',
          'fail',
          `trace's ${stray.join(', ')} in ${relative(repo.root, defaultDir)} never run: core.hooksPath points git at ${where}`,
          `remove them (\`rm ${stray.map((name) => join(relative(repo.root, defaultDir), name)).join(' ')}\`) and run \`trace init\``,
        ),
      );
    }
  }
  return checks;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Each agent whose config file is here: its hooks must be all there and current. A config without any
 * of trace's hooks is a warning (that agent is not captured); no agent hooks at all is a failure.
 */
function checkAgentHooks(root: string): Check[] {
  const checks: Check[] = [];
  for (const agent of AGENTS) {
    const file = agent.configFile;
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const id = `agent-hooks:${agent.hooks.name}`;
    const fix = `run \`trace init --${agent.hooks.hookName}\` and commit ${file}`;
    try {
      const text = readFileSync(path, 'utf8');
      if (agent.hooksInstalled(text, path)) {
        checks.push(ok(id, `${file} has trace's hooks, current`));
        continue;
      }
      if (agent.removeHooks(text, path).removed === 0) {
        checks.push(problem(id, 'warn', `${file} has none of trace's hooks: ${agent.displayName} sessions are not captured`, fix));
        continue;
      }
      const planned = agent.planInstall(root).text ?? text;
      checks.push(problem(id, 'fail', `${file}: trace's hooks are incomplete or of an older form`, fix, createTwoFilesPatch(`${file} (installed)`, `${file} (after trace init)`, text, planned)));
    } catch (error) {
      checks.push(problem(id, 'fail', errorMessage(error), `fix ${file}, then run \`trace init --${agent.hooks.hookName}\``));
    }
  }
  if (checks.length === 0) {
    checks.push(problem('agent-hooks', 'fail', `no agent has trace's hooks (${AGENTS.map((agent) => agent.configFile).join(', ')} are all missing): no session is captured`, 'run `trace init` and commit the files it names'));
  }
  return checks;
}

function checkConfig(repo: Repo): { check: Check; config: TraceConfig | null } {
  if (!existsSync(join(repo.root, CONFIG_FILE))) {
    return { check: problem('config', 'fail', `${CONFIG_FILE} is missing: this repository is not traced`, 'run `trace init` and commit .chainloop.yml'), config: null };
  }
  try {
    return { check: ok('config', `${CONFIG_FILE} is valid`), config: loadConfig(repo.root) };
  } catch (error) {
    return { check: problem('config', 'fail', errorMessage(error), `fix the keys named above in ${CONFIG_FILE}; \`trace init\` then checks it again`), config: null };
  }
}

async function checkSigningKey(repo: Repo, config: TraceConfig | null, env: DoctorOptions['env'], remote: string): Promise<Check> {
  const id = 'signing-key';
  if (!config) return problem(id, 'warn', `not checked: ${CONFIG_FILE} is missing or invalid`, `fix ${CONFIG_FILE} first`);
  if (config.trace.signing.mode === 'keyless') return ok(id, 'keyless signing: no local key to trust');
  const { KEY_FILE_NAME, loadOrCreateKey } = await import('../signing/key.js');
  const { signingKeyDir } = await import('../signing/public-keys.js');
  const dir = signingKeyDir(config, env);
  if (!existsSync(join(dir, KEY_FILE_NAME))) {
    const { keysUsedHere } = await import('../signing/public-keys.js');
    const used = keysUsedHere(repo.stateDir);
    if (used.length > 0) {
      return problem(id, 'fail', `the signing key ${join(dir, KEY_FILE_NAME)} is missing, but this machine signed here with key ${used.map((k) => k.slice(0, 16)).join(', ')}: pushes go unattested`, 'restore the key file from a backup (mode 600), or run `trace keys add --rotate` and commit the file it names');
    }
    return problem(id, 'warn', `no local signing key in ${dir} yet (trace creates it on the first push)`, 'run `trace init` to create it and export its public key');
  }
  let keyId: string;
  try {
    keyId = (await loadOrCreateKey(dir)).keyId;
  } catch (error) {
    return problem(id, 'fail', errorMessage(error), `move ${join(dir, KEY_FILE_NAME)} away and run \`trace init\` to create a new key`);
  }
  const short = keyId.slice(0, 16);
  const base = await remoteDefault(repo.root, remote);
  if (!base) return problem(id, 'warn', `local key ${short}: cannot tell whether CI trusts it (no default branch of ${remote} fetched)`, `git fetch ${remote}`);
  const { trustedKeysAt } = await import('../signing/public-keys.js');
  const trusted = await trustedKeysAt(repo.root, base);
  const branch = base.replace('refs/remotes/', '');
  if (trusted.some((key) => key.keyId === keyId)) return ok(id, `local key ${short} is trusted on ${branch}`);
  const { keysInWorkTree } = await import('../signing/public-keys.js');
  const exported = keysInWorkTree(repo.root).keys.find((key) => key.keyId === keyId);
  if (exported) {
    return problem(id, 'fail', `local key ${short} is in ${exported.file} here but not on ${branch}: CI rejects what you sign until it is`, `commit ${exported.file} and have a maintainer merge that change into the default branch`);
  }
  return problem(
    id,
    'fail',
    `local key ${short} is not in .chainloop/keys/ on ${branch}: CI rejects what you sign`,
    `run \`trace keys add\`, commit .chainloop/keys/${short}.pem, and have a maintainer merge that change`,
  );
}

async function checkNotes(repo: Repo, remote: string): Promise<Check> {
  const id = 'notes';
  const { NOTES_REF } = await import('../upload/notes.js');
  const local = (await gitRaw(['rev-parse', '--verify', '--quiet', NOTES_REF], { cwd: repo.root, okCodes: [1, 128] })).stdout.toString('utf8').trim();
  const configured = await gitRaw(['remote', 'get-url', remote], { cwd: repo.root, okCodes: [2, 128] });
  if (configured.code !== 0) return problem(id, 'warn', `no remote named ${remote}: attestations stay here until you push`, `git remote add ${remote} <url>, or pass --remote`);
  const listed = await gitRaw(['ls-remote', remote, NOTES_REF], { cwd: repo.root, okCodes: [1, 2, 128] });
  if (listed.code !== 0) return problem(id, 'warn', `cannot reach the remote ${remote}: ${listed.stderr.trim().split('\n')[0] ?? ''}`, `check \`git remote -v\` and your access to ${remote}`);
  const onRemote = listed.stdout.toString('utf8').split(/\s/)[0] ?? '';
  if (!onRemote && !local) return problem(id, 'warn', `no attestations yet, here or on ${remote}`, 'push a commit (`git push`): pre-push attests it');
  if (!onRemote) return problem(id, 'fail', `attestations were made here but ${NOTES_REF} is not on ${remote}: CI cannot see them`, `git push ${remote} ${NOTES_REF}`);
  if (!local) return problem(id, 'warn', `${NOTES_REF} is on ${remote} but not fetched here`, `trace fetch ${remote}`);
  if (local !== onRemote) {
    const known = (await gitRaw(['cat-file', '-e', `${onRemote}^{commit}`], { cwd: repo.root, okCodes: [1, 128] })).code === 0;
    if (!known) return problem(id, 'warn', `${remote} has attestations not fetched here`, `trace fetch ${remote}`);
  }
  return ok(id, `${NOTES_REF} is on ${remote} and fetched`);
}

async function checkPending(repo: Repo, remote: string): Promise<Check> {
  const id = 'pending';
  const { commitsAwaitingAttestation } = await import('./status.js');
  const pending = await commitsAwaitingAttestation(repo.root, remote);
  const log = existsSync(logPath(repo.stateDir)) ? parseLog(readFileSync(logPath(repo.stateDir), 'utf8')) : [];
  const lastPush = log.filter((entry) => entry.message.startsWith('pre-push')).pop();
  if (pending.length === 0) return ok(id, 'no commit awaits attestation');
  const count = `${pending.length} commit${pending.length === 1 ? '' : 's'} not pushed yet await attestation`;
  if (lastPush?.level === 'error') {
    return problem(id, 'fail', `${count}; the last push failed to attest: ${lastPush.message.slice(0, 300)} (${lastPush.at})`, 'fix the error above, then `git push` (or `trace attest`); `trace status` shows details');
  }
  return problem(id, 'warn', `${count}; the next \`git push\` attests them`, 'git push');
}

async function checkState(repo: Repo): Promise<Check[]> {
  if (!isInitialised(repo)) {
    return [problem('state-dir', 'fail', `no local state in ${repo.stateDir}: trace is not set up in this clone`, 'run `trace init` (or any trace command, when the repository is traced)')];
  }
  const checks: Check[] = [];
  try {
    accessSync(repo.stateDir, constants.W_OK);
    checks.push(ok('state-dir', `${repo.stateDir} is writable`));
  } catch {
    checks.push(problem('state-dir', 'fail', `${repo.stateDir} is not writable: hooks cannot record anything`, `chmod u+w ${repo.stateDir}`));
  }
  const { dbPath } = await import('../store.js');
  const path = dbPath(repo.stateDir);
  const moveAway = `move it away (\`mv ${path} ${path}.broken\`), then run \`trace status\` to create a new one; what was captured and not yet attested is lost`;
  if (!existsSync(path)) return [...checks, problem('store', 'fail', `the store ${path} is missing`, 'run `trace init` to create it')];
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      const problems = rows.map((row) => row.integrity_check).filter((line) => line !== 'ok');
      checks.push(problems.length === 0 ? ok('store', 'the store is intact (SQLite integrity check)') : problem('store', 'fail', `the store ${path} is damaged: ${problems.slice(0, 3).join('; ')}`, moveAway));
    } finally {
      db.close();
    }
  } catch (error) {
    checks.push(problem('store', 'fail', `the store ${path} does not open: ${errorMessage(error)}`, moveAway));
  }
  const aside = await checkStoreMovedAside(repo);
  if (aside) checks.push(aside);
  const spool = await checkSpoolAside(repo);
  if (spool) checks.push(spool);
  const lanes = await checkShellLanes(repo);
  if (lanes) checks.push(lanes);
  return checks;
}

/** The shell lanes of the agents whose config is here (capture/shell-lane.ts): without them, their shell calls start Node. */
async function checkShellLanes(repo: Repo): Promise<Check | null> {
  const { shellLaneFile, shellLaneScript, SHELL_LANE_EVENTS } = await import('../capture/shell-lane.js');
  const { LANES_DIR } = await import('../capture/spool-dir.js');
  const agents = AGENTS.filter((agent) => agent.hooks.shellLanes && existsSync(join(repo.root, agent.configFile)));
  if (agents.length === 0) return null;
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  const stale = agents.flatMap((agent) =>
    SHELL_LANE_EVENTS.filter((event) => read(shellLaneFile(repo.stateDir, agent.hooks.hookName, event)) !== shellLaneScript(agent.hooks.hookName, event)).map((event) => `${agent.hooks.hookName}-${event}.sh`),
  );
  if (stale.length === 0) return ok('lanes', 'the shell lanes are current: shell calls start no Node');
  return problem('lanes', 'warn', `${stale.join(', ')} in ${join(repo.stateDir, LANES_DIR)}: missing or written by another trace, so those shell calls start Node (still captured, slower)`, 'run `trace init` (an agent session\'s start writes them too)');
}

/** Spooled payloads that could not be taken in (capture/spool.ts moved them aside, the reason in log.txt). */
async function checkSpoolAside(repo: Repo): Promise<Check | null> {
  const { spoolAside, SPOOL_ASIDE_DIR } = await import('../capture/spool-dir.js');
  const names = spoolAside(repo);
  if (names.length === 0) return null;
  const dir = join(repo.stateDir, SPOOL_ASIDE_DIR);
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, … (${names.length - 3} more)` : '');
  return problem(
    'spool',
    'warn',
    `${names.length} spooled agent call${names.length === 1 ? '' : 's'} could not be taken in and ${names.length === 1 ? 'was' : 'were'} moved aside to ${dir} (${shown}): ${names.length === 1 ? 'its' : 'their'} changes are not captured`,
    `the reasons are in ${logPath(repo.stateDir)} (\`trace status\` shows them); delete the files once read`,
  );
}

/** A damaged store that trace moved aside (`trace.db.corrupt-<time>`): what it held was not attested from it. */
async function checkStoreMovedAside(repo: Repo): Promise<Check | null> {
  const { CORRUPT_PREFIX } = await import('../store.js');
  const moved = readdirSync(repo.stateDir)
    .filter((name) => name.startsWith(CORRUPT_PREFIX) && !/-(wal|shm)$/.test(name))
    .sort()
    .map((name) => join(repo.stateDir, name));
  if (moved.length === 0) return null;
  return problem(
    'store-moved-aside',
    'warn',
    `trace found its store damaged and moved it aside to ${moved.join(', ')}: what it had captured was lost, so commits made before were attested as uncaptured`,
    `inspect it if you wish, then delete it: rm -f ${moved.map((file) => `'${file}' '${file}-wal' '${file}-shm'`).join(' ')}`,
  );
}

export async function doctor(options: DoctorOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const remote = options.remote ?? 'origin';
  const { check: configCheck, config } = checkConfig(repo);
  const checks: Check[] = [
    await checkTraceOnPath(repo, options.env),
    ...checkAgentHooks(repo.root),
    ...(await checkGitHooks(repo)),
    configCheck,
    await checkSigningKey(repo, config, options.env, remote),
    await checkNotes(repo, remote),
    await checkPending(repo, remote),
    ...(await checkState(repo)),
  ];
  const failed = checks.filter((check) => check.status === 'fail').length;
  const warned = checks.filter((check) => check.status === 'warn').length;
  const paint = style(process.stdout);
  const mark = { ok: paint.ok('✓'), warn: paint.warning('!'), fail: paint.failed('✗') };
  const lines = checks.flatMap((check) => [
    `${mark[check.status]} ${check.id}: ${check.message}`,
    ...(check.fix ? [`  → ${check.fix}`] : []),
    ...(check.diff ? check.diff.trimEnd().split('\n').map((line) => paint.dim(`    ${line}`)) : []),
  ]);
  const summary = failed > 0 ? paint.failed(`${failed} problem${failed === 1 ? '' : 's'} to fix`) : paint.ok(`trace is set up correctly${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`);
  return {
    json: { repository: repo.root, ok: failed === 0, checks },
    text: [...lines, '', summary].join('\n'),
    exitCode: failed > 0 ? 1 : 0,
  };
}
