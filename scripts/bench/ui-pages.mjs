// UI pages: the `trace ui` bundle's gzipped size, and in headless Chromium against the real `trace ui`
// over the sessions bench's generated store (200,000 sessions): time from navigation to the first table
// rows and to a rendered 200-thread session, next to a baseline measured in the same run (navigation to
// a static asset of the same server). Times are the app's own performance marks (trace:rows,
// trace:session), milliseconds since the navigation started.
/* global performance -- the functions handed to page.evaluate run in the browser */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { bigTranscript, generateStore } from './sessions.mjs';
import { formatBytes, formatCount, formatMs, makeRepo, median, PACKAGE_ROOT, TRACE_BIN } from './util.mjs';

export const name = 'ui-pages';
export const description = 'trace ui pages: bundle size (gzip), first table rows and a 200-thread session in headless Chromium over 200,000 sessions';

const BUNDLE_TARGET_BYTES = 150_000;
const ROWS_TARGET_MS = 500;
const SESSION_TARGET_MS = 1000;

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

function bundleSizes() {
  const dir = join(PACKAGE_ROOT, 'dist', 'ui', 'assets');
  const html = readFileSync(join(PACKAGE_ROOT, 'dist', 'ui', 'index.html'), 'utf8');
  const files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f));
  const sizes = files.map((file) => ({ file, bytes: readFileSync(join(dir, file)).length, gzip: gzipSync(readFileSync(join(dir, file)), { level: 9 }).length, initial: html.includes(file) }));
  return { sizes, total: sizes.reduce((a, s) => a + s.gzip, 0), initial: sizes.filter((s) => s.initial).reduce((a, s) => a + s.gzip, 0) };
}

async function startUi(repo) {
  const child = spawn(process.execPath, [TRACE_BIN, 'ui', '--no-open', '--port', '0'], { cwd: repo.dir, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`trace ui exited (${code}): ${stderr}`)));
  });
  return { url: first.trim(), origin: new URL(first.trim()).origin, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGINT')))) };
}

/** Milliseconds from the navigation's start to the app's mark, once the mark exists. */
async function timeTo(page, url, selector, mark) {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector(selector, { timeout: 60_000 });
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 60_000 });
  return page.evaluate((m) => performance.getEntriesByName(m)[0].startTime, mark);
}

export async function run(context) {
  const { log, quick } = context;
  const runs = quick ? 5 : Math.max(Math.min(context.runs ?? 21, 21), 11);
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'ui', 'index.html'))) throw new Error('dist/ui is missing: run `npm run build`');
  const bundle = bundleSizes();
  log(`bundle (gzip -9): ${bundle.sizes.map((s) => `${s.file} ${formatBytes(s.gzip)}${s.initial ? '' : ' (lazy)'}`).join(', ')}; first page ${formatBytes(bundle.initial)}, all ${formatBytes(bundle.total)}`);
  const figures = [
    figure('ui.bundle_gzip', 'ui: bundle size, gzipped (all assets)', {
      value: bundle.total,
      unit: 'bytes',
      result: `${formatBytes(bundle.total)} (first page ${formatBytes(bundle.initial)})`,
      target: `≤ ${formatBytes(BUNDLE_TARGET_BYTES)}`,
      met: bundle.total <= BUNDLE_TARGET_BYTES,
      details: { sizes: bundle.sizes },
    }),
  ];

  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`Chromium is not at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const { chromium } = await import('playwright-core');
  const { Store } = await import(join(PACKAGE_ROOT, 'dist', 'store.js'));
  const repo = makeRepo();
  let server;
  let browser;
  try {
    const store = Store.open(repo.stateDir);
    const generated = generateStore(store);
    const bigId = 'ffffffff-big0-4000-8000-000000000000';
    const start = Date.parse('2026-12-01T01:00:00Z');
    const transcript = join(repo.base, 'big.jsonl');
    writeFileSync(transcript, bigTranscript(200, start));
    store.upsertSession({ id: bigId, agent: 'claude-code', at: '2026-12-01T01:00:00.000Z', started_at: '2026-12-01T01:00:00.000Z', transcript_path: transcript });
    for (let t = 0; t < 200; t++) store.addPrompt(bigId, new Date(start + t * 7000).toISOString(), null, `prompt ${t}: refactor module ${t}`);
    store.db.exec('ANALYZE');
    store.close();
    log(`generated ${formatCount(generated.count)} sessions and a 200-thread session`);

    server = await startUi(repo);
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    // Sign in, and let the first request read the big session's transcript into its summary (not timed).
    await page.goto(server.url);
    await page.waitForSelector('tr[data-session]', { timeout: 120_000 });
    await timeTo(page, `${server.origin}/sessions/${bigId}`, 'li.thread', 'trace:session');

    const baseline = [];
    const rows = [];
    const session = [];
    const sessionData = [];
    let threads = 0;
    for (let r = 0; r < runs; r++) {
      await page.goto(`${server.origin}/assets/icon.svg`, { waitUntil: 'commit' });
      baseline.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.responseEnd ?? performance.now()));
      rows.push(await timeTo(page, `${server.origin}/sessions`, 'tr[data-session]', 'trace:rows'));
      session.push(await timeTo(page, `${server.origin}/sessions/${bigId}`, 'li.thread', 'trace:session'));
      sessionData.push(await page.evaluate(() => performance.getEntriesByName('trace:session-data')[0]?.startTime ?? NaN));
      threads = await page.locator('li.thread').count();
    }
    const b = median(baseline);
    log(`navigation to a static asset (baseline) ${formatMs(b)}; first rows of /sessions ${formatMs(median(rows))}; 200-thread session ${formatMs(median(session))} (${threads} threads; its JSON had arrived at ${formatMs(median(sessionData))}); n=${runs}`);
    figures.push(
      figure('ui.first_rows', 'ui: navigation → first table rows (200,000 sessions)', {
        value: Math.round(median(rows)),
        unit: 'ms',
        result: `${formatMs(median(rows))} (baseline: static asset ${formatMs(b)})`,
        target: `≤ ${ROWS_TARGET_MS} ms`,
        met: median(rows) <= ROWS_TARGET_MS,
        details: { rows, baseline },
      }),
      figure('ui.session_200_threads', 'ui: navigation → 200-thread session rendered', {
        value: Math.round(median(session)),
        unit: 'ms',
        result: `${formatMs(median(session))}, ${threads} threads (baseline: static asset ${formatMs(b)})`,
        target: `≤ ${SESSION_TARGET_MS} ms`,
        met: median(session) <= SESSION_TARGET_MS && threads === 200,
        details: { session, sessionData, baseline },
      }),
    );
    return figures;
  } finally {
    await browser?.close();
    await server?.stop();
    repo.cleanup();
  }
}
