// What a pushed attestation holds under each transcript retention level: the default keeps prompts
// and commands but no file contents and no absolute path; `full` keeps everything.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

const WRITTEN = 'export const greeting = "hello from a private file";\n';

/** A Claude transcript with a prompt, a Write, an Edit and a Bash command naming the home directory and the repository. */
function transcript(repo: TestRepo, sessionId: string): string {
  const base = { sessionId, cwd: repo.dir, version: '2.1.240', gitBranch: 'main', userType: 'external', isSidechain: false };
  const usage = { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const call = (n: number, name: string, input: Record<string, unknown>) => ({
    ...base,
    type: 'assistant',
    uuid: `a${n}`,
    requestId: `r${n}`,
    timestamp: `2026-11-20T10:00:0${n}.000Z`,
    message: { id: `m${n}`, role: 'assistant', model: 'claude-opus-4-8', content: [{ type: 'tool_use', id: `toolu_${n}`, name, input }], usage },
  });
  return [
    { ...base, type: 'user', uuid: 'u1', timestamp: '2026-11-20T10:00:00.000Z', message: { role: 'user', content: 'add a greeting' } },
    call(1, 'Write', { file_path: join(repo.dir, 'greeting.ts'), content: WRITTEN }),
    call(2, 'Edit', { file_path: join(repo.dir, 'greeting.ts'), old_string: 'hello from a private file', new_string: 'hello from an edited private file' }),
    call(3, 'Bash', { command: `cat ${repo.home}/.ssh/config > /dev/null; ls ${repo.dir}/src ${repo.dir}`, description: 'look around' }),
  ]
    .map((line) => JSON.stringify(line))
    .join('\n');
}

function pushSession(retention: 'none' | 'prompts' | 'full' | undefined): { repo: TestRepo; payload: string; session: { raw_session?: { main: Record<string, unknown>[] } } } {
  const repo = makeRepo();
  if (retention) repo.write('.chainloop.yml', `trace:\n  transcripts:\n    retention: ${retention}\n`);
  const agent = new FakeClaude(repo);
  mkdirSync(dirname(agent.transcriptPath), { recursive: true });
  writeFileSync(agent.transcriptPath, transcript(repo, agent.sessionId));
  agent.start('claude-opus-4-8');
  agent.prompt('add a greeting');
  agent.write('greeting.ts', WRITTEN);
  agent.edit('greeting.ts', 'hello from a private file', 'hello from an edited private file');
  agent.bash(`ls ${repo.dir} > /dev/null`);
  const sha = repo.commit('greeting');
  repo.git(['push', '-q', 'origin', 'main']);
  const line = remoteNoteLines(repo, sha)[0]!;
  const payload = Buffer.from((JSON.parse(line) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8');
  const statement = decodeStatement(line);
  return { repo, payload, session: statement.predicate.sessions[0] as { raw_session?: { main: Record<string, unknown>[] } } };
}

describe('transcript retention', () => {
  it('by default pushes no file contents and no absolute path, and keeps prompts and commands with relative paths', () => {
    const { repo, payload, session } = pushSession(undefined);
    expect(payload).not.toContain('hello from a private file');
    expect(payload).not.toContain('hello from an edited private file');
    expect(payload).not.toContain(repo.home);
    expect(payload).not.toContain(repo.dir);
    const main = session.raw_session!.main;
    expect(main).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'prompt', text: 'add a greeting' })]));
    const byName = (name: string) => main.find((e) => e.type === 'tool_call' && e.name === name) as { input: Record<string, unknown> };
    const bytes = Buffer.byteLength(WRITTEN);
    const blob = repo.git(['hash-object', '--stdin'], { input: WRITTEN }).stdout.trim();
    expect(byName('Write').input).toEqual({ file_path: 'greeting.ts', content: { bytes, lines: 1, blob } });
    expect(byName('Edit').input).toMatchObject({ file_path: 'greeting.ts', old_string: { bytes: 25, lines: 1 }, new_string: { lines: 1 } });
    expect(byName('Bash').input.command).toBe('cat ~/.ssh/config > /dev/null; ls src .');
  });

  it('the same holds for what the hooks recorded when the transcript is gone', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('greeting.ts', WRITTEN);
    agent.bash(`cat ${repo.home}/notes.txt ${repo.dir}/greeting.ts > /dev/null`);
    const sha = repo.commit('greeting');
    repo.git(['push', '-q', 'origin', 'main']);
    const line = remoteNoteLines(repo, sha)[0]!;
    const payload = Buffer.from((JSON.parse(line) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8');
    expect(payload).not.toContain('hello from a private file');
    expect(payload).not.toContain(repo.home);
    const main = (decodeStatement(line).predicate.sessions[0] as unknown as { raw_session: { main: { name?: string; input?: Record<string, unknown> }[] } }).raw_session.main;
    expect(main.find((e) => e.name === 'Write')!.input).toMatchObject({ file_path: 'greeting.ts', content: { bytes: Buffer.byteLength(WRITTEN), lines: 1 } });
    expect(main.find((e) => e.name === 'Bash')!.input!.command).toBe('cat ~/notes.txt greeting.ts > /dev/null');
  });

  it('none keeps no conversation and no absolute path', () => {
    const { repo, payload, session } = pushSession('none');
    expect(session.raw_session).toBeUndefined();
    expect(payload).not.toContain(repo.dir);
    expect(payload).not.toContain(repo.home);
    expect(payload).not.toContain('add a greeting');
  });

  it('full keeps the contents', () => {
    const { repo, payload } = pushSession('full');
    expect(payload).toContain('hello from a private file');
    expect(payload).toContain(`${repo.dir}/greeting.ts`);
    expect(payload).toContain('hello from an edited private file');
  });

  it('a forbidden command is still caught by trace verify under the default retention', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    forbiddenCommands:\n      patterns: ["ls src"]\n');
    repo.commit('policy');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start();
    agent.bash(`mkdir -p ${repo.dir}/src && echo x > ${repo.dir}/src/x.txt && ls ${repo.dir}/src`);
    repo.commit('work');
    repo.git(['push', '-q', 'origin', 'main']);
    const verified = repo.trace(['verify', 'HEAD~1..HEAD', '--json']);
    const result = JSON.parse(verified.stdout) as { violations: { rule: string; evidence: string }[] };
    expect(result.violations).toEqual([expect.objectContaining({ rule: 'forbiddenCommands', evidence: expect.stringContaining('ls src') as unknown })]);
  });
});
