// `trace init`: install the agent hooks and the git hooks, write the config, create the local state.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseDocument } from 'yaml';
import { AGENTS } from '../agents/index.js';
import type { Agent, InstallPlan } from '../agents/types.js';
import { CONFIG_FILE, parseConfig, type TraceConfig } from '../config.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import { checkGitHooks, hookManager, hooksDirectory, hooksFolderInWorkTree, installGitHooks } from '../install/git-hooks.js';
import type { Outcome } from '../program.js';
import { exportPublicKey } from '../signing/public-keys.js';
import { Store } from '../store.js';
import { style } from '../terminal.js';
import { contentHash, type InstallManifest, readManifest, writeManifest } from '../install/manifest.js';

/** Agent flags are the agents' hook names (`--claude`, `--codex`, …). */
export interface InitOptions extends Partial<Record<string, unknown>> {
  cwd: string;
  requireTrace?: boolean;
  yes?: boolean;
  json?: boolean;
  interactive?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [Y/n] `)).trim().toLowerCase();
    return answer === '' || answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}

/** What init will do to one file, computed before anything is written. */
interface FileChange {
  /** Repository-relative path. */
  file: string;
  /** The new text; undefined when the file stays as it is. */
  text: string | undefined;
  /** The text before, when the file exists. */
  original: string | undefined;
}

function planConfig(root: string, requireTrace: boolean | undefined): FileChange & { status: 'created' | 'updated' | 'unchanged'; config: TraceConfig } {
  const path = join(root, CONFIG_FILE);
  if (!existsSync(path)) {
    const text = [
      '# Configuration of trace (AI line attribution and signed attestations); see its README for every key.',
      `projectName: ${JSON.stringify(basename(root))}`,
      '# Refuse a push when its attestation cannot be made.',
      `requireTrace: ${requireTrace === true}`,
      'trace:',
      '  transcripts:',
      '    # none | prompts | full: how much of the agent transcript goes into the attestation.',
      '    retention: prompts',
      '',
    ].join('\n');
    return { file: CONFIG_FILE, text, original: undefined, status: 'created', config: parseConfig(text, path) };
  }
  const original = readFileSync(path, 'utf8');
  const config = parseConfig(original, path); // a broken config is reported before anything is written
  if (requireTrace === undefined) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged', config };
  const document = parseDocument(original);
  document.set('requireTrace', requireTrace);
  const updated = document.toString();
  if (updated === original) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged', config };
  return { file: CONFIG_FILE, text: updated, original, status: 'updated', config: parseConfig(updated, path) };
}

/**
 * The agents `trace init` sets up when none is named: Claude Code, and every other agent whose project
 * config folder exists or whose program is on the PATH.
 */
function agentsInUse(root: string): Agent[] {
  return AGENTS.filter((agent, index) => index === 0 || existsSync(join(root, agent.configDir)) || onPath(agent.executable));
}

function onPath(executable: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, executable), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Writes a planned change and records it in the manifest, so uninstall can undo exactly it. */
function apply(root: string, change: FileChange | InstallPlan, manifest: InstallManifest): void {
  if (change.text === undefined) return;
  const path = join(root, change.file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, change.text);
  if (change.original === undefined) manifest.created.push(change.file);
  else if (!manifest.created.includes(change.file) && manifest.originals?.[change.file] === undefined) {
    manifest.originals = { ...manifest.originals, [change.file]: change.original };
  }
  manifest.hashes = { ...manifest.hashes, [change.file]: contentHash(change.text) };
}

/** One line on what each push carries at a transcript retention level, and how to change it. */
export function pushContents(retention: TraceConfig['trace']['transcripts']['retention']): string {
  const carries = {
    none: 'line attribution, session metadata (agent, model, tokens, cost); no prompts, shell commands or file contents',
    prompts: 'line attribution, session metadata (agent, model, tokens, cost), prompts and shell commands redacted; file contents never',
    full: 'line attribution, session metadata (agent, model, tokens, cost), the whole transcript redacted, file contents included',
  }[retention];
  const others = (['none', 'prompts', 'full'] as const).filter((level) => level !== retention).join(' or ');
  return `pushes carry: ${carries} — set trace.transcripts.retention to ${others} in ${CONFIG_FILE}`;
}

/** The files among `files` that are not committed as they are now (untracked, or changed since HEAD). */
async function uncommitted(root: string, files: string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const tracked = new Set((await git(['ls-files', '--', ...files], { cwd: root })).split('\n').filter(Boolean));
  const result: string[] = [];
  for (const file of files) {
    if (!tracked.has(file) || !(await succeeds(['diff', '--quiet', 'HEAD', '--', file], root))) result.push(file);
  }
  return result;
}

async function succeeds(args: string[], cwd: string): Promise<boolean> {
  try {
    await git(args, { cwd });
    return true;
  } catch {
    return false;
  }
}

export async function init(options: InitOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const requested = AGENTS.filter((agent) => options[agent.hooks.hookName] === true);
  const agents = requested.length > 0 ? requested : agentsInUse(repo.root);

  // Validate everything first: a failed init writes nothing.
  const config = planConfig(repo.root, options.requireTrace);
  const plans = agents.map((agent) => ({ agent, plan: agent.planInstall(repo.root) }));
  const hooksDir = await hooksDirectory(repo.root);
  checkGitHooks(hooksDir);

  if (options.interactive) {
    const found = requested.length > 0 ? '' : ' (Claude Code, and the agents whose config folder is here or whose program is on your PATH; name agents with --claude, --cursor, … to choose)';
    if (!(await confirm(`Install trace's hooks for ${agents.map((a) => a.displayName).join(', ')}${found} and git in ${repo.root}?`))) {
      throw new TraceError('BAD_ARGUMENT', 'cancelled; nothing was changed');
    }
  }

  const manifest = readManifest(repo.stateDir);
  const publicKey = await exportPublicKey(repo.root, config.config, manifest);
  mkdirSync(repo.stateDir, { recursive: true });
  apply(repo.root, config, manifest);
  for (const { plan } of plans) apply(repo.root, plan, manifest);
  const gitHooks = await installGitHooks(hooksDir);
  manifest.hooksDir = hooksDir;
  // Run by hand, init is the person's own choice: no auto-setup notice on their first push.
  delete manifest.autoInit;
  Store.open(repo.stateDir).close();
  // Claude Code's Write and Edit spool their payloads once this folder exists (capture/spool.ts).
  (await import('../capture/spool-dir.js')).ensureSpoolDir(repo);
  await (await import('../capture/shell-lane.js')).writeShellLanes(repo);
  writeManifest(repo.stateDir, manifest);

  // Printed as Chainloop spells the agents (claude-code), like every other command.
  const agentResults = plans.map(({ agent, plan }) => ({
    agent: agent.hooks.name,
    status: plan.status,
    file: join(repo.root, plan.file),
    ...(agent.afterInstall ? { next_steps: agent.afterInstall } : {}),
  }));
  const candidates = [...plans.map(({ plan }) => plan.file), CONFIG_FILE, ...(publicKey ? [publicKey.file] : [])];
  const filesToCommit = await uncommitted(repo.root, candidates);
  const folder = hooksFolderInWorkTree(repo.root, hooksDir);
  const manager = hookManager(repo.root, hooksDir);
  const pushes = pushContents(config.config.trace.transcripts.retention);
  const result = {
    repository: repo.root,
    agents: agentResults,
    git_hooks: gitHooks.map((hook) => ({ name: hook.name, path: hook.path, chained: hook.chained, changed: hook.changed })),
    hooks_dir: hooksDir,
    hooks_folder_versioned: folder !== null,
    ...(manager ? { hook_manager: manager } : {}),
    config: { file: join(repo.root, CONFIG_FILE), status: config.status },
    state_dir: repo.stateDir,
    files_to_commit: filesToCommit,
    pushes_carry: pushes,
    ...(publicKey ? { public_key: { key_id: publicKey.keyId, file: publicKey.file, created: publicKey.created, owner: publicKey.owner } } : {}),
  };
  const paint = style(process.stdout);
  const lines = [
    paint.ok(`trace is set up in ${repo.root}`),
    ...agentResults.flatMap((a) => [`  ${a.agent}: ${a.status} (${relative(repo.root, a.file)})`, ...(a.next_steps ?? []).map((step) => paint.warning(`    ${step}`))]),
    `  git hooks: ${gitHooks.map((h) => `${h.name}${h.chained ? ' (chained to your existing hook)' : ''}`).join(', ')} in ${hooksDir}`,
    ...(folder !== null
      ? [
          paint.warning(
            `  core.hooksPath points at ${folder}${manager ? ` (${manager})` : ''}, a folder of your work tree: trace's hooks were written there and are now part of that folder`,
          ),
        ]
      : []),
    `  config: ${CONFIG_FILE} ${config.status}`,
    `  local state: ${repo.stateDir}`,
    ...(publicKey ? [`  signing key: ${publicKey.keyId.slice(0, 16)} (public key ${publicKey.file}; CI trusts pushes signed with it)`] : []),
    `  ${pushes}`,
    '',
    ...(filesToCommit.length > 0
      ? ['Commit these files so everyone working here is traced:', ...filesToCommit.map((file) => `  git add ${file}`)]
      : ['Everything trace needs in the repository is already committed.']),
    '',
    'Next: work with your agent as usual. Each commit is attributed line by line (`trace show`),',
    'and `trace status` shows what has been recorded; `trace doctor` checks the setup.',
  ];
  return { json: result, text: lines.join('\n') };
}
