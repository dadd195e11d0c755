// The `trace ui` pages in a real Chromium, against the real `trace ui` serving a repository whose
// sessions were made through the installed hooks. Each test saves a screenshot under artifacts/.
import { request } from 'node:http';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTemps } from '../support/repo.js';
import { makeUiFixture, QUICK, REAL_SESSION, WORKED, type UiFixture } from './fixture.js';
import { launch, screenshot, startUi, type UiServer } from './support.js';

interface Usage {
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
}
interface Show {
  session: { id: string; token_usage: Usage };
  threads: { idx: number; prompt: string | null; token_usage: Usage; cost: { usd: number | null }; steps: { kind: string; token_usage?: Usage; tool_use_id?: string }[] }[];
}
interface StatsFigures {
  sessions: number;
  active_authors: number;
  ai_commits: number;
  ai_share: number | null;
  token_usage: Usage;
  cost_usd: number;
}
interface Stats {
  current: StatsFigures;
  top_tools: { tool: string; calls: number }[];
}

let fixture: UiFixture;
let server: UiServer;
let browser: Browser;
let context: BrowserContext;

function json<T>(args: string[]): T {
  const result = fixture.repo.trace([...args, '--json']);
  if (result.code !== 0) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A page of the context that signed in through the one-time token link (the server turned it into a cookie). */
async function signedInPage(): Promise<Page> {
  return context.newPage();
}

/** One attribute of each element a locator finds (these tests have no DOM types: they run in Node). */
async function attrs(locator: Locator, name: string): Promise<(string | null)[]> {
  // Read in one go: a table that re-renders between a count and the nth row would hang the read.
  const read = (elements: { getAttribute(name: string): string | null }[], attribute: string) => elements.map((element) => element.getAttribute(attribute));
  return locator.evaluateAll<(string | null)[], string, never>(read, name);
}

const rowCount = (page: Page) => page.locator('tr[data-session]').count();
const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';

beforeAll(async () => {
  // The browser first: without one the file fails at once, saying how to install it.
  browser = await launch();
  fixture = makeUiFixture();
  server = await startUi(fixture.repo);
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  await page.goto(server.tokenUrl);
  await page.waitForSelector('tr[data-session]');
  await page.close();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  cleanupTemps();
});

describe('trace ui in Chromium', () => {
  it('lists the sessions the hooks recorded, with the exact range', async () => {
    const page = await signedInPage();
    await page.goto(`${server.origin}/sessions`);
    await page.waitForSelector('tr[data-session]');
    const ids = await attrs(page.locator('tr[data-session]'), 'data-session');
    expect(new Set(ids)).toEqual(new Set([WORKED, REAL_SESSION, ...QUICK]));
    expect(await page.textContent('[data-range]')).toBe('1–8 of 8');
    const worked = page.locator(`tr[data-session="${WORKED}"]`);
    expect(await worked.locator('td.id .mono').textContent()).toBe(WORKED.slice(0, 8));
    expect(await worked.textContent()).toContain('rename name to title');
    await screenshot(page, 'ui-sessions');

    // Paging: next by cursor, previous by position, each in the URL.
    await page.goto(`${server.origin}/sessions?limit=3`);
    await expect.poll(() => text(page, '[data-range]')).toBe('1–3 of 8');
    const first = await attrs(page.locator('tr[data-session]'), 'data-session');
    await page.click('button:has-text("Next")');
    await page.waitForURL((url) => url.searchParams.get('after') !== null);
    await expect.poll(() => text(page, '[data-range]')).toBe('4–6 of 8');
    await page.click('button:has-text("Next")');
    await expect.poll(() => text(page, '[data-range]')).toBe('7–8 of 8');
    expect(await page.isDisabled('button:has-text("Next")')).toBe(true);
    await page.click('button:has-text("Previous")');
    await page.waitForURL((url) => url.searchParams.get('offset') === '3' && url.searchParams.get('after') === null);
    await expect.poll(() => text(page, '[data-range]')).toBe('4–6 of 8');
    await page.click('button:has-text("Previous")');
    await expect.poll(() => text(page, '[data-range]')).toBe('1–3 of 8');
    expect(await attrs(page.locator('tr[data-session]'), 'data-session')).toEqual(first);
    await page.close();
  });

  it('filters by search after the debounce, keeps it in the URL, and restores it on reload', async () => {
    const page = await signedInPage();
    await page.goto(`${server.origin}/sessions`);
    await page.waitForSelector('tr[data-session]');
    const typed = Date.now();
    await page.fill('#search', 'tidy the readme');
    await page.waitForURL((url) => url.searchParams.get('q') === 'tidy the readme');
    // Not at once: the search waits 250 ms for typing to pause.
    expect(Date.now() - typed).toBeGreaterThanOrEqual(240);
    await expect.poll(() => rowCount(page)).toBe(3);
    const shown = await attrs(page.locator('tr[data-session]'), 'data-session');
    expect(new Set(shown)).toEqual(new Set([QUICK[1], QUICK[3], QUICK[5]]));
    expect(await page.textContent('[data-range]')).toBe('1–3 of 3');

    await page.click('input[name="has-errors"]');
    await page.waitForURL((url) => url.searchParams.get('has') === 'errors');
    await page.waitForSelector('.state.empty');
    await page.reload();
    await page.waitForSelector('.state.empty');
    expect(await page.inputValue('#search')).toBe('tidy the readme');
    expect(await page.isChecked('input[name="has-errors"]')).toBe(true);

    // Back restores the page before the toggle; Reset clears the filters but keeps the time window.
    await page.goBack();
    await expect.poll(() => rowCount(page)).toBe(3);
    await page.click('.segmented button:has-text("7 days")');
    await page.waitForURL((url) => url.searchParams.get('since') === '7d');
    await page.click('button.reset');
    await page.waitForURL((url) => url.searchParams.get('q') === null && url.searchParams.get('since') === '7d');
    await expect.poll(() => rowCount(page)).toBe(8);
    expect(await page.inputValue('#search')).toBe('');

    // The model combobox completes by prefix from /api/v1/models.
    await page.fill('input[name="model"]', 'claude-son');
    await page.waitForSelector('#model-options li:has-text("claude-sonnet-4-5")');
    await screenshot(page, 'ui-sessions-model-combobox');
    await page.click('#model-options li:has-text("claude-sonnet-4-5") >> nth=0');
    await page.waitForURL((url) => (url.searchParams.get('model') ?? '').startsWith('claude-sonnet-4-5'));
    // The previous rows stay on screen while the filtered page loads: wait for the filtered ones.
    await expect
      .poll(async () => {
        const ids = await attrs(page.locator('tr[data-session]'), 'data-session');
        return ids.length > 0 && !ids.includes(QUICK[0]!);
      })
      .toBe(true);
    await screenshot(page, 'ui-sessions-filtered');
    await page.close();
  });

  it('copies a session id with one click without opening the row; j/k and Enter open one', async () => {
    const page = await signedInPage();
    await page.goto(`${server.origin}/sessions`);
    const row = page.locator(`tr[data-session="${WORKED}"]`);
    await row.hover();
    await row.locator('td.id button.copy').click();
    await page.waitForSelector('.toast span');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(WORKED);
    expect(new URL(page.url()).searchParams.get('session')).toBeNull();
    expect(await page.locator('.detail-pane').count()).toBe(0);
    await row.locator('button[data-copy="command"]').click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`trace sessions show ${WORKED}`);

    const ids = await attrs(page.locator('tr[data-session]'), 'data-session');
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('session') === ids[1]);
    await page.waitForSelector(`.detail-pane article[data-session="${ids[1]}"]`);
    // Side by side on a wide screen: the list stays.
    expect(await page.locator('.list-pane').isVisible()).toBe(true);
    await screenshot(page, 'ui-side-by-side');
    await page.goBack();
    await expect.poll(() => page.locator('.detail-pane').count()).toBe(0);
    await page.close();
  });

  it('shows a session as threads whose badges equal `trace sessions show --json`, and replays its edits', async () => {
    const show = json<Show>(['sessions', 'show', WORKED]);
    expect(show.threads.length).toBe(3);
    const page = await signedInPage();
    await page.goto(`${server.origin}/sessions/${WORKED}?thread=2`);
    await page.waitForSelector('li.thread');
    expect(await page.locator('li.thread').count()).toBe(3);
    expect(await page.getAttribute('li.thread.active', 'data-thread')).toBe('2');
    for (const thread of show.threads) {
      const card = page.locator(`li.thread[data-thread="${thread.idx}"]`);
      expect(await card.locator('.prompt-card').textContent()).toBe(thread.prompt);
      const usage = card.locator('.thread-usage');
      expect(await usage.locator('[data-tokens="input"]').getAttribute('data-value')).toBe(String(thread.token_usage.input));
      expect(await usage.locator('[data-tokens="cache"]').getAttribute('data-value')).toBe(`${thread.token_usage.cache_read}/${thread.token_usage.cache_write}`);
      expect(await usage.locator('[data-tokens="output"]').getAttribute('data-value')).toBe(String(thread.token_usage.output));
      expect(await usage.locator('[data-cost]').getAttribute('data-cost')).toBe(String(thread.cost.usd));
      const responses = thread.steps.filter((s) => s.kind === 'assistant');
      const shownOutputs = await attrs(card.locator('li.step.assistant [data-tokens="output"]'), 'data-value');
      expect(shownOutputs).toEqual(responses.map((r) => String(r.token_usage!.output)));
    }
    // The failing test run: its status and error text.
    const failed = page.locator('li.step.tool[data-status="error"]');
    expect(await failed.count()).toBe(1);
    expect(await failed.locator('.error-text').textContent()).toContain('1 test failed');

    // Edit replay: the first edit's diff, then forward and back across the session.
    await page.click('button:has-text("Replay edits")');
    await page.waitForSelector('.replay pre.diff');
    expect(await page.textContent('.replay-head')).toContain('Edit 1 of 5');
    expect(await page.textContent('.replay pre.diff')).toContain('+export function parse(text: string): Config {');
    await page.click('.replay button:has-text("Next edit")');
    await expect.poll(() => text(page, '.replay-head')).toContain('Edit 2 of 5');
    await expect.poll(() => text(page, '.replay pre.diff')).toContain("+  if (text.trim() === '') throw new Error('empty config');");
    expect(new URL(page.url()).searchParams.get('edit')).toBe('1');
    await screenshot(page, 'ui-session-replay');
    await page.click('.replay button:has-text("Previous edit")');
    await expect.poll(() => text(page, '.replay-head')).toContain('Edit 1 of 5');

    // Find in session: prompts, tools, inputs and errors.
    await page.fill('input[name="find"]', 'config');
    await page.waitForURL((url) => url.searchParams.get('find') === 'config');
    expect(Number(await page.getAttribute('[data-find-count]', 'data-find-count'))).toBeGreaterThan(2);
    expect(await page.locator('mark.hit').count()).toBeGreaterThan(2);
    await screenshot(page, 'ui-session');

    // Tabs: files (edits, committed ai/human ranges), commits, the raw object.
    await page.click('button[role="tab"]:has-text("Files")');
    await page.waitForURL((url) => url.searchParams.get('tab') === 'files');
    await page.waitForSelector(`.commit-ranges[data-commit="${fixture.commit}"] .range.ai`);
    expect(await text(page, `.commit-ranges[data-commit="${fixture.commit}"]`)).toContain('src/config.ts');
    await screenshot(page, 'ui-session-files');
    await page.click('button[role="tab"]:has-text("Commits")');
    expect(await page.locator(`table.commits tr[data-commit="${fixture.commit}"]`).count()).toBe(1);
    // Pushed and signed with the key committed before it: verified, with the signer.
    expect(await text(page, `table.commits tr[data-commit="${fixture.commit}"]`)).toMatch(/verified\s*key [0-9a-f]{16} · \S/);
    await page.click('button[role="tab"]:has-text("Raw JSON")');
    const raw = JSON.parse(await text(page, 'pre.json')) as Show;
    expect(raw.session.id).toBe(WORKED);
    expect(raw.threads.map((t) => t.token_usage)).toEqual(show.threads.map((t) => t.token_usage));
    await page.close();
  });

  it('shows the dashboard with the numbers of `trace sessions stats --json`', async () => {
    const stats = json<Stats>(['sessions', 'stats']);
    const page = await signedInPage();
    await page.goto(`${server.origin}/dashboard`);
    await page.waitForSelector('[data-card="sessions"]');
    await page.waitForSelector('.chart .uplot');
    const raw = (name: string) => page.getAttribute(`[data-card="${name}"]`, 'data-raw');
    const c = stats.current;
    expect(await raw('sessions')).toBe(String(c.sessions));
    expect(await raw('active_authors')).toBe(String(c.active_authors));
    expect(await raw('ai_commits')).toBe(String(c.ai_commits));
    expect(await raw('ai_share')).toBe(String(c.ai_share ?? ''));
    expect(await raw('tokens')).toBe(String(c.token_usage.input + c.token_usage.cache_read + c.token_usage.cache_write + c.token_usage.output));
    expect(await raw('cost')).toBe(String(c.cost_usd));
    expect(c.sessions).toBe(8);
    expect(c.ai_commits).toBe(1);
    const tools = await attrs(page.locator('[data-table="tools"] tbody tr'), 'data-key');
    expect(tools).toEqual(stats.top_tools.map((t) => t.tool));
    expect(await page.locator('[data-table="models"] tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'ui-dashboard');
    await page.close();
  });

  it('refuses a request without the token (401) and one with a foreign Host', async () => {
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/api/v1/sessions', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get({})).toBe(401);
    const cookies = await context.cookies(server.origin);
    expect(cookies.length).toBeGreaterThan(0);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    expect(await get({ cookie })).toBe(200);
    const foreign = await get({ cookie, host: `evil.example.com:${server.port}` });
    expect([403, 421]).toContain(foreign);

    // In a browser without the cookie: the page itself is refused, and so is a fetch of the API.
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    const refused = await page.goto(`${server.origin}/sessions`);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('open the link `trace ui` printed');
    expect(await page.evaluate("fetch('/api/v1/sessions').then((r) => r.status)")).toBe(401);
    // A page whose cookie goes away (a restarted server) draws the designed "not signed in" state.
    await stranger.addCookies(cookies);
    await page.goto(`${server.origin}/sessions`);
    await page.waitForSelector('tr[data-session]');
    await stranger.clearCookies();
    await page.click('input[name="has-errors"]');
    await page.waitForSelector('.state.error');
    expect(await page.textContent('.state.error')).toContain('open the link `trace ui` printed');
    await screenshot(page, 'ui-no-token');
    await stranger.close();
  });
});
