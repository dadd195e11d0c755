// `trace init`: install the agent hooks and the git hooks, write the config, create the local state.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseDocument } from 'yaml';
import { CONFIG_FILE, loadConfig, parseConfig } from '../config.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { readAsset } from '../install/assets.js';
import { type ClaudeSettings, mergeHooks, parseSettings } from '../install/claude-settings.js';
import { hooksDirectory, installGitHooks } from '../install/git-hooks.js';
import type { Outcome } from '../program.js';
import { exportPublicKey } from '../signing/public-keys.js';
import { Store } from '../store.js';
import { contentHash, type InstallManifest, readManifest, writeManifest } from '../install/manifest.js';

/** Public keys CI trusts, committed in the repository (read at the base of a verified range). */
export const PUBLIC_KEYS_DIR = '.chainloop/keys';

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

export interface InitResult {
  repository: string;
  agents: { agent: AgentFlag; status: 'installed' | 'unchanged' | 'not yet supported'; file?: string }[];
  gitHooks: { name: string; path: string; chained: boolean; changed: boolean }[];
  config: { file: string; status: 'created' | 'updated' | 'unchanged' };
  stateDir: string;
  filesToCommit: string[];
  publicKey?: { keyId: string; file: string; created: boolean };
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

function installClaude(root: string, manifest: InstallManifest): { status: 'installed' | 'unchanged'; file: string } {
  const file = join(root, '.claude', 'settings.json');
  const exists = existsSync(file);
  const settings: ClaudeSettings = exists ? parseSettings(readFileSync(file, 'utf8'), file) : {};
  const template = JSON.parse(readAsset('claude/settings.json')) as ClaudeSettings;
  const { settings: merged, added } = mergeHooks(settings, template);
  if (added.length === 0) return { status: 'unchanged', file };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  if (!exists) manifest.created.push(relative(root, file));
  return { status: 'installed', file };
}

function writeConfig(root: string, requireTrace: boolean | undefined, manifest: InstallManifest): InitResult['config'] {
  const file = join(root, CONFIG_FILE);
  if (!existsSync(file)) {
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
    parseConfig(text, file);
    writeFileSync(file, text);
    manifest.created.push(CONFIG_FILE);
    manifest.hashes = { ...manifest.hashes, [CONFIG_FILE]: contentHash(text) };
    return { file, status: 'created' };
  }
  const original = readFileSync(file, 'utf8');
  parseConfig(original, file); // a broken config is reported before anything is written
  if (requireTrace === undefined) return { file, status: 'unchanged' };
  const document = parseDocument(original);
  document.set('requireTrace', requireTrace);
  const updated = document.toString();
  if (updated === original) return { file, status: 'unchanged' };
  writeFileSync(file, updated);
  return { file, status: 'updated' };
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
  if (options.interactive && !(await confirm(`Install trace's hooks for ${agents.filter((a) => SUPPORTED.includes(a)).join(', ')} and git in ${repo.root}?`))) {
    throw new TraceError('BAD_ARGUMENT', 'cancelled; nothing was changed');
  }

  mkdirSync(repo.stateDir, { recursive: true });
  const manifest = readManifest(repo.stateDir);
  const config = writeConfig(repo.root, options.requireTrace, manifest);
  const agentResults: InitResult['agents'] = agents.map((agent) =>
    SUPPORTED.includes(agent) ? { agent, ...installClaude(repo.root, manifest) } : { agent, status: 'not yet supported' },
  );
  const publicKey = await exportPublicKey(repo.root, loadConfig(repo.root), manifest);
  const hooksDir = await hooksDirectory(repo.root);
  const gitHooks = await installGitHooks(hooksDir);
  manifest.hooksDir = hooksDir;
  Store.open(repo.stateDir).close();
  writeManifest(repo.stateDir, manifest);

  const filesToCommit = [
    ...agentResults.filter((a) => a.file).map((a) => relative(repo.root, a.file!)),
    CONFIG_FILE,
    ...(publicKey ? [publicKey.file] : []),
  ];
  const result: InitResult = { repository: repo.root, agents: agentResults, gitHooks, config, stateDir: repo.stateDir, filesToCommit, ...(publicKey ? { publicKey } : {}) };
  const lines = [
    `trace is set up in ${repo.root}`,
    ...agentResults.map((a) => `  ${a.agent}: ${a.status}${a.file ? ` (${relative(repo.root, a.file)})` : ''}`),
    `  git hooks: ${gitHooks.map((h) => `${h.name}${h.chained ? ' (chained to your existing hook)' : ''}`).join(', ')} in ${hooksDir}`,
    `  config: ${CONFIG_FILE} ${config.status}`,
    `  local state: ${repo.stateDir}`,
    ...(publicKey ? [`  signing key: ${publicKey.keyId.slice(0, 16)} (public key ${publicKey.file}; CI trusts pushes signed with it)`] : []),
    '',
    'Commit these files so everyone working here is traced:',
    ...filesToCommit.map((file) => `  git add ${file}`),
    '',
    'Next: work with your agent as usual. Each commit is attributed line by line (`trace show`),',
    'and `trace status` shows what has been recorded.',
  ];
  return { json: result, text: lines.join('\n') };
}
