// `trace server`'s pages in a real Chromium, against the real `trace server` on SQLite holding
// key-signed bundles of two repositories: log in with a reader token, filter the sessions by
// repository and initiator, the org dashboard, the repository list, a session's verdicts. Each test
// saves a screenshot under artifacts/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_BIN } from '../support/repo.js';
import { keyPair, pushStatement, signedBundle, type SessionSpec } from '../server/support.js';
import { launch, screenshot } from './support.js';

const INGEST = 'browser-ingest-token-000000000';
const READER = 'browser-reader-token-000000000';

let dir: string;
let child: ChildProcess | undefined;
let origin: string;
let browser: Browser;
let context: BrowserContext;

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
const spec = (id: string, daysAgo: number, extra: Partial<SessionSpec> = {}): SessionSpec => ({ id, startedAt: `${day(daysAgo)}T09:00:00.000Z`, endedAt: `${day(daysAgo)}T10:00:00.000Z`, ...extra });

/** `trace server --config <file>`, once it says where it listens. */
function startServer(configFile: string): Promise<string> {
  child = spawn(process.execPath, [TRACE_BIN, 'server', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trace server did not start: ${stderr}`)), 30_000);
    child!.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trace server exited (${code}): ${stderr}`));
    });
  });
}

async function attrs(locator: Locator, name: string): Promise<(string | null)[]> {
  const read = (elements: { getAttribute(name: string): string | null }[], attribute: string) => elements.map((element) => element.getAttribute(attribute));
  return locator.evaluateAll<(string | null)[], string, never>(read, name);
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${READER}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'trace-server-browser-'));
  const ada = await keyPair(dir, 'ada');
  const bob = await keyPair(dir, 'bob');
  const configFile = join(dir, 'trace-server.yml');
  writeFileSync(
    configFile,
    [
      'listen: 127.0.0.1:0',
      `database: ${join(dir, 'server.sqlite')}`,
      'tokens:',
      `  - { token: ${INGEST}, role: ingest, repositories: ["acme/*"] }`,
      `  - { token: ${READER}, role: reader, name: auditor }`,
      'trust:',
      `  - { repositories: ["acme/api"], keys: [${ada.pemFile}] }`,
      `  - { repositories: ["acme/web"], keys: [${bob.pemFile}] }`,
      '',
    ].join('\n'),
  );
  origin = await startServer(configFile);
  const bundles = [
    await signedBundle(ada.key, pushStatement({ repository: 'acme/api', createdAt: new Date().toISOString(), sessions: [spec('api-session-0001', 1, { prompts: ['add the rate limiter'] }), spec('api-session-0002', 3, { model: 'claude-sonnet-4-5' })], commits: 4 })),
    await signedBundle(bob.key, pushStatement({ repository: 'acme/web', createdAt: new Date().toISOString(), sessions: [spec('web-session-0001', 2, { agent: 'codex', model: 'gpt-5', prompts: ['fix the login form'] })], commits: 2, author: { name: 'Bob', email: 'bob@example.com' } })),
  ];
  for (const body of bundles) {
    const res = await fetch(`${origin}/api/v1/attestations`, { method: 'POST', body, headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' } });
    if (res.status !== 201) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  }
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('trace server in Chromium', () => {
  let page: Page;

  it('sends a visitor to the login page; a reader token signs in and shows every repository\'s sessions', async () => {
    page = await context.newPage();
    await page.goto(`${origin}/sessions`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.fill('input[name="token"]', 'not-a-token');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    await page.fill('input[name="token"]', READER);
    await page.click('button[type="submit"]');
    await page.waitForSelector('tr[data-session]');
    expect(new URL(page.url()).pathname).toBe('/sessions');
    // The server's own controls appear once the page knows which server it talks to.
    await page.waitForSelector('select[name="repository"] option:text-is("acme/web")', { state: 'attached' });
    expect(await page.textContent('[data-token]')).toBe('auditor');
    expect(await page.locator('table.sessions th', { hasText: 'Repository' }).count()).toBe(1);
    const ids = await attrs(page.locator('tr[data-session]'), 'data-session');
    expect(ids).toEqual(['api-session-0001', 'web-session-0001', 'api-session-0002']);
    expect(await attrs(page.locator('tr[data-session] td.repo'), 'data-repository')).toEqual(['acme/api', 'acme/web', 'acme/api']);
    expect(await page.locator('input[name="author"]').count()).toBe(0);
    // The server counts the guard's denials from the attestations: the Denied toggle is offered.
    expect(await page.locator('input[name="has-denied"]').count()).toBe(1);
    expect(await page.locator('input[name="has-errors"]').count()).toBe(1);
    await screenshot(page, 'server-sessions');
  });

  it('filters by repository and by initiator, kept in the URL', async () => {
    await page.selectOption('select[name="repository"]', 'acme/web');
    await page.waitForURL((url) => url.searchParams.get('repository') === 'acme/web');
    await expect.poll(async () => attrs(page.locator('tr[data-session]'), 'data-session')).toEqual(['web-session-0001']);
    const href = (await page.getAttribute('a.export', 'href')) ?? '';
    expect(href).toContain('repository=acme%2Fweb');
    // The link downloads with the login cookie: the CSV of what the list shows.
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
    expect(csv.split('\r\n').slice(1, -1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['web-session-0001,acme/web']);
    await page.selectOption('select[name="repository"]', '');
    await page.waitForURL((url) => url.searchParams.get('repository') === null);
    await page.click('input[name="initiator"]');
    await page.fill('input[name="initiator"]', 'ad');
    await page.waitForSelector('#initiator-options li:has-text("ada@example.com")');
    await page.click('#initiator-options li:has-text("ada@example.com")');
    await page.waitForURL((url) => url.searchParams.get('initiator') === 'ada@example.com');
    await expect.poll(async () => attrs(page.locator('tr[data-session]'), 'data-session')).toEqual(['api-session-0001', 'api-session-0002']);
    // A pasted link shows the same view.
    const other = await context.newPage();
    await other.goto(`${origin}/sessions?repository=acme/api&initiator=ada@example.com&agent=claude-code`);
    await expect.poll(async () => attrs(other.locator('tr[data-session]'), 'data-session')).toEqual(['api-session-0001', 'api-session-0002']);
    expect(await other.inputValue('select[name="repository"]')).toBe('acme/api');
    await other.close();
    await screenshot(page, 'server-sessions-filtered');
  });

  it('shows the org dashboard: cards with their change, the days, top users and models with cost', async () => {
    await page.click('header.top nav a:has-text("Dashboard")');
    await page.waitForURL((url) => url.pathname === '/org');
    await page.waitForSelector('[data-card="sessions"]');
    const stats = await api<{ current: { sessions: number; active_users: number; ai_share: number | null; ai_assisted_commits: number }; top_users: { initiator: string }[]; models: { model: string }[] }>('/api/v1/stats/org?days=30');
    expect(stats.current.sessions).toBe(3);
    expect(await page.getAttribute('[data-card="sessions"]', 'data-raw')).toBe('3');
    expect(await page.getAttribute('[data-card="active_users"]', 'data-raw')).toBe(String(stats.current.active_users));
    expect(await page.getAttribute('[data-card="ai_assisted_commits"]', 'data-raw')).toBe(String(stats.current.ai_assisted_commits));
    expect(await page.getAttribute('[data-card="ai_share"]', 'data-raw')).toBe(String(stats.current.ai_share));
    expect(await attrs(page.locator('[data-table="users"] tbody tr'), 'data-key')).toEqual(stats.top_users.map((u) => u.initiator));
    expect((await attrs(page.locator('[data-table="models"] tbody tr'), 'data-key')).sort()).toEqual(stats.models.map((m) => m.model).sort());
    await page.waitForSelector('.chart .uplot');
    // One repository's figures.
    await page.selectOption('select[name="repository"]', 'acme/web');
    await page.waitForURL((url) => url.searchParams.get('repository') === 'acme/web');
    await expect.poll(() => page.getAttribute('[data-card="sessions"]', 'data-raw')).toBe('1');
    await screenshot(page, 'server-org-dashboard');
    // A user's row leads to their sessions.
    await page.click('[data-table="users"] tbody tr a');
    await page.waitForURL((url) => url.pathname === '/sessions' && url.searchParams.get('initiator') === 'bob@example.com');
    await expect.poll(async () => attrs(page.locator('tr[data-session]'), 'data-session')).toEqual(['web-session-0001']);
  });

  it('lists the repositories with sessions, AI share and last activity; a click filters the sessions', async () => {
    await page.click('header.top nav a:has-text("Repositories")');
    await page.waitForURL((url) => url.pathname === '/repositories');
    await page.waitForSelector('tr[data-repository]');
    expect(await attrs(page.locator('tr[data-repository]'), 'data-repository')).toEqual(['acme/api', 'acme/web']);
    const api = page.locator('tr[data-repository="acme/api"]');
    expect(await api.locator('td').nth(1).textContent()).toBe('2');
    expect(await api.locator('[data-ai-share]').getAttribute('data-ai-share')).toBe('0.6');
    expect(await api.locator('td').nth(5).textContent()).toBe(day(1));
    await screenshot(page, 'server-repositories');
    await api.locator('td').nth(1).click();
    await page.waitForURL((url) => url.pathname === '/sessions' && url.searchParams.get('repository') === 'acme/api');
    await expect.poll(async () => attrs(page.locator('tr[data-session]'), 'data-session')).toEqual(['api-session-0001', 'api-session-0002']);
  });

  it('shows a session with the verdict given at the door, and offers no diff', async () => {
    await page.goto(`${origin}/sessions/api-session-0001?tab=commits`);
    await page.waitForSelector('table.commits tr[data-commit]');
    await page.waitForSelector('td[data-verdict="verified"]');
    expect(await page.textContent('td[data-verdict="verified"]')).toMatch(/verified at ingest key [0-9a-f]{16}/);
    expect(await page.textContent('.summary [data-repository]')).toBe('acme/api');
    await screenshot(page, 'server-session-commits');
    await page.click('button[role="tab"]:has-text("Files")');
    await page.waitForSelector('table.server-commits tr[data-commit] a[href^="/api/v1/attestations/"]');
    expect(await page.textContent('.files-tab .state.empty')).toContain('keeps no file contents');
    await page.click('button[role="tab"]:has-text("Threads")');
    await page.waitForSelector('li.thread');
    expect(await page.locator('button', { hasText: 'Replay edits' }).count()).toBe(0);
    expect(await page.locator('.replay').count()).toBe(0);
  });
});
