// Drives Debian's Chromium (or $CHROMIUM_PATH) with playwright-core against the real `trace ui`.
// A missing browser is a failure with a message saying how to install it, never a silent skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PACKAGE_ROOT, TRACE_BIN, type TestRepo } from '../support/repo.js';

export const ARTIFACTS = join(PACKAGE_ROOT, 'artifacts');

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium is not at ${path}${process.env.CI ? ' (CI is set: the browser tests must run)' : ''}: install it (\`apt-get install -y chromium\`, as .ci/run does) or point CHROMIUM_PATH at a Chromium or Chrome binary`,
    );
  }
  return path;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface UiServer {
  /** The first stdout line: http://127.0.0.1:PORT/?token=… */
  tokenUrl: string;
  origin: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** `trace ui --no-open --port 0` in the repository, once it has printed its URL. */
export async function startUi(repo: TestRepo, timeoutMs = 30_000): Promise<UiServer> {
  const child = spawn(process.execPath, [TRACE_BIN, 'ui', '--no-open', '--port', '0'], { cwd: repo.dir, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trace ui printed no URL in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trace ui exited (${code}) before printing its URL; stderr: ${stderr}`));
    });
  });
  const url = new URL(first);
  return {
    tokenUrl: first,
    origin: url.origin,
    port: Number(url.port),
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** Saves a full-page screenshot under artifacts/ (ignored by git) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
