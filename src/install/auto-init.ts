// Setting up the local part of trace in a clone of a traced repository: the committed `.chainloop.yml`
// speaks for the team, `git config trace.autoInit false` (per repository or global) for the person.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE } from '../config.js';
import { errorMessage } from '../errors.js';
import { gitRaw } from '../git.js';
import { fileLogger } from '../log.js';
import { isInitialised, type Repo } from '../repo.js';
import { checkGitHooks, hooksDirectory, installGitHooks } from './git-hooks.js';
import { readManifest, writeManifest } from './manifest.js';

export const OPT_OUT = 'git config trace.autoInit false';

/**
 * Left in the git dir when the person opted out, so agent hooks skip spawning a setup on every tool
 * call; they look again once it is an hour old (the person may have changed their mind).
 */
export const OPTED_OUT_MARKER = 'chainloop-trace-auto-init-off';
export const OPTED_OUT_RECHECK_MS = 60 * 60 * 1000;

/** False only when the person said `git config trace.autoInit false` (locally or globally). */
export async function autoInitAllowed(repo: Repo): Promise<boolean> {
  const result = await gitRaw(['config', '--type=bool', '--get', 'trace.autoInit'], { cwd: repo.root, okCodes: [1, 128] });
  return result.stdout.toString('utf8').trim() !== 'false';
}

export type AutoInitResult = { done: true; hooksDir: string | null } | { done: false; reason: 'initialised' | 'not traced' | 'opted out' | 'raced' };

/**
 * Sets up the state directory, the store and the git hooks when the repository is traced
 * (`.chainloop.yml` committed) and this clone has no local state yet; logs it once.
 */
export async function autoInit(repo: Repo, now: () => Date = () => new Date()): Promise<AutoInitResult> {
  if (isInitialised(repo)) return { done: false, reason: 'initialised' };
  if (!existsSync(join(repo.root, CONFIG_FILE))) return { done: false, reason: 'not traced' };
  if (!(await autoInitAllowed(repo))) {
    try {
      writeFileSync(join(repo.commonDir, OPTED_OUT_MARKER), `${OPT_OUT}\n`);
    } catch {
      // Only a shortcut for the hooks.
    }
    return { done: false, reason: 'opted out' };
  }
  rmSync(join(repo.commonDir, OPTED_OUT_MARKER), { force: true });
  try {
    // Not recursive: of two hooks racing here, only one sets up (and logs).
    mkdirSync(repo.stateDir);
  } catch {
    return { done: false, reason: 'raced' };
  }
  const logger = fileLogger(repo.stateDir, now);
  const manifest = readManifest(repo.stateDir);
  manifest.autoInit = true;
  let hooksDir: string | null = null;
  try {
    const dir = await hooksDirectory(repo.root);
    checkGitHooks(dir);
    await installGitHooks(dir);
    manifest.hooksDir = dir;
    hooksDir = dir;
  } catch (error) {
    logger.log('warn', `auto-setup: git hooks not installed: ${errorMessage(error)} (run \`trace init\` to see why)`);
  }
  const { Store } = await import('../store.js');
  Store.open(repo.stateDir).close();
  // Claude Code's Write and Edit spool their payloads once this folder exists (capture/spool.ts).
  (await import('../capture/spool-dir.js')).ensureSpoolDir(repo);
  await (await import('../capture/shell-lane.js')).writeShellLanes(repo);
  writeManifest(repo.stateDir, manifest);
  logger.log(
    'info',
    `auto-setup: ${CONFIG_FILE} says this repository is traced, so trace set up its local part in this clone (state ${repo.stateDir}${hooksDir ? `, git hooks in ${hooksDir}` : ''}); to opt out: ${OPT_OUT} && trace uninstall`,
  );
  return { done: true, hooksDir };
}

/**
 * What the first push from an auto-set-up clone says on stderr (once: the state remembers it), or
 * null. It also says how to onboard the local key when CI cannot trust it yet.
 */
export async function firstPushNotice(repo: Repo, env: Readonly<Record<string, string | undefined>>, now: () => Date): Promise<string | null> {
  const manifest = readManifest(repo.stateDir);
  if (!manifest.autoInit || manifest.pushNoticeAt) return null;
  manifest.pushNoticeAt = now().toISOString();
  writeManifest(repo.stateDir, manifest);
  const lines = [
    `trace: this clone was set up automatically (the repository's ${CONFIG_FILE} says it is traced): this push attaches signed`,
    '  attestations of which lines AI agents and people wrote (refs/notes/chainloop-trace).',
    `  To opt out: ${OPT_OUT} (add --global for all your clones), then \`trace uninstall\`.`,
  ];
  try {
    const { loadConfig } = await import('../config.js');
    const config = loadConfig(repo.root);
    if (config.trace.signing.mode !== 'keyless') {
      const { loadOrCreateKey } = await import('../signing/key.js');
      const { keysInWorkTree, signingKeyDir } = await import('../signing/public-keys.js');
      const key = await loadOrCreateKey(signingKeyDir(config, env));
      if (!keysInWorkTree(repo.root).keys.some((trusted) => trusted.keyId === key.keyId)) {
        lines.push(
          `  Your signing key ${key.keyId.slice(0, 16)} is not in .chainloop/keys/, so CI cannot trust what you push yet: run \`trace keys add\`,`,
          `  commit .chainloop/keys/${key.keyId.slice(0, 16)}.pem, and have a maintainer merge that change.`,
        );
      }
    }
  } catch (error) {
    fileLogger(repo.stateDir, now).log('warn', `auto-setup notice: could not check the signing key: ${errorMessage(error)}`);
  }
  return lines.join('\n');
}
