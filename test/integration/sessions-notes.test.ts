// Teammates' attested sessions (`trace sessions --source notes|local|all`): a teammate's clone runs
// sessions through the installed Claude Code hooks, commits and pushes with key signing; a fresh clone
// fetches the notes and lists them verified, by the key that signed them, with the per-turn usage the
// attestation carries. A bundle re-signed by an untrusted key and one whose payload was altered are
// listed as unverified with their reasons; a second listing verifies nothing again.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionShowSchema, sessionsListSchema } from '../../src/sessions/schema.js';
import { loadOrCreateKey } from '../../src/signing/key.js';
import { signStatement } from '../../src/signing/sign.js';
import { decodeStatement, NOTES, remoteNoteLines, repoKeys } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, tempDir, type TestRepo } from '../support/repo.js';
import { type SigstoreServices, startSigstoreServices } from '../support/sigstore-services.js';

interface Attestation {
  status: 'verified' | 'unverified' | 'none';
  signer: { kind: 'key'; key_id: string; owner: string | null } | { kind: 'keyless'; subject: string; issuer: string } | null;
  reason: string | null;
}
interface Row {
  id: string;
  source: 'local' | 'notes';
  attestation: Attestation;
  agent: { name: string };
  models: string[];
  initiator: { name: string | null; email: string | null };
  threads: number;
  tool_calls: { total: number; errors: number };
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  code: { commits: number; lines_added: number; ai_lines_added: number };
}
interface Page {
  sessions: Row[];
  count: number;
}
interface Show {
  session: Row;
  threads: { idx: number; prompt: string | null; token_usage: Row['token_usage']; tool_calls: { total: number; errors: number }; steps: { kind: string; tool_use_id?: string; tool?: string; status?: string }[] }[];
  commits: { sha: string; ai_lines_added: number; attested: boolean }[];
  warnings: string[];
  attestations: { digest: string; status: string; signer: Attestation['signer']; reason: string | null; commits: string[] }[];
}
interface ByThread {
  idx: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  tool_calls: number;
  tool_errors: number;
}

const GOOD = 'aaaa0001-0000-4000-8000-00000000000a';
const UNTRUSTED = 'bbbb0002-0000-4000-8000-00000000000b';
const TAMPERED = 'cccc0003-0000-4000-8000-00000000000c';

let teammate: TestRepo;
let clone: string;
let keyId: string;
const commits: Record<string, string> = {};

function json<T>(args: string[], cwd: string): T {
  const result = teammate.trace([...args, '--json'], { cwd });
  if (result.code !== 0) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A session through the hooks (a prompt, a write, a failing command; a second prompt) with a transcript that has its per-response usage. */
function session(id: string, file: string, dir: string): void {
  const path = join(dir, `${id}.jsonl`);
  const agent = new FakeClaude(teammate, { sessionId: id, transcriptPath: path });
  agent.start('claude-sonnet-4-5');
  agent.prompt(`write ${file}`);
  const write = agent.write(file, 'one\ntwo\nthree\n');
  const bash = agent.bash('echo nope >&2; exit 2');
  agent.prompt('now explain it');
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const usage = (input: number, output: number, read: number, write: number) => ({ input_tokens: input, output_tokens: output, cache_read_input_tokens: read, cache_creation_input_tokens: write });
  const lines = [
    { type: 'user', uuid: 'u1', timestamp: at(0), message: { role: 'user', content: `write ${file}` } },
    { type: 'assistant', timestamp: at(1), message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: write, name: 'Write', input: { file_path: file } }], usage: usage(120, 40, 900, 300) } },
    { type: 'user', uuid: 'u2', timestamp: at(2), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: write, content: 'ok' }] } },
    { type: 'assistant', timestamp: at(3), message: { id: 'm2', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: bash, name: 'Bash', input: { command: 'echo nope' } }], usage: usage(15, 60, 1200, 0) } },
    { type: 'user', uuid: 'u3', timestamp: at(4), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: bash, content: 'nope', is_error: true }] } },
    { type: 'user', uuid: 'u4', timestamp: at(5), message: { role: 'user', content: 'now explain it' } },
    { type: 'assistant', timestamp: at(6), message: { id: 'm3', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'it writes three lines' }], usage: usage(7, 90, 1500, 20) } },
  ];
  writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  agent.end();
}

/** Replaces the note of `commit` in the teammate's clone and force-pushes the notes ref. */
function replaceNote(commit: string, line: string): void {
  teammate.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', commit], { input: `${line}\n` });
  teammate.git(['push', '-q', '--no-verify', '-f', 'origin', `${NOTES}:${NOTES}`]);
}

beforeAll(async () => {
  teammate = makeRepo();
  teammate.git(['config', 'user.name', 'Ada']);
  teammate.git(['config', 'user.email', 'ada@example.com']);
  teammate.commit('trace set up');
  teammate.git(['push', '-q', 'origin', 'main']);
  keyId = [...repoKeys(teammate).keys()][0]!;
  const dir = tempDir('trace-notes-transcripts-');
  for (const [id, file] of [[GOOD, 'src/good.ts'], [UNTRUSTED, 'src/untrusted.ts'], [TAMPERED, 'src/tampered.ts']] as const) {
    session(id, file, dir);
    commits[id] = teammate.commit(`work of ${id.slice(0, 4)}`);
    const push = teammate.git(['push', 'origin', 'main']);
    if (!push.stderr.includes('trace: attested')) throw new Error(`push not attested: ${push.stderr}`);
  }
  // Re-signed with a key nobody trusts.
  const statement = decodeStatement(remoteNoteLines(teammate, commits[UNTRUSTED]!)[0]!);
  const stranger = await loadOrCreateKey(tempDir('trace-stranger-key-'));
  replaceNote(commits[UNTRUSTED]!, JSON.stringify(await signStatement(statement, { mode: 'key', key: stranger })));
  // Its payload altered after signing: the session's output tokens inflated.
  const line = remoteNoteLines(teammate, commits[TAMPERED]!)[0]!;
  const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
  const altered = decodeStatement(line);
  (altered.predicate.sessions[0] as unknown as { usage: { output_tokens: number } }).usage.output_tokens = 1_000_000;
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(altered)).toString('base64');
  replaceNote(commits[TAMPERED]!, JSON.stringify(bundle));

  clone = join(tempDir('trace-notes-clone-'), 'clone');
  teammate.git(['clone', '-q', teammate.remote, clone]);
}, 180_000);

afterAll(() => cleanupTemps());

describe('teammates’ sessions from the notes, in a fresh clone', () => {
  it('trace fetch fetches the notes and indexes every bundle once', () => {
    const fetched = json<{ merged: boolean; sessions_index: { bundles: number; verified: number; unverified: number; checked_now: number } }>(['fetch'], clone);
    expect(fetched.merged).toBe(true);
    // The set-up push (adoption: nothing at its base vouches for a key), the good one, the two bad ones.
    expect(fetched.sessions_index).toMatchObject({ bundles: 4, verified: 1, unverified: 3, checked_now: 4 });
    const again = json<{ sessions_index: { checked_now: number; bundles: number } }>(['fetch'], clone);
    expect(again.sessions_index).toMatchObject({ checked_now: 0, bundles: 4 });
  });

  it('lists the teammate’s session verified, signed by their key, with what the attestation holds', () => {
    const page = json<Page>(['sessions', '--source', 'notes'], clone);
    expect(sessionsListSchema.parse(page)).toEqual(page);
    expect(page.sessions.map((s) => s.id).sort()).toEqual([GOOD, UNTRUSTED, TAMPERED].sort());
    const good = page.sessions.find((s) => s.id === GOOD)!;
    expect(good).toMatchObject({
      source: 'notes',
      attestation: { status: 'verified', signer: { kind: 'key', key_id: keyId, owner: 'Dev <dev@example.com>' }, reason: null },
      agent: { name: 'claude-code' },
      models: ['claude-sonnet-4-5'],
      initiator: { email: 'ada@example.com' },
      threads: 2,
      code: { commits: 1, lines_added: 3, ai_lines_added: 3 },
    });
    expect(good.token_usage).toEqual({ input: 142, cache_read: 3600, cache_write: 320, output: 190 });
    expect(json<Page>(['sessions', '--source', 'local'], clone).sessions).toEqual([]);
    expect(json<Page>(['sessions'], clone).count).toBe(3);
    // Filters work on them like on local sessions.
    expect(json<Page>(['sessions', '--commit', commits[GOOD]!.slice(0, 8)], clone).sessions.map((s) => s.id)).toEqual([GOOD]);
    expect(json<Page>(['sessions', '--file', 'src/good.ts'], clone).sessions.map((s) => s.id)).toEqual([GOOD]);
    const text = teammate.trace(['sessions', '--source', 'notes'], { cwd: clone }).stdout;
    expect(text).toMatch(new RegExp(`aaaa0001 .*notes ✓ key ${keyId.slice(0, 16)} Dev`));
  });

  it('lists a bundle signed by an untrusted key and a tampered one as unverified, each with its reason', () => {
    const page = json<Page>(['sessions', '--source', 'notes'], clone);
    const untrusted = page.sessions.find((s) => s.id === UNTRUSTED)!;
    expect(untrusted.attestation.status).toBe('unverified');
    expect(untrusted.attestation.reason).toMatch(new RegExp(`^signed with key [0-9a-f]{16}, which is not trusted at its base ${commits[GOOD]!.slice(0, 10)} \\(1 key\\(s\\) trusted there`));
    expect(untrusted.attestation.reason).not.toContain(keyId.slice(0, 16));
    const tampered = page.sessions.find((s) => s.id === TAMPERED)!;
    expect(tampered.attestation.status).toBe('unverified');
    expect(tampered.attestation.reason).toMatch(/signature does not match the signed content/);
    // What the tampered bundle claims is shown, marked: never mixed silently with the verified.
    expect(tampered.token_usage.output).toBe(1_000_000);
    const text = teammate.trace(['sessions'], { cwd: clone }).stdout;
    expect(text).toContain('bbbb0002: attestation UNVERIFIED: signed with key');
    expect(text).toContain('cccc0003: attestation UNVERIFIED: The signature does not match');
    expect(text).toMatch(/cccc0003 .*notes ✗ UNVERIFIED/);
    const show = teammate.trace(['sessions', 'show', 'cccc'], { cwd: clone });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('attestation UNVERIFIED');
  });

  it('shows the session as threads of per-turn usage equal to the attestation’s usage.by_thread, and who signed it', () => {
    const show = json<Show>(['sessions', 'show', 'aaaa0001'], clone);
    expect(sessionShowSchema.parse(show)).toEqual(show);
    const statement = decodeStatement(remoteNoteLines(teammate, commits[GOOD]!)[0]!);
    const attested = statement.predicate.sessions.find((s) => s.session.id === GOOD) as unknown as {
      usage: { by_thread: ByThread[] };
      raw_session: { main: { type: string; text?: string; id?: string; name?: string }[] };
    };
    expect(attested.usage.by_thread).toHaveLength(2);
    expect(show.threads.map((t) => [t.idx, t.token_usage.input, t.token_usage.cache_read, t.token_usage.cache_write, t.token_usage.output, t.tool_calls.total, t.tool_calls.errors])).toEqual(
      attested.usage.by_thread.map((t) => [t.idx, t.input_tokens, t.cache_read_input_tokens, t.cache_creation_input_tokens, t.output_tokens, t.tool_calls, t.tool_errors]),
    );
    // The prompts and tool calls raw_session keeps (retention `prompts`), each in its thread; no result is kept.
    const kept = attested.raw_session.main;
    expect(show.threads.map((t) => t.prompt)).toEqual(kept.filter((e) => e.type === 'prompt').map((e) => e.text));
    const calls = kept.filter((e) => e.type === 'tool_call').map((e) => [e.id, e.name, 'unknown']);
    expect(calls.length).toBeGreaterThan(0);
    expect(show.threads.flatMap((t) => t.steps.map((step) => (step.kind === 'tool_call' ? [step.tool_use_id, step.tool, step.status] : [])))).toEqual(calls);
    expect(show.warnings.join('\n')).toContain('the prompts and tool calls it keeps, without their results');
    expect(show.commits).toEqual([{ sha: commits[GOOD], lines_added: 3, ai_lines_added: 3, attested: true }]);
    expect(show.attestations).toHaveLength(1);
    expect(show.attestations[0]).toMatchObject({ status: 'verified', signer: { kind: 'key', key_id: keyId }, commits: [commits[GOOD]] });
    const text = teammate.trace(['sessions', 'show', 'aaaa0001'], { cwd: clone }).stdout;
    expect(text).toContain(`attested, verified · signed by key ${keyId.slice(0, 16)} of Dev <dev@example.com>`);
  });

  it('does not verify a bundle twice: a second listing reads what the first indexed', () => {
    const db = join(clone, '.git', 'chainloop-trace', 'trace.db');
    const read = () => {
      const store = new BetterSqlite3(db, { readonly: true });
      try {
        return {
          bundles: store.prepare('SELECT digest, status, indexed_at FROM notes_bundles ORDER BY digest').all(),
          index: store.prepare('SELECT tip, indexed_at FROM notes_index').all(),
        };
      } finally {
        store.close();
      }
    };
    const before = read();
    expect(before.bundles).toHaveLength(4);
    json<Page>(['sessions'], clone);
    json<Page>(['sessions', 'stats'], clone);
    expect(read()).toEqual(before);
  });

  it('counts notes sessions in stats and export, and rejects an unknown --source', () => {
    const stats = json<{ current: { sessions: number } }>(['sessions', 'stats', '--source', 'notes', '--since', '30d'], clone);
    expect(stats.current.sessions).toBe(3);
    const csv = teammate.trace(['sessions', 'export', '--format', 'csv', '--source', 'notes'], { cwd: clone }).stdout.split('\n');
    expect(csv[0]).toMatch(/,source,attestation,attested_by$/);
    expect(csv.find((l) => l.startsWith(GOOD))).toMatch(new RegExp(`,notes,verified,key ${keyId}$`));
    const bad = teammate.trace(['sessions', '--source', 'teammates'], { cwd: clone });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--source: unknown source "teammates"');
  });
});

describe('a session of the notes resumed in the clone', () => {
  it('becomes a local session, keeping its attestation', () => {
    const agent = new FakeClaude({ dir: clone, env: teammate.env }, { sessionId: GOOD, transcriptPath: join(tempDir('trace-notes-resume-'), `${GOOD}.jsonl`) });
    agent.prompt('carry on');
    const page = json<Page>(['sessions', '--id', 'aaaa0001'], clone);
    expect(page.sessions).toHaveLength(1);
    expect(page.sessions[0]).toMatchObject({ source: 'local', threads: 1, attestation: { status: 'verified' } });
    expect(json<Page>(['sessions', '--source', 'local'], clone).sessions.map((s) => s.id)).toEqual([GOOD]);
  });
});

describe('a store made by the previous version', () => {
  it('gains the source and attestation columns, and its sessions are local', () => {
    const repo = makeRepo();
    new FakeClaude(repo, { sessionId: GOOD }).prompt('hello');
    expect(json<Page>(['sessions'], repo.dir).count).toBe(1);
    // Back to version 5: the summary rows without the version 6 columns (and their indexes).
    const db = new BetterSqlite3(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'));
    db.exec('DROP INDEX session_summaries_attested; DROP INDEX session_summaries_local; DROP TABLE notes_index; DROP TABLE notes_bundles; DROP TABLE notes_sessions');
    for (const column of ['source', 'attestation', 'attested_by', 'attestation_reason']) db.exec(`ALTER TABLE session_summaries DROP COLUMN ${column}`);
    db.pragma('user_version = 5');
    db.close();
    const page = json<Page>(['sessions'], repo.dir);
    expect(page.sessions.map((s) => [s.id, s.source, s.attestation.status])).toEqual([[GOOD, 'local', 'none']]);
    const after = new BetterSqlite3(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(7);
    after.close();
  });
});

describe('the teammate’s own clone', () => {
  it('lists its sessions once each, local content with the notes’ attestation, and says who verified them', () => {
    const page = json<Page>(['sessions'], teammate.dir);
    expect(page.count).toBe(3);
    const good = page.sessions.find((s) => s.id === GOOD)!;
    expect(good.source).toBe('local');
    expect(good.attestation).toMatchObject({ status: 'verified', signer: { kind: 'key', key_id: keyId } });
    expect(page.sessions.find((s) => s.id === UNTRUSTED)!.attestation.status).toBe('unverified');
    expect(json<Page>(['sessions', '--source', 'notes'], teammate.dir).count).toBe(3);
    const show = json<Show>(['sessions', 'show', GOOD], teammate.dir);
    expect(show.session.source).toBe('local');
    expect(show.threads[0]!.steps.length).toBeGreaterThan(0);
    expect(show.attestations[0]).toMatchObject({ status: 'verified', signer: { kind: 'key', key_id: keyId } });
    expect(teammate.trace(['sessions', 'show', GOOD], { cwd: teammate.dir }).stdout).toContain('captured here · attested, verified · signed by key');
  });
});

describe('a keyless attestation', () => {
  let services: SigstoreServices;
  beforeAll(async () => {
    services = await startSigstoreServices();
  });
  afterAll(async () => {
    await services.stop();
  });

  it('is verified against the identity and trusted root of .chainloop.yml, and names the OIDC subject and issuer', async () => {
    const identity = 'https://github.com/acme/cli/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const repo = makeRepo();
    repo.write('trusted_root.json', JSON.stringify(services.trustedRoot));
    repo.write(
      '.chainloop.yml',
      [
        'trace:',
        '  signing:',
        '    mode: keyless',
        `    fulcioURL: ${services.fulcioURL}`,
        `    rekorURL: ${services.rekorURL}`,
        `    tsaURL: ${services.tsaURL}`,
        '  verify:',
        '    trustedRoot: trusted_root.json',
        `    certificateIdentity: ${identity}`,
        `    certificateOidcIssuer: ${issuer}`,
        '',
      ].join('\n'),
    );
    repo.commit('keyless config');
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    const agent = new FakeClaude(repo, { sessionId: GOOD });
    agent.start('claude-sonnet-4-5');
    agent.write('k.txt', 'k\n');
    repo.commit('k');
    const attest = await repo.traceAsync(['attest', 'HEAD'], { env: { SIGSTORE_ID_TOKEN: services.identityToken(identity, issuer) } });
    expect(attest.stdout).toContain('signed with keyless');
    const page = json<Page>(['sessions'], repo.dir);
    expect(page.sessions.map((s) => [s.id, s.source])).toEqual([[GOOD, 'local']]);
    expect(page.sessions[0]!.attestation).toEqual({ status: 'verified', signer: { kind: 'keyless', subject: identity, issuer }, reason: null });
    const text = repo.trace(['sessions', 'show', GOOD]).stdout;
    expect(text).toContain(`attested, verified · signed by ${identity} (issuer ${issuer})`);
  });
});
