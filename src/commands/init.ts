// `trace init`: install the agent hooks and the git hooks, write the config, create the local state.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseDocument } from 'yaml';
import { CONFIG_FILE, parseConfig, type TraceConfig } from '../config.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import { readAsset } from '../install/assets.js';
import { type ClaudeSettings, formatSettings, mergeHooks, parseSettings } from '../install/claude-settings.js';
import { checkGitHooks, hookManager, hooksDirectory, hooksFolderInWorkTree, installGitHooks } from '../install/git-hooks.js';
import type { Outcome } from '../program.js';
import { exportPublicKey } from '../signing/public-keys.js';
import { canonicalAgent, Store } from '../store.js';
import { style } from '../terminal.js';
import { contentHash, type InstallManifest, readManifest, writeManifest } from '../install/manifest.js';

export const AGENT_FLAGS = ['claude', 'cursor', 'codex', 'gemini', 'copilot', 'opencode'] as const;
export type AgentFlag = (typeof AGENT_FLAGS)[number];
const SUPPORTED: readonly AgentFlag[] = ['claude'];

export interface InitOptions extends Partial<Record<AgentFlag, boolean>> {
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

function planClaude(root: string): FileChange & { status: 'installed' | 'upgraded' | 'unchanged' } {
  const file = '.claude/settings.json';
  const path = join(root, file);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const settings: ClaudeSettings = original !== undefined ? parseSettings(original, path) : {};
  const template = JSON.parse(readAsset('claude/settings.json')) as ClaudeSettings;
  const { settings: merged, added, upgraded } = mergeHooks(settings, template);
  if (added.length === 0 && upgraded.length === 0) return { file, text: undefined, original, status: 'unchanged' };
  return { file, text: formatSettings(merged, original), original, status: added.length === 0 ? 'upgraded' : 'installed' };
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

/** Writes a planned change and records it in the manifest, so uninstall can undo exactly it. */
function apply(root: string, change: FileChange, manifest: InstallManifest): void {
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
  const requested = AGENT_FLAGS.filter((agent) => options[agent]);
  const agents = requested.length > 0 ? requested : (['claude'] as AgentFlag[]);
  const unsupported = agents.filter((agent) => !SUPPORTED.includes(agent));
  if (unsupported.length === agents.length) {
    throw new TraceError('UNSUPPORTED', `${unsupported.join(', ')}: not yet supported; trace captures Claude Code today`, {
      hint: 'run `trace init --claude`',
    });
  }

  // Validate everything first: a failed init writes nothing.
  const config = planConfig(repo.root, options.requireTrace);
  const claude = agents.some((agent) => SUPPORTED.includes(agent)) ? planClaude(repo.root) : undefined;
  const hooksDir = await hooksDirectory(repo.root);
  checkGitHooks(hooksDir);

  if (options.interactive && !(await confirm(`Install trace's hooks for ${agents.filter((a) => SUPPORTED.includes(a)).join(', ')} and git in ${repo.root}?`))) {
    throw new TraceError('BAD_ARGUMENT', 'cancelled; nothing was changed');
  }

  const manifest = readManifest(repo.stateDir);
  const publicKey = await exportPublicKey(repo.root, config.config, manifest);
  mkdirSync(repo.stateDir, { recursive: true });
  apply(repo.root, config, manifest);
  if (claude) apply(repo.root, claude, manifest);
  const gitHooks = await installGitHooks(hooksDir);
  manifest.hooksDir = hooksDir;
  // Run by hand, init is the person's own choice: no auto-setup notice on their first push.
  delete manifest.autoInit;
  Store.open(repo.stateDir).close();
  writeManifest(repo.stateDir, manifest);

  // Printed as Chainloop spells the agents (claude-code), like every other command.
  const agentResults: { agent: string; status: string; file?: string }[] = agents.map((agent) =>
    SUPPORTED.includes(agent) && claude ? { agent: canonicalAgent(agent), status: claude.status, file: join(repo.root, claude.file) } : { agent: canonicalAgent(agent), status: 'not yet supported' },
  );
  const candidates = [...(claude ? [claude.file] : []), CONFIG_FILE, ...(publicKey ? [publicKey.file] : [])];
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
    ...agentResults.map((a) => `  ${a.agent}: ${a.status}${a.file ? ` (${relative(repo.root, a.file)})` : ''}`),
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
