// `trace uninstall`: remove exactly what init added, restore chained hooks, delete the local state.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { gitRaw } from '../git.js';
import { AGENTS } from '../agents/index.js';
import { hooksDirectory, uninstallGitHooks } from '../install/git-hooks.js';
import { autoInitAllowed, OPT_OUT, OPTED_OUT_MARKER } from '../install/auto-init.js';
import { contentHash, readManifest } from '../install/manifest.js';
import type { Outcome } from '../program.js';
import { CONFIG_FILE } from '../config.js';
import { style } from '../terminal.js';

export interface UninstallOptions {
  cwd: string;
  yes?: boolean;
  interactive?: boolean;
}

export async function uninstall(options: UninstallOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  if (options.interactive) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = (await rl.question(`Remove trace's hooks and delete its local state in ${repo.root}? [y/N] `)).trim().toLowerCase();
    rl.close();
    if (answer !== 'y' && answer !== 'yes') throw new TraceError('BAD_ARGUMENT', 'cancelled; nothing was changed');
  }
  const manifest = readManifest(repo.stateDir);
  const changes: string[] = [];
  const kept: string[] = [];

  for (const agent of AGENTS) {
    const name = agent.configFile;
    const file = join(repo.root, name);
    if (!existsSync(file)) continue;
    if (manifest.autoInit) {
      // Set up automatically from the team's committed files: opting out is personal, the team's files stay.
      kept.push(`${name} (the team's, committed; this clone was set up from it)`);
      continue;
    }
    const current = readFileSync(file, 'utf8');
    const created = manifest.created.includes(name);
    const original = manifest.originals?.[name];
    const untouched = manifest.hashes?.[name] === contentHash(current);
    const { text, removed } = agent.removeHooks(current, file);
    if (created && (untouched || (removed > 0 && text === null))) {
      rmSync(file);
      removeEmptyFolders(repo.root, dirname(file));
      changes.push(`removed ${name} (trace created it)`);
    } else if (untouched && original !== undefined) {
      // Unchanged since init wrote it: put back the exact bytes it had before.
      writeFileSync(file, original);
      changes.push(`restored ${name} as it was before trace init`);
    } else if (removed > 0) {
      writeFileSync(file, text ?? '');
      changes.push(`removed trace's hooks from ${name}`);
    }
  }

  const hooksDir = manifest.hooksDir && existsSync(manifest.hooksDir) ? manifest.hooksDir : await hooksDirectory(repo.root);
  for (const hook of uninstallGitHooks(hooksDir)) {
    if (hook.removed) changes.push(`removed git hook ${hook.name}${hook.restored ? ' and restored the hook it chained' : ''}`);
  }

  const configFile = join(repo.root, CONFIG_FILE);
  if (manifest.created.includes(CONFIG_FILE) && existsSync(configFile)) {
    if (manifest.hashes?.[CONFIG_FILE] === contentHash(readFileSync(configFile))) {
      rmSync(configFile);
      changes.push(`removed ${CONFIG_FILE} (trace created it)`);
    } else {
      kept.push(`${CONFIG_FILE} (edited since trace created it)`);
    }
  }

  for (const file of manifest.created.filter((f) => f.startsWith('.chainloop/keys/'))) {
    const path = join(repo.root, file);
    if (existsSync(path) && manifest.hashes?.[file] === contentHash(readFileSync(path))) {
      rmSync(path);
      changes.push(`removed ${file} (the public key trace exported; the private key stays in your config dir)`);
      for (const dir of [dirname(path), dirname(dirname(path))]) if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    }
  }

  if (existsSync(repo.stateDir)) {
    rmSync(repo.stateDir, { recursive: true, force: true });
    changes.push(`deleted the local state ${repo.stateDir}`);
  }
  rmSync(join(repo.commonDir, OPTED_OUT_MARKER), { force: true });
  // A committed .chainloop.yml would have the next trace hook or command set trace up again here.
  const committed = existsSync(configFile) && (await gitRaw(['ls-files', '--', CONFIG_FILE], { cwd: repo.root })).stdout.length > 0;
  if (committed && (await autoInitAllowed(repo))) {
    kept.push(`${CONFIG_FILE} (committed for the team: trace sets itself up again in this clone unless you run \`${OPT_OUT}\`)`);
  }
  const paint = style(process.stdout);
  const text =
    changes.length === 0
      ? 'trace was not installed here; nothing to remove'
      : [paint.ok(`trace is uninstalled from ${repo.root}:`), ...changes.map((c) => `  ${c}`), ...kept.map((k) => paint.dim(`  kept ${k}`))].join('\n');
  return { json: { repository: repo.root, changes, kept }, text };
}

/** Removes `dir` and its parents up to (not including) `root` while they are empty. */
function removeEmptyFolders(root: string, dir: string): void {
  for (let current = dir; current !== root && current.startsWith(root); current = dirname(current)) {
    if (readdirSync(current).length > 0) return;
    rmdirSync(current);
  }
}
