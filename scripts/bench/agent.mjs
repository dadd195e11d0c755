// Set-up helpers shared by the attribution, push and verify sections: an agent that makes real
// captures fast, code-like file contents, commits, and reading the store back.
//
// BenchAgent calls the real capture code (`runHook` of dist/commands/hook.js, what `trace hook claude …`
// runs) in this process, with Claude Code-shaped payloads, so thousands of tool calls take seconds
// instead of two Node start-ups each. The capture section times the hook processes themselves; here
// the captures are only the input of what is timed. It also writes a transcript like Claude Code's
// (a prompt, then an assistant tool_use with usage and its tool_result per call), so evidence
// building reads one of realistic length.
import { Buffer } from 'node:buffer';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runHook } from '../../dist/commands/hook.js';
import { Store } from '../../dist/store.js';
import { PACKAGE_ROOT, timedSpawn } from './util.mjs';

export const MODEL = 'claude-opus-4-8';

export class BenchAgent {
  constructor(repo, sessionId) {
    this.repo = repo;
    this.sessionId = sessionId;
    this.transcriptPath = join(repo.home, '.claude', 'projects', 'bench', `${sessionId}.jsonl`);
    this.calls = 0;
    this.messages = 0;
    this.clock = Date.parse('2026-01-05T09:00:00Z');
  }

  async fire(event, hookEvent, fields) {
    const payload = { session_id: this.sessionId, transcript_path: this.transcriptPath, cwd: this.repo.dir, permission_mode: 'acceptEdits', hook_event_name: hookEvent, ...fields };
    await runHook({ agent: 'claude', event, payload: Buffer.from(JSON.stringify(payload)), cwd: this.repo.dir, now: () => new Date() });
  }

  transcript(entry) {
    this.clock += 1500;
    const line = { sessionId: this.sessionId, cwd: this.repo.dir, version: '2.1.240', gitBranch: 'main', uuid: `u${++this.messages}`, timestamp: new Date(this.clock).toISOString(), ...entry };
    appendFileSync(this.transcriptPath, `${JSON.stringify(line)}\n`);
  }

  async start() {
    mkdirSync(dirname(this.transcriptPath), { recursive: true });
    writeFileSync(this.transcriptPath, '');
    await this.fire('session-start', 'SessionStart', { source: 'startup', model: MODEL });
  }

  async prompt(text) {
    this.transcript({ type: 'user', message: { role: 'user', content: text } });
    await this.fire('user-prompt-submit', 'UserPromptSubmit', { prompt: text, prompt_id: `p${this.messages}` });
  }

  async end() {
    await this.fire('session-end', 'SessionEnd', { reason: 'prompt_input_exit' });
  }

  /** One tool call: pre hook, `effect()` on disk, post hook; recorded in the transcript. */
  async tool(name, input, effect, response) {
    const id = `toolu_${this.sessionId}_${String(++this.calls).padStart(5, '0')}`;
    this.transcript({
      type: 'assistant',
      requestId: `req_${this.calls}`,
      message: {
        id: `msg_${this.sessionId}_${this.calls}`,
        type: 'message',
        role: 'assistant',
        model: MODEL,
        content: [{ type: 'tool_use', id, name, input }],
        stop_reason: 'tool_use',
        usage: { input_tokens: 6, cache_creation_input_tokens: 400, cache_read_input_tokens: 20_000 + this.calls * 50, output_tokens: 120, service_tier: 'standard' },
      },
    });
    await this.fire('pre-tool-use', 'PreToolUse', { tool_name: name, tool_input: input, tool_use_id: id });
    effect();
    await this.fire('post-tool-use', 'PostToolUse', { tool_name: name, tool_input: input, tool_use_id: id, tool_response: response });
    this.transcript({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] } });
  }

  async write(files, path, lines) {
    const file = join(this.repo.dir, path);
    const content = text(lines);
    await this.tool('Write', { file_path: file, content }, () => files.set(this.repo, path, lines), { type: 'create', filePath: file, content });
  }

  /** Replaces line `at` of `path` with `replacement` (an array of lines) through an Edit call. */
  async edit(files, path, at, replacement) {
    const file = join(this.repo.dir, path);
    const lines = files.get(path);
    const before = text(lines);
    const next = [...lines.slice(0, at), ...replacement, ...lines.slice(at + 1)];
    const input = { file_path: file, old_string: lines[at], new_string: replacement.join('\n'), replace_all: false };
    await this.tool('Edit', input, () => files.set(this.repo, path, next), { filePath: file, oldString: input.old_string, newString: input.new_string, originalFile: before, structuredPatch: [], userModified: false, replaceAll: false });
  }
}

/** The work tree's files as line arrays, written through on every change. */
export class Files {
  constructor() {
    this.map = new Map();
  }

  get(path) {
    return this.map.get(path);
  }

  set(repo, path, lines) {
    this.map.set(path, lines);
    repo.write(path, text(lines));
  }
}

// ---- contents ----

let serial = 0;

/** A code-like line, unique (so an Edit's old_string names one place). */
export function codeLine(rand, tag) {
  const indent = '  '.repeat(1 + Math.floor(rand() * 3));
  return `${indent}const v${Math.floor(rand() * 1e9)} = compute(${tag}, ${Math.floor(rand() * 1000)}); // ${tag}:${++serial}`;
}

export function codeLines(rand, count, tag) {
  return Array.from({ length: count }, () => codeLine(rand, tag));
}

export const text = (lines) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

// ---- git ----

export const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

/** Commits everything; `hooks: false` keeps trace's (and every) hook out. Returns the timed result. */
export function commitAll(repo, message, { hooks = true, env } = {}) {
  repo.git(['add', '-A']);
  const result = timedSpawn('git', [...(hooks ? [] : NO_HOOKS), 'commit', '-q', '-m', message], { cwd: repo.dir, env: { ...repo.env, ...env } });
  if (result.code !== 0) throw new Error(`git commit failed (${result.code}): ${result.stderr}`);
  return result;
}

export function headSha(repo, rev = 'HEAD') {
  return repo.git(['rev-parse', rev]).stdout.trim();
}

/** A bare repository next to the work tree, registered as `origin`. */
export function addRemote(repo) {
  const remote = join(repo.base, 'remote.git');
  repo.git(['init', '-q', '--bare', remote]);
  repo.git(['remote', 'add', 'origin', remote]);
  return remote;
}

/** Runs `trace …` and fails loudly when it did not succeed: a figure of a failed run means nothing. */
export function traceOk(repo, args, input) {
  const result = repo.trace(args, input);
  if (result.code !== 0 || result.error) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr || result.error?.message}`);
  return result;
}

// ---- the store ----

/** Calls `fn(store)` with trace's store of `repo` open (the dist/ Store class). */
export function withStore(repo, fn) {
  const store = Store.open(repo.stateDir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/**
 * The agents' tool calls in the store, all and done. Observations of the work tree (after a
 * `git reset`, recorded by the reference-transaction hook under session '') are not counted.
 */
export function captureCheck(repo) {
  const require = createRequire(join(PACKAGE_ROOT, 'package.json'));
  const Database = require('better-sqlite3');
  const db = new Database(join(repo.stateDir, 'trace.db'), { readonly: true });
  try {
    return db.prepare("SELECT count(*) AS calls, coalesce(sum(status = 'done'), 0) AS done FROM tool_calls WHERE session_id <> ''").get();
  } finally {
    db.close();
  }
}

/** ai/human added lines of a set of commits, from the attribution trace stored for them. */
export function lineTotals(repo, shas) {
  return withStore(repo, (store) => {
    const totals = { commits: 0, missing: 0, ai: 0, human: 0 };
    for (const sha of shas) {
      const attribution = store.commit(sha);
      if (!attribution) {
        totals.missing++;
        continue;
      }
      totals.commits++;
      for (const file of attribution.files) {
        totals.ai += file.ai_lines_added ?? 0;
        totals.human += file.human_lines_added ?? 0;
      }
    }
    return totals;
  });
}

/** Lines trace logged as errors or warnings (a capture or hook that failed quietly shows up here). */
export function logProblems(repo) {
  const path = join(repo.stateDir, 'log.txt');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => / (error|warn) /.test(line));
}
