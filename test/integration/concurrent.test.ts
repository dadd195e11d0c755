// Several sessions in one repository at once (two terminals, parallel subagents), and a developer
// typing while an agent's command runs: each line goes to the call that can be shown to have written
// it, and what cannot be told apart is recorded as ambiguous rather than credited to one silently.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommitAttribution, FileAttribution } from '../../src/core/types.js';
import { FakeClaude, withoutGuardHooks } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { withStore } from '../support/store.js';

afterAll(cleanupTemps);

interface Handler {
  type?: string;
  command?: string;
}

/** The hook commands `trace init` configured for a Claude event, as Claude Code would run them. */
function hookCommands(repo: TestRepo, event: string): string[] {
  const settings = JSON.parse(readFileSync(join(repo.dir, '.claude', 'settings.json'), 'utf8')) as { hooks?: Record<string, { hooks?: Handler[] }[]> };
  return (settings.hooks?.[event] ?? []).flatMap((group) => (group.hooks ?? []).flatMap((handler) => (handler.type === 'command' && handler.command ? [handler.command] : [])));
}

/** Runs a hook command without blocking, so that many sessions' hooks run at once. */
function fireAsync(repo: TestRepo, command: string, payload: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: repo.dir, env: { ...repo.env, CLAUDE_PROJECT_DIR: repo.dir }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
    child.stdin.end(JSON.stringify(payload));
  });
}

/** Runs `jobs` with at most `limit` at a time (the machine has few cores; what matters is that the calls' windows overlap). */
async function inParallel<T>(items: readonly T[], limit: number, job: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await job(items[next++]!);
    }),
  );
}

interface Call {
  sessionId: string;
  toolName: string;
  input: Record<string, unknown>;
  effect: () => unknown;
}

/**
 * `calls` run at once: every pre hook, then every call's effect, then every post hook, so each call's
 * window (pre to post) overlaps all the others and each snapshot holds the other calls' writes.
 */
async function runAtOnce(repo: TestRepo, calls: readonly Call[], options: { postsInOrder?: boolean } = {}): Promise<void> {
  const pre = hookCommands(repo, 'PreToolUse');
  const post = hookCommands(repo, 'PostToolUse');
  const payloads = calls.map((call) => ({
    session_id: call.sessionId,
    transcript_path: join(repo.home, '.claude', 'projects', 'p', `${call.sessionId}.jsonl`),
    cwd: repo.dir,
    tool_name: call.toolName,
    tool_input: call.input,
    tool_use_id: `toolu_${randomUUID().slice(0, 12)}`,
  }));
  await inParallel(payloads, 8, async (payload) => {
    for (const command of pre) expect(await fireAsync(repo, command, { ...payload, hook_event_name: 'PreToolUse' })).toBe(0);
  });
  const responses = calls.map((call) => call.effect());
  await inParallel(
    payloads.map((payload, k) => ({ payload, response: responses[k] })),
    options.postsInOrder ? 1 : 8,
    async ({ payload, response }) => {
      for (const command of post) expect(await fireAsync(repo, command, { ...payload, hook_event_name: 'PostToolUse', tool_response: response ?? { success: true } })).toBe(0);
    },
  );
}

/** `calls` each run pre hook, effect, post hook in turn, all started at once: snapshots and edits interleave as they come. */
async function runInterleaved(repo: TestRepo, calls: readonly Call[]): Promise<void> {
  const pre = hookCommands(repo, 'PreToolUse');
  const post = hookCommands(repo, 'PostToolUse');
  await inParallel(calls, 16, async (call) => {
    const payload = {
      session_id: call.sessionId,
      transcript_path: join(repo.home, '.claude', 'projects', 'p', `${call.sessionId}.jsonl`),
      cwd: repo.dir,
      tool_name: call.toolName,
      tool_input: call.input,
      tool_use_id: `toolu_${randomUUID().slice(0, 12)}`,
    };
    for (const command of pre) expect(await fireAsync(repo, command, { ...payload, hook_event_name: 'PreToolUse' })).toBe(0);
    const response = call.effect();
    for (const command of post) expect(await fireAsync(repo, command, { ...payload, hook_event_name: 'PostToolUse', tool_response: response ?? { success: true } })).toBe(0);
  });
}

function show(repo: TestRepo): CommitAttribution {
  const result = repo.trace(['show', 'HEAD', '--json']);
  if (result.code !== 0) throw new Error(`trace show failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CommitAttribution;
}

function fileOf(repo: TestRepo, path: string): FileAttribution {
  const file = show(repo).files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not in HEAD`);
  return file;
}

/** The session credited with each 1-based line ('human' for a human line). */
function creditedLines(file: FileAttribution): Map<number, string> {
  const credited = new Map<number, string>();
  for (const range of file.lines) for (let line = range.start; line <= range.end; line++) credited.set(line, range.attribution === 'ai' ? range.session_id! : 'human');
  return credited;
}

/** An Edit the way Claude's Edit tool makes one: read the file, replace `old_string` once, write it back. */
function editCall(repo: TestRepo, sessionId: string, path: string, oldString: string, newString: string): Call {
  const file = join(repo.dir, path);
  return {
    sessionId,
    toolName: 'Edit',
    input: { file_path: file, old_string: oldString, new_string: newString, replace_all: false },
    effect: () => {
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(oldString, () => newString));
      // Claude Code's response carries the file as the tool read it: no pre hook runs for Edit.
      return { filePath: file, oldString, newString, originalFile: text, structuredPatch: [], userModified: false, replaceAll: false };
    },
  };
}

function bashCall(repo: TestRepo, sessionId: string, command: string): Call {
  return {
    sessionId,
    toolName: 'Bash',
    input: { command, description: 'run a command' },
    effect: () => {
      const result = repo.sh(command);
      if (result.code !== 0) throw new Error(`${command} failed: ${result.stderr}`);
      return { stdout: result.stdout, stderr: result.stderr, interrupted: false };
    },
  };
}

describe('sessions editing one file at once', () => {
  it.each([16, 64])('%i sessions each add a line to one file with Edit: every line goes to the session that wrote it', async (count) => {
    const repo = makeRepo({ initialFiles: { 'shared.txt': 'start\n// end\n' } });
    const sessions = Array.from({ length: count }, (_, k) => `session-${String(k).padStart(2, '0')}-${randomUUID().slice(0, 8)}`);
    await runAtOnce(
      repo,
      sessions.map((id, k) => editCall(repo, id, 'shared.txt', '// end\n', `line written by session ${k}\n// end\n`)),
    );
    repo.commit('many sessions');
    const committed = repo.read('shared.txt').split('\n');
    const credited = creditedLines(fileOf(repo, 'shared.txt'));
    let checked = 0;
    committed.forEach((text, index) => {
      const match = /^line written by session (\d+)$/.exec(text);
      if (!match) return;
      expect({ line: text, credited: credited.get(index + 1) }).toEqual({ line: text, credited: sessions[Number(match[1])] });
      checked++;
    });
    expect(checked).toBe(count);
  }, 240_000);

  // Here a post hook can even read the file while another session's write has truncated it (an
  // empty after-content): the line's own call never shows it, and its declaration settles it.
  it('16 sessions whose hooks and edits interleave as they come: every line goes to the session that wrote it', async () => {
    const repo = makeRepo({ initialFiles: { 'shared.txt': 'start\n// end\n' } });
    const sessions = Array.from({ length: 16 }, (_, k) => `mixed-${String(k).padStart(2, '0')}-${randomUUID().slice(0, 8)}`);
    await runInterleaved(
      repo,
      sessions.map((id, k) => editCall(repo, id, 'shared.txt', '// end\n', `line written by session ${k}\n// end\n`)),
    );
    repo.commit('many sessions, interleaved');
    const committed = repo.read('shared.txt').split('\n');
    const credited = creditedLines(fileOf(repo, 'shared.txt'));
    const wrong = committed.flatMap((text, index) => {
      const match = /^line written by session (\d+)$/.exec(text);
      return match && credited.get(index + 1) !== sessions[Number(match[1])] ? [`${text}: ${credited.get(index + 1)}`] : [];
    });
    expect(wrong).toEqual([]);
    expect(committed.filter((text) => text.startsWith('line written by'))).toHaveLength(16);
  }, 120_000);

  it('concurrent Write and MultiEdit calls each keep only the lines they declared', async () => {
    const repo = makeRepo({ initialFiles: { 'notes.txt': 'a\nb\n' } });
    const file = join(repo.dir, 'notes.txt');
    const writer = `writer-${randomUUID().slice(0, 8)}`;
    const editor = `editor-${randomUUID().slice(0, 8)}`;
    const writeContent = 'a\nb\nfrom the write\n';
    const edits = [{ old_string: 'a\n', new_string: 'a\nfrom the multiedit\n' }];
    await runAtOnce(repo, [
      { sessionId: writer, toolName: 'Write', input: { file_path: file, content: writeContent }, effect: () => writeFileSync(file, writeContent) },
      {
        sessionId: editor,
        toolName: 'MultiEdit',
        input: { file_path: file, edits },
        effect: () => writeFileSync(file, readFileSync(file, 'utf8').replace('a\n', 'a\nfrom the multiedit\n')),
      },
    ]);
    repo.commit('write and multiedit');
    expect(repo.read('notes.txt')).toBe('a\nfrom the multiedit\nb\nfrom the write\n');
    const credited = creditedLines(fileOf(repo, 'notes.txt'));
    expect(credited.get(2)).toBe(editor);
    expect(credited.get(4)).toBe(writer);
  }, 60_000);
});

describe('shell calls at once', () => {
  it('16 sessions each write their own file with Bash: each file goes to the session whose command names it', async () => {
    const repo = makeRepo();
    const sessions = Array.from({ length: 16 }, (_, k) => `bash-${k}-${randomUUID().slice(0, 8)}`);
    await runAtOnce(
      repo,
      sessions.map((id, k) => bashCall(repo, id, `echo ${k} > out-${k}.txt`)),
    );
    repo.commit('outputs');
    const attribution = show(repo);
    for (let k = 0; k < 16; k++) {
      const file = attribution.files.find((f) => f.path === `out-${k}.txt`)!;
      expect({ path: file.path, lines: file.lines, ambiguous: file.ambiguous }).toEqual({
        path: `out-${k}.txt`,
        lines: [{ start: 1, end: 1, attribution: 'ai', session_id: sessions[k] }],
        ambiguous: undefined,
      });
    }
    expect(attribution.session_ids).toEqual([...sessions].sort());
  }, 120_000);

  it('a file no command names, changed while two sessions ran commands that may write it, is recorded as ambiguous between them', async () => {
    const repo = makeRepo({ initialFiles: { 'gen.sh': 'echo generated > made.txt\n' } });
    const [one, two] = [`one-${randomUUID().slice(0, 8)}`, `two-${randomUUID().slice(0, 8)}`];
    await runAtOnce(repo, [bashCall(repo, one, 'sh gen.sh'), bashCall(repo, two, 'sh -c "true"')]);
    repo.commit('generated');
    const file = fileOf(repo, 'made.txt');
    expect(file.ambiguous).toEqual([{ start: 1, end: 1, session_ids: [one, two].sort(), human: false }]);
    // The lines are an agent's either way: ai, credited to the first candidate, the ambiguity beside it.
    expect(file.lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: [one, two].sort()[0] }]);
    // The attestation carries the ambiguity, valid against the predicate schema.
    const plan = repo.trace(['attest', '--dry-run', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('"ambiguous"');
  }, 60_000);
});

describe('a shell call and a file tool at once', () => {
  it("the lines another session's Edit declared stay that session's, though the shell call that ran meanwhile saw them appear", async () => {
    const repo = makeRepo({ initialFiles: { 'app.txt': 'one\n' } });
    const [editor, runner] = [`editor-${randomUUID().slice(0, 8)}`, `runner-${randomUUID().slice(0, 8)}`];
    // The shell call's post hook is stored last, so its snapshot, which holds the edit, is replayed last.
    await runAtOnce(repo, [editCall(repo, editor, 'app.txt', 'one\n', 'one\nadded by the edit\n'), bashCall(repo, runner, 'sh -c "true"')], { postsInOrder: true });
    repo.commit('edit during a command');
    expect(fileOf(repo, 'app.txt').lines).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: editor }]);
  }, 60_000);

  // No pre hook runs for Edit: its window starts before its post hook by the call's duration and a
  // slack, so an edit made while the command ran overlaps it even when the command's post hook ran first.
  it("an Edit whose post hook comes after the shell call's overlaps it: its window reaches back over the command", () => {
    const repo = makeRepo({ initialFiles: { 'app.txt': 'one\n' } });
    withoutGuardHooks(repo.dir);
    const editor = new FakeClaude(repo);
    const runner = new FakeClaude(repo);
    const file = join(repo.dir, 'app.txt');
    const bash = { tool_name: 'Bash', tool_input: { command: 'sh -c "true"', description: 'run' }, tool_use_id: 'toolu_runner' };
    expect(runner.fire('PreToolUse', bash).map((r) => r.code)).toEqual([0]);
    const edit = { tool_name: 'Edit', tool_input: { file_path: file, old_string: 'one\n', new_string: 'one\nadded by the edit\n' }, tool_use_id: 'toolu_editor' };
    expect(editor.fire('PreToolUse', edit)).toEqual([]);
    writeFileSync(file, 'one\nadded by the edit\n');
    runner.fire('PostToolUse', { ...bash, tool_response: { stdout: '', stderr: '', interrupted: false }, duration_ms: 20 });
    editor.fire('PostToolUse', { ...edit, tool_response: { filePath: file, originalFile: 'one\n', structuredPatch: [], userModified: false }, duration_ms: 3 });
    // The windows overlap: the Edit's starts before the command's post hook.
    const [edited, ran] = withStore(repo, (store) => [store.toolCalls(editor.sessionId)[0]!, store.toolCalls(runner.sessionId)[0]!]);
    expect(edited.started_at! < ran.ended_at!).toBe(true);
    repo.commit('edit during a command, stored after it');
    expect(fileOf(repo, 'app.txt').lines).toEqual([{ start: 2, end: 2, attribution: 'ai', session_id: editor.sessionId }]);
  }, 60_000);
});

describe('a developer typing while an agent command runs', () => {
  it("a line the developer writes during the agent's `sleep` is not the agent's: it is human, ambiguous with the session", () => {
    const repo = makeRepo({ initialFiles: { 'notes.md': '# notes\n' } });
    const agent = new FakeClaude(repo);
    agent.tool('Bash', { command: 'sleep 0.1 && git status --short', description: 'wait' }, () => {
      repo.write('notes.md', '# notes\ntyped by the developer\n');
      return { stdout: '', stderr: '', interrupted: false };
    });
    repo.commit('notes');
    const file = fileOf(repo, 'notes.md');
    expect(file.lines).toEqual([{ start: 2, end: 2, attribution: 'human' }]);
    expect(file.ambiguous).toEqual([{ start: 2, end: 2, session_ids: [agent.sessionId], human: true }]);
  });

  it('the ambiguity is carried by an amend, not resolved to the range it shares', () => {
    const repo = makeRepo({ initialFiles: { 'notes.md': '# notes\n' } });
    const agent = new FakeClaude(repo);
    agent.tool('Bash', { command: 'sleep 0.1', description: 'wait' }, () => {
      repo.write('notes.md', '# notes\ntyped by the developer\n');
      return { stdout: '', stderr: '', interrupted: false };
    });
    repo.commit('notes');
    repo.git(['commit', '-q', '--amend', '-m', 'notes, reworded']);
    expect(fileOf(repo, 'notes.md').ambiguous).toEqual([{ start: 2, end: 2, session_ids: [agent.sessionId], human: true }]);
  });

  it('a file the command names, or that a command which can write files changed, stays the agent’s', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.bash('printf "named\\n" > named.txt');
    repo.write('gen.sh', 'printf "made\\n" > unnamed.txt\n');
    agent.bash('sh gen.sh');
    repo.commit('outputs', ['named.txt', 'unnamed.txt']);
    expect(fileOf(repo, 'named.txt').lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    const unnamed = fileOf(repo, 'unnamed.txt');
    expect(unnamed.lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(unnamed.ambiguous).toBeUndefined();
  });
});
