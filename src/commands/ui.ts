// `trace ui [--port N] [--no-open] [--source local|notes|all]`: the session workspace in the browser.
// Serves this repository's sessions on 127.0.0.1 until Ctrl-C; the first stdout line is the URL with
// its one-time token. The store is opened once and brought up to date before each API read.
import { fileURLToPath } from 'node:url';
import { openCaptureStore, takeInSpooled } from '../capture/open.js';
import { TraceError } from '../errors.js';
import type { Outcome } from '../program.js';
import type { Identity } from '../sessions/refresh.js';
import { parseCount, type RequestContext } from '../sessions/requests.js';
import { freshenSessions, gitIdentity, sessionsAgents, sessionsRepo } from './sessions.js';

export const UI_SOURCES = ['local', 'notes', 'all'] as const;

export interface UiOptions {
  cwd: string;
  port?: string;
  /** Open the browser (commander's `--no-open` sets false). */
  open: boolean;
  source?: string;
  /** The URL line (stdout). */
  print: (line: string) => void;
  /** Lines for the person (stderr). */
  log: (line: string) => void;
  /** Resolves when the server should stop (Ctrl-C). */
  stop: Promise<void>;
  /** The web build (dist/ui); by default next to this module's folder. */
  uiDir?: string;
}

export async function ui(options: UiOptions): Promise<Outcome> {
  const port = parseCount('port', options.port, 0, 65_535, '8484') ?? 0;
  if (options.source !== undefined && !(UI_SOURCES as readonly string[]).includes(options.source)) {
    throw new TraceError('BAD_ARGUMENT', `--source: ${JSON.stringify(options.source)} is not a source`, { hint: `use one of ${UI_SOURCES.join(', ')}, e.g. --source local` });
  }
  const repo = sessionsRepo(options.cwd);
  const store = openCaptureStore(repo, { report: options.log });
  try {
    let identity: Promise<Identity> | undefined;
    const me = () => (identity ??= gitIdentity(repo.root));
    // One refresh at a time: two requests at once must not read the same dirty rows twice.
    let freshening: Promise<unknown> = Promise.resolve();
    const prepare = async (): Promise<RequestContext> => {
      const now = new Date();
      const run = freshening.then(() => {
        // What Claude Code spooled since (its Write and Edit calls) comes in first.
        takeInSpooled(store, repo);
        return freshenSessions(repo, store, now, me);
      });
      freshening = run.catch(() => undefined);
      await run;
      return { now, agentNames: sessionsAgents.names, me: async () => (await me()).email };
    };
    const [{ sessionsApi }, { startUiServer }] = await Promise.all([import('../ui/api.js'), import('../ui/server.js')]);
    const api = sessionsApi({ repo, store, loadAgent: sessionsAgents.byName, prepare, source: options.source });
    const server = await startUiServer({ port, uiDir: options.uiDir ?? fileURLToPath(new URL('../ui/', import.meta.url)), api, log: options.log });
    options.print(`${server.url}\n`);
    options.log(`trace ui: serving the sessions of ${repo.root}${options.source && options.source !== 'all' ? ` (--source ${options.source})` : ''}; Ctrl-C stops it`);
    if (options.open) await openBrowser(server.url, options.log);
    await options.stop;
    await server.close();
    return { json: null, text: '' };
  } finally {
    store.close();
  }
}

async function openBrowser(url: string, log: (line: string) => void): Promise<void> {
  try {
    const { default: open } = await import('open');
    const child = await open(url);
    child.once('error', (error) => log(`trace ui: could not open a browser (${error.message}): open the URL above`));
  } catch (error) {
    log(`trace ui: could not open a browser (${(error as Error).message}): open the URL above`);
  }
}
