// Redaction through the real pre-push: every secret family, placed in prompts, Bash commands,
// Write/Edit contents, assistant text and tool output, at each retention level. Nothing of a secret
// reaches the remote in any form (raw or JSON-escaped, in the note or in its decoded DSSE payload),
// and the structural ids and hashes a session is read by all arrive intact.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { fake, secretCases, structuralCases } from '../support/secrets.js';

afterAll(cleanupTemps);

type Retention = 'none' | 'prompts' | 'full';
const B58 = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789';
const HEX = '0123456789abcdef';

/** Secrets placed so that the 2,000-character cut of `prompts` retention falls inside them. */
function acrossTheCut(): { secret: string; command: string }[] {
  return [1985, 1993, 1999].map((at, i) => {
    const secret = `${'gh'}p_${fake(36, 700 + i)}`;
    const lead = `echo start && export GITHUB_TOKEN=`;
    return { secret, command: `${'#'.repeat(at - lead.length)}\n${lead}${secret} && echo done`.slice(1) };
  });
}

interface Built {
  transcript: string;
  structural: string[];
}

/** A Claude transcript holding every family in every place, with real-looking structural ids around them. */
function transcript(repo: TestRepo, sessionId: string): Built {
  let n = 0;
  const uuid = (): string => `${fake(8, 3000 + n, HEX)}-${fake(4, 3100 + n, HEX)}-4${fake(3, 3200 + n, HEX)}-a${fake(3, 3300 + n, HEX)}-${fake(12, 3400 + n, HEX)}`;
  const structural: string[] = [];
  const base = { sessionId, cwd: repo.dir, version: '2.1.240', gitBranch: 'main', userType: 'external', isSidechain: false };
  const usage = { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const lines: object[] = [];
  const stamp = (): string => `2026-11-20T10:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}.000Z`;
  const user = (content: unknown): void => {
    n++;
    const id = uuid();
    structural.push(id);
    lines.push({ ...base, type: 'user', uuid: id, timestamp: stamp(), message: { role: 'user', content } });
  };
  const assistant = (content: object[]): void => {
    n++;
    const id = uuid();
    const msg = `msg_01${fake(22, 4000 + n, B58)}`;
    const req = `req_011C${fake(20, 5000 + n, B58)}`;
    structural.push(id, msg, req);
    lines.push({ ...base, type: 'assistant', uuid: id, requestId: req, timestamp: stamp(), message: { id: msg, role: 'assistant', model: 'claude-opus-4-8', content, usage } });
  };
  const toolUse = (name: string, input: Record<string, unknown>, output: unknown): void => {
    const id = `toolu_01${fake(22, 6000 + n, B58)}`;
    structural.push(id);
    assistant([{ type: 'tool_use', id, name, input }]);
    user([{ type: 'tool_result', tool_use_id: id, content: output }]);
  };
  const file = join(repo.dir, 'notes.md');
  for (const c of secretCases()) {
    user(`please use this: ${c.text}`);
    assistant([{ type: 'text', text: `Understood, I will use ${c.text}` }]);
    toolUse('Bash', { command: c.text, description: c.family }, `ran: ${c.text}`);
    toolUse('Write', { file_path: file, content: `# config\n${c.text}\n` }, `File created successfully at: ${file}`);
    toolUse('Edit', { file_path: file, old_string: '# config', new_string: `# config\n${c.text}` }, [{ type: 'text', text: `edited; output:\n${c.text}` }]);
  }
  for (const { command } of acrossTheCut()) toolUse('Bash', { command, description: 'a long command' }, 'ok');
  // Structural ids and hashes in a prompt, a command and tool output, and an image block.
  for (const s of structuralCases()) {
    user(`look at ${s.text}`);
    toolUse('Bash', { command: `echo '${s.text}'`, description: s.kind }, s.text);
    structural.push(s.token);
  }
  const image = fake(400, 8000, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  toolUse('Read', { file_path: join(repo.dir, 'shot.png') }, [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } }]);
  structural.push(image);
  return { transcript: lines.map((line) => JSON.stringify(line)).join('\n'), structural };
}

/** Every run of 8 characters of the secret (the whole of a shorter one). */
function pieces(secret: string): string[] {
  if (secret.length <= 8) return [secret];
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

/** The forms a secret could take on the remote: raw and JSON-escaped (once and twice). */
function forms(text: string): string[] {
  const once = JSON.stringify(text).slice(1, -1);
  return [...new Set([text, once, JSON.stringify(once).slice(1, -1)])];
}

const ENTROPY_NAME = `src/${fake(26, 9100, B58)}.ts`;

function push(retention: Retention): { repo: TestRepo; note: string; payload: string; built: Built } {
  const repo = makeRepo();
  repo.write('.chainloop.yml', `trace:\n  transcripts:\n    retention: ${retention}\n`);
  const agent = new FakeClaude(repo);
  const built = transcript(repo, agent.sessionId);
  mkdirSync(dirname(agent.transcriptPath), { recursive: true });
  writeFileSync(agent.transcriptPath, built.transcript);
  agent.start('claude-opus-4-8');
  const cases = secretCases();
  agent.prompt(`please use this: ${cases.map((c) => c.text).join('\n')}`);
  agent.write('notes.md', '# config\n');
  agent.write(ENTROPY_NAME, 'export const a = 1;\n');
  const sha = repo.commit('notes');
  repo.git(['push', '-q', 'origin', 'main']);
  const note = remoteNoteLines(repo, sha)[0];
  if (note === undefined) throw new Error(`no note was pushed for ${sha}`);
  const payload = Buffer.from((JSON.parse(note) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8');
  return { repo, note, payload, built };
}

function leaks(texts: readonly string[]): string[] {
  const secrets = [...secretCases().map((c) => ({ family: c.family, secret: c.secret })), ...acrossTheCut().map((c) => ({ family: 'across the 2,000-character cut', secret: c.secret }))];
  const found: string[] = [];
  for (const { family, secret } of secrets) {
    for (const piece of pieces(secret)) {
      for (const form of forms(piece)) {
        if (texts.some((t) => t.includes(form))) found.push(`${family}: ${JSON.stringify(form)} of ${JSON.stringify(secret)}`);
      }
    }
  }
  return [...new Set(found)];
}

describe.each(['none', 'prompts', 'full'] as const)('redaction through pre-push, retention %s', (retention) => {
  let pushed: ReturnType<typeof push>;
  let statement: ReturnType<typeof decodeStatement>;
  beforeAll(() => {
    pushed = push(retention);
    statement = decodeStatement(pushed.note);
  }, 60_000);

  it('lets no secret, nor any 8 characters of one, reach the remote', () => {
    expect(leaks([pushed.note, pushed.payload])).toEqual([]);
  });

  it('leaves every structural id, hash, image and temporary path that is kept intact', () => {
    const wanted = retention === 'none' ? [] : pushed.built.structural.filter((token) => retention === 'full' || !/^(?:msg_|req_)/.test(token));
    const missing = wanted.filter((token) => !pushed.payload.includes(token));
    // `prompts` keeps prompts and tool calls (their ids), not message ids, tool output or images.
    const kept = retention === 'prompts' ? missing.filter((token) => !pushed.built.transcript.includes(`"data":"${token}"`) && !/^[0-9a-f]{8}-/.test(token)) : missing;
    expect(kept).toEqual([]);
    expect(wanted.length - missing.length).toBeGreaterThan(retention === 'none' ? -1 : 100);
    expect(pushed.payload).not.toMatch(/"toolu_[^"]*\[REDACTED/);
  });

  it('publishes a file path the same in commits[].files[] and in the session', () => {
    const commitPaths = statement.predicate.commits.flatMap((c) => c.files.map((f) => f.path));
    const session = statement.predicate.sessions[0] as unknown as { code_changes: { files: { path: string }[] } };
    expect(commitPaths).toContain(ENTROPY_NAME);
    const sessionPaths = session.code_changes.files.map((f) => f.path);
    expect(sessionPaths).toContain(ENTROPY_NAME);
    for (const path of sessionPaths) expect(commitPaths).toContain(path);
  });

  it('counts what it redacted in the predicate', () => {
    if (retention !== 'none') expect(statement.predicate.redaction.total).toBeGreaterThan(secretCases().length);
  });
});

describe('redaction without the transcript (what the hooks recorded)', () => {
  it('redacts prompts and commands before cutting them', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo, { transcriptPath: join(repo.home, 'gone.jsonl') });
    agent.start();
    agent.prompt(secretCases().map((c) => c.text).join('\n'));
    // Commands as the hooks see them; the effect is not run (they would reach for real services).
    agent.tool('Bash', { command: secretCases().map((c) => c.text).join('\n') }, () => ({ stdout: '' }));
    for (const { command } of acrossTheCut()) agent.tool('Bash', { command }, () => ({ stdout: '' }));
    agent.write('a.ts', 'export const a = 1;\n');
    const sha = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const note = remoteNoteLines(repo, sha)[0]!;
    const payload = Buffer.from((JSON.parse(note) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8');
    expect(leaks([note, payload])).toEqual([]);
    expect(payload).toContain('more characters not retained');
  });
});
