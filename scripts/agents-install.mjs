#!/usr/bin/env node
// Installs the pinned agent CLIs of test/agents/agents.json into a cache folder outside the repository
// (TRACE_AGENTS_CACHE, default ~/.cache/trace-agents), one folder per <package>@<version>, each with
// `npm install --prefix`; an installed version is reused. Never devDependencies: they weigh hundreds of MB.
// Usage: node scripts/agents-install.mjs [agent…]   (all agents by default); prints agent<TAB>binary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PINS = JSON.parse(readFileSync(join(ROOT, 'test', 'agents', 'agents.json'), 'utf8'));

export function cacheDir() {
  return process.env.TRACE_AGENTS_CACHE || join(homedir(), '.cache', 'trace-agents');
}

export function installDir(agent) {
  const pin = PINS[agent];
  if (pin === undefined) throw new Error(`unknown agent ${agent}: the pinned ones are ${Object.keys(PINS).join(', ')}`);
  return join(cacheDir(), `${pin.package.replace('/', '+')}@${pin.version}`);
}

export function binaryPath(agent) {
  return join(installDir(agent), 'node_modules', '.bin', PINS[agent].bin);
}

/** Installs `agent` unless its folder is complete; returns the binary. Installs into a temporary folder, then renames, so a crash leaves no half install. */
export function install(agent) {
  const dir = installDir(agent);
  if (existsSync(join(dir, '.complete'))) return binaryPath(agent);
  const pin = PINS[agent];
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // No install scripts of dependencies (node-pty & co. would compile); the agent's own runs below.
  const result = spawnSync('npm', ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `${pin.package}@${pin.version}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`npm install ${pin.package}@${pin.version} failed (${result.status}): ${result.stderr.trim()}`);
  }
  // The agent's own postinstall puts its platform binary in place of the bin stub: run that one script.
  if (pin.postinstall !== undefined) {
    const cwd = join(staging, 'node_modules', ...pin.package.split('/'));
    const post = spawnSync(process.execPath, [pin.postinstall], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (post.status !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`${pin.package}@${pin.version}: ${pin.postinstall} failed (${post.status}): ${post.stderr.trim()}`);
    }
  }
  writeFileSync(join(staging, '.complete'), `${pin.package}@${pin.version}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  // npm wrote absolute paths nowhere that matters: .bin holds relative links, so the rename is safe.
  return binaryPath(agent);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const agents = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(PINS);
  let failed = false;
  for (const agent of agents) {
    try {
      process.stdout.write(`${agent}\t${install(agent)}\n`);
    } catch (error) {
      failed = true;
      process.stderr.write(`agents-install: ${error.message}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
