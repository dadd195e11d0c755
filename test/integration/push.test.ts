import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStatement, NOTES, remoteNoteLines, verifyWithRepoKey } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);


function head(repo: TestRepo): string {
  return repo.git(['rev-parse', 'HEAD']).stdout.trim();
}

describe('pre-push attestation', () => {
  it('attests exactly the pushed commits with one signed statement, uploaded as notes', async () => {
    const repo = makeRepo({ initialFiles: { 'app.ts': 'export {};\n' } });
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.prompt('write the feature');
    agent.write('feature.ts', 'export const feature = 1;\n');
    const first = repo.commit('ai feature');
    repo.write('notes.md', 'by hand\n');
    const second = repo.commit('human notes');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested 2 commit(s) and 1 session(s), signed with key');

    const lines = remoteNoteLines(repo, first);
    expect(lines).toHaveLength(1);
    expect(remoteNoteLines(repo, second)).toEqual(lines);
    const verified = await verifyWithRepoKey(repo, lines[0]!);
    expect(verified.ok).toBe(true);
    const statement = decodeStatement(lines[0]!);
    expect(statement.subject.map((s) => s.digest.gitCommit)).toEqual([first, second]);
    expect(statement.subject[0]!.name).toBe(`work@${first}`); // projectName, written by init
    const [aiCommit, humanCommit] = statement.predicate.commits;
    expect(aiCommit!.files.find((f) => f.path === 'feature.ts')!.lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(humanCommit!.files).toEqual([expect.objectContaining({ path: 'notes.md', lines: [{ start: 1, end: 1, attribution: 'human' }] })]);
    const session = statement.predicate.sessions[0] as unknown as { session: { id: string }; agent: { name: string }; git_context: { commits: string[] } };
    expect(session.session.id).toBe(agent.sessionId);
    expect(session.agent.name).toBe('claude-code');
    expect(session.git_context.commits).toEqual([first]);

    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { pending_commits: string[] };
    expect(status.pending_commits).toEqual([]);
  });

  it('attests nothing new on a second push, a deletion or a tag push', () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const notesTip = repo.git(['--git-dir', repo.remote, 'rev-parse', NOTES]).stdout;
    repo.git(['push', '-q', 'origin', 'main:other']);
    repo.git(['tag', 'v1']);
    const tagPush = repo.git(['push', 'origin', 'v1']);
    expect(tagPush.stderr).not.toContain('attested');
    repo.git(['push', '-q', 'origin', ':other']);
    expect(repo.git(['--git-dir', repo.remote, 'rev-parse', NOTES]).stdout).toBe(notesTip);
    expect(remoteNoteLines(repo, sha)).toHaveLength(1);
  });

  it('attests commits made without capture as such, on the fly', () => {
    const repo = makeRepo({ init: false });
    repo.write('old.txt', 'old\n');
    const before = repo.commit('before trace');
    repo.trace(['init', '--yes']);
    repo.git(['push', '-q', 'origin', 'main']);
    const statement = decodeStatement(remoteNoteLines(repo, before)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === before)!;
    expect(commit.captured).toBe(false);
  });

  it('redacts secrets from prompts and tool inputs before signing, and records the count', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    const key = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');
    agent.start();
    agent.prompt(`deploy with aws key ${key} please`);
    agent.bash(`printf 'deployed\\n' > out.txt; curl -s https://deploy:${'hunter2' + 'sEcret'}@127.0.0.1:9/hook || true`);
    const sha = repo.commit('secret work');
    repo.git(['push', '-q', 'origin', 'main']);
    const line = remoteNoteLines(repo, sha)[0]!;
    const payload = Buffer.from((JSON.parse(line) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8');
    expect(payload).not.toContain(key);
    expect(payload).not.toContain('hunter2sEcret');
    expect(payload).toContain('[REDACTED:aws-access-key]');
    const statement = decodeStatement(line);
    expect(statement.predicate.redaction.total).toBeGreaterThanOrEqual(2);
    expect(statement.predicate.redaction.rules.map((r) => r.ruleId)).toEqual(expect.arrayContaining(['aws-access-key', 'url-credentials']));
  });

  it('keeps prompts and tool calls by default, nothing with retention none', () => {
    for (const retention of ['prompts', 'none'] as const) {
      const repo = makeRepo();
      repo.write('.chainloop.yml', `trace:\n  transcripts:\n    retention: ${retention}\n`);
      const agent = new FakeClaude(repo);
      agent.start();
      agent.prompt('make it faster');
      agent.write('x.txt', 'x\n');
      const sha = repo.commit('x');
      repo.git(['push', '-q', 'origin', 'main']);
      const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
      const session = statement.predicate.sessions[0] as { raw_session?: { main: { type: string; text?: string }[] } };
      expect(statement.predicate.transcript_retention).toBe(retention);
      if (retention === 'none') expect(session.raw_session).toBeUndefined();
      else expect(session.raw_session!.main).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'prompt', text: 'make it faster' })]));
    }
  });

  it('names subjects <projectName>@<sha>, else after the remote; verify matches them by digest', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'projectName: acme-api\n');
    repo.commit('trace set up');
    repo.write('a.txt', 'a\n');
    const named = repo.commit('named');
    repo.git(['push', '-q', 'origin', 'main']);
    expect(decodeStatement(remoteNoteLines(repo, named)[0]!).subject.map((s) => s.name)).toContain(`acme-api@${named}`);
    expect(repo.trace(['verify', 'HEAD~1..HEAD']).code).toBe(0);
    repo.write('.chainloop.yml', 'requireTrace: false\n');
    repo.write('b.txt', 'b\n');
    const unnamed = repo.commit('unnamed');
    repo.git(['push', '-q', 'origin', 'main']);
    expect(decodeStatement(remoteNoteLines(repo, unnamed)[0]!).subject.map((s) => s.name)).toEqual([`remote@${unnamed}`]);
  });

  it('a session whose transcript disappeared is attested with a warning', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('x.txt', 'x\n');
    const sha = repo.commit('x');
    repo.git(['push', '-q', 'origin', 'main']);
    const session = decodeStatement(remoteNoteLines(repo, sha)[0]!).predicate.sessions[0] as unknown as { warnings: string[] };
    expect(session.warnings.join('\n')).toMatch(/not found/);
  });
});

describe('failures', () => {
  function breakKey(repo: TestRepo): void {
    const dir = join(repo.home, '.config', 'chainloop-trace');
    const file = readdirSync(dir).map((f) => join(dir, f)).find((f) => f.endsWith('.pem') || f.includes('key'))!;
    writeFileSync(file, 'not a key');
    chmodSync(file, 0o600);
  }

  it('an unreadable key is a one-line warning: the push goes through and the commits stay pending', () => {
    const repo = makeRepo();
    breakKey(repo);
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toMatch(/trace: warning: this push is not attested \(.*key/);
    expect(repo.git(['--git-dir', repo.remote, 'rev-parse', 'main']).stdout.trim()).toBe(sha);
    expect(remoteNoteLines(repo, sha)).toEqual([]);
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { pending_commits: string[]; pushed_unattested: string[]; problems: { message: string }[] };
    // On the remote now: status names it apart (the next push, or `trace attest`, attests it).
    expect(status.pending_commits).not.toContain(sha);
    // (the initial commit went out in the same push)
    expect(status.pushed_unattested).toEqual([repo.git(['rev-parse', 'HEAD~1']).stdout.trim(), sha]);
    expect(repo.trace(['status']).stdout).toContain('pushed without attestation: 2');
  });

  it('with requireTrace the same failure refuses the push, with the reason and the fix', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'requireTrace: true\n');
    breakKey(repo);
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const push = repo.git(['push', 'origin', 'main'], { allowFail: true });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('trace: push refused (requireTrace is on)');
    expect(push.stderr).toContain('→');
    expect(repo.git(['--git-dir', repo.remote, 'rev-parse', '--verify', '-q', 'main'], { allowFail: true }).code).not.toBe(0);
  });

  it('a remote that rejects the notes push: a warning, the push goes through, nothing lost', () => {
    const repo = makeRepo();
    const hook = join(repo.remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nwhile read old new ref; do case "$ref" in refs/notes/*) echo "no notes here" >&2; exit 1;; esac; done\nexit 0\n');
    chmodSync(hook, 0o755);
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toMatch(/trace: warning: this push is not attested .*no notes here/);
    expect(repo.git(['notes', `--ref=${NOTES}`, 'show', sha]).stdout).toContain('dsseEnvelope');
    // Once the remote accepts notes, the next push delivers the attestation that was kept, even
    // when it brings no new commit.
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    const again = repo.git(['push', 'origin', 'main:other']);
    expect(again.stderr).toContain('delivered attestations an earlier push could not upload');
    expect(remoteNoteLines(repo, sha)).toHaveLength(1);
    repo.write('b.txt', 'b\n');
    const next = repo.commit('b');
    repo.git(['push', '-q', 'origin', 'main']);
    expect(remoteNoteLines(repo, next)).toHaveLength(1);
  });

  it('a corrupt note on the remote is reported, not fatal', () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const other = join(repo.home, 'other');
    repo.git(['clone', '-q', repo.remote, other]);
    repo.git(['fetch', '-q', 'origin', `${NOTES}:${NOTES}`], { cwd: other });
    repo.git(['notes', `--ref=${NOTES}`, 'append', '-m', 'garbage, not json', sha], { cwd: other });
    repo.git(['push', '-q', '--no-verify', 'origin', NOTES], { cwd: other });
    repo.write('b.txt', 'b\n');
    const next = repo.commit('b');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('attested 1 commit(s)');
    expect(remoteNoteLines(repo, next)).toHaveLength(1);
    const fetched = repo.trace(['fetch']);
    expect(fetched.code).toBe(0);
  });

  it('two clones pushing at the same time both keep their attestations', async () => {
    const repo = makeRepo();
    repo.git(['push', '-q', 'origin', 'main']);
    const other = join(repo.home, 'other');
    repo.git(['clone', '-q', repo.remote, other]);
    const { spawn } = await import('node:child_process');
    expect(repo.trace(['init', '--yes'], { cwd: other }).code).toBe(0);
    repo.write('a.txt', 'a\n');
    const mine = repo.commit('mine');
    writeFileSync(join(other, 'b.txt'), 'b\n');
    repo.git(['add', 'b.txt'], { cwd: other });
    repo.git(['commit', '-q', '-m', 'theirs'], { cwd: other });
    const theirs = repo.git(['rev-parse', 'HEAD'], { cwd: other }).stdout.trim();
    const push = (cwd: string, ref: string) =>
      new Promise<number>((resolve) => spawn('git', ['push', '-q', 'origin', ref], { cwd, env: repo.env, stdio: 'ignore' }).on('close', (code) => resolve(code ?? 1)));
    const codes = await Promise.all([push(repo.dir, 'main:mine'), push(other, 'main:theirs')]);
    expect(codes).toEqual([0, 0]);
    expect(remoteNoteLines(repo, mine)).toHaveLength(1);
    expect(remoteNoteLines(repo, theirs)).toHaveLength(1);
  });
});

describe('trace attest', () => {
  it('--dry-run prints the statement without signing or uploading', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    const result = repo.trace(['attest', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    const statement = JSON.parse(result.stdout) as { subject: { digest: { gitCommit: string } }[]; predicateType: string };
    expect(statement.subject.map((s) => s.digest.gitCommit)).toContain(sha);
    expect(statement.predicateType).toMatch(/^urn:chainloop-trace:/);
    expect(repo.git(['notes', `--ref=${NOTES}`, 'list']).stdout).toBe('');
  });

  it('signs a range by hand, writes --output, and finds nothing left to do afterwards', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const output = join(repo.home, 'bundle.json');
    const result = repo.trace(['attest', 'HEAD~1..HEAD', '--output', output, '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { commits: string[] }).commits).toEqual([head(repo)]);
    expect((await verifyWithRepoKey(repo, readFileSync(output, 'utf8').trim())).ok).toBe(true);
    expect(repo.trace(['attest', 'HEAD~1..HEAD']).stdout).toContain('nothing to attest (1 commit(s) already attested)');
  });

  it('--dry-run --json prints an object, not null, when there is nothing to attest', () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const result = repo.trace(['attest', 'HEAD', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ commits: [], already_attested: [sha], dry_run: true, statement: null });
  });

  it('--output on an already-attested commit writes its bundle from the notes', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const output = join(repo.home, 'exported.jsonl');
    const result = repo.trace(['attest', sha, '--output', output, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ commits: [], already_attested: [sha], exported_bundles: 1, output });
    const lines = readFileSync(output, 'utf8').split('\n').filter(Boolean);
    expect(lines).toEqual(remoteNoteLines(repo, sha));
    expect((await verifyWithRepoKey(repo, lines[0]!)).ok).toBe(true);
    expect(repo.trace(['attest', sha, '--output', output]).stdout).toContain('wrote the 1 bundle(s) of 1 already-attested commit(s)');
  });

  it('--json uses snake_case keys throughout its own result', () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const result = JSON.parse(repo.trace(['attest', '--json']).stdout) as Record<string, unknown>;
    const keys: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) {
        keys.push(k);
        walk(v);
      }
    };
    walk({ ...result, statement: undefined });
    expect(keys).toEqual(expect.arrayContaining(['already_attested', 'dry_run', 'pruned_paths', 'timings']));
    expect(keys.filter((k) => !/^[a-z0-9_]+$/.test(k))).toEqual([]);
  });

  it('--remote with no such remote says so once, with the remotes there are, before doing anything', () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const result = repo.trace(['attest', '--remote', 'nosuchremote']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--remote nosuchremote: this repository has no remote of that name (its remotes: origin)');
    expect(result.stderr.match(/nosuchremote/g)!.length).toBeLessThanOrEqual(3);
    expect(result.stderr).toContain('→ pass one of them, e.g. --remote origin');
    expect(repo.git(['notes', `--ref=${NOTES}`, 'list']).stdout).toBe('');
  });

  it('rejects a bad range clearly', () => {
    const repo = makeRepo();
    const result = repo.trace(['attest', 'nope..HEAD']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a commit range');
  });

  it('writes the public key into .chainloop/keys at init, 0600 private key outside the repository', () => {
    const repo = makeRepo();
    const keys = readdirSync(join(repo.dir, '.chainloop', 'keys'));
    expect(keys).toHaveLength(1);
    expect(readFileSync(join(repo.dir, '.chainloop', 'keys', keys[0]!), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const dir = join(repo.home, '.config', 'chainloop-trace');
    expect(existsSync(dir)).toBe(true);
    expect(dirname(dir)).not.toContain(repo.dir);
    mkdirSync(join(repo.home, 'unused'), { recursive: true });
  });
});

describe('scale', () => {
  it('a push of 500 commits is attested in one statement, a note on every commit', () => {
    const repo = makeRepo();
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'trace set up']);
    repo.git(['push', '-q', 'origin', 'main']);
    // 500 commits made elsewhere (no capture): fast-import, no hooks.
    const parent = head(repo);
    const lines = [`reset refs/heads/main`, `from ${parent}`];
    for (let i = 0; i < 500; i++) {
      const content = `line ${i}\n`;
      lines.push('commit refs/heads/main', `committer Dev <dev@example.com> ${1_700_000_000 + i} +0000`, `data ${`c${i}`.length}`, `c${i}`, `M 100644 inline f${i % 20}.txt`, `data ${Buffer.byteLength(content)}`, content);
    }
    repo.git(['fast-import', '--quiet'], { input: `${lines.join('\n')}\n` });
    repo.git(['reset', '-q', '--hard', 'main']);
    const started = Date.now();
    const push = repo.git(['push', 'origin', 'main']);
    const elapsed = Date.now() - started;
    expect(push.stderr).toContain('trace: attested 500 commit(s)');
    const shas = repo.git(['rev-list', `${parent}..main`]).stdout.split('\n').filter(Boolean);
    expect(shas).toHaveLength(500);
    const noted = repo.git(['--git-dir', repo.remote, 'notes', `--ref=${NOTES}`, 'list']).stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1]);
    for (const sha of shas) expect(noted).toContain(sha);
    const statement = decodeStatement(remoteNoteLines(repo, shas[0]!)[0]!);
    expect(statement.subject).toHaveLength(500);
    expect(statement.predicate.commits.every((c) => !c.captured)).toBe(true);
    console.log(`push of 500 uncaptured commits: ${elapsed} ms`);
  });

  it('a session with thousands of tool calls is attested and stays valid', async () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('big.ts', 'export {};\n');
    const { withStore } = await import('../support/store.js');
    withStore(repo, (store) =>
      store.write(() => {
        for (let i = 0; i < 3000; i++) {
          const id = store.startToolCall({ sessionId: agent.sessionId, toolUseId: `toolu_bulk_${i}`, agentId: null, toolName: 'Bash', inputJson: JSON.stringify({ command: `npm test -- --grep case${i}` }), at: new Date(1_700_000_000_000 + i).toISOString() });
          store.finishToolCall(id, 'done', new Date(1_700_000_000_000 + i).toISOString(), null);
        }
      }),
    );
    const sha = repo.commit('big session');
    repo.git(['push', '-q', 'origin', 'main']);
    const line = remoteNoteLines(repo, sha)[0]!;
    expect((await verifyWithRepoKey(repo, line)).ok).toBe(true);
    const session = decodeStatement(line).predicate.sessions[0] as unknown as { raw_session: { main: unknown[] } };
    expect(session.raw_session.main.length).toBeGreaterThanOrEqual(3000);
    console.log(`bundle with a 3,000-call session: ${line.length} bytes`);
  });
});

describe('a fresh clone', () => {
  it('show and blame read the attestation after trace fetch, without trace init', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('a.ts', 'export const a = 1;\n');
    repo.write('a.ts', 'export const a = 1;\nexport const mine = 2;\n');
    const sha = repo.commit('mixed');
    repo.git(['push', '-q', 'origin', 'main']);
    const clone = join(repo.home, 'clone');
    repo.git(['clone', '-q', repo.remote, clone]);
    // Without local state: the clone opts out of auto-setup (see auto-init.test.ts for the default).
    repo.git(['config', 'trace.autoInit', 'false'], { cwd: clone });
    expect(repo.trace(['fetch'], { cwd: clone }).stdout).toContain('fetched attestations from origin');
    const shown = JSON.parse(repo.trace(['show', sha, '--json'], { cwd: clone }).stdout) as { origin: string; captured: boolean; files: { path: string; lines: unknown[] }[] };
    expect(shown.origin).toBe('attestation');
    expect(shown.files.find((f) => f.path === 'a.ts')!.lines).toEqual([
      { start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId },
      { start: 2, end: 2, attribution: 'human' },
    ]);
    const blame = JSON.parse(repo.trace(['blame', 'a.ts', '--json'], { cwd: clone }).stdout) as { lines: { attribution: string; agent: string | null; model: string | null }[] };
    expect(blame.lines.map((l) => [l.attribution, l.agent, l.model])).toEqual([
      ['ai', 'claude-code', 'claude-opus-4-8'],
      ['human', null, null],
    ]);
    expect(existsSync(join(clone, '.git', 'chainloop-trace'))).toBe(false);
  });
});

describe('requireTrace and capture problems', () => {
  it('refuses a push whose commits hold files the agent edited but trace could not capture', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'requireTrace: true\ntrace:\n  capture:\n    maxFileBytes: 50\n');
    repo.commit('strict config');
    const agent = new FakeClaude(repo);
    agent.write('huge.txt', `${'x'.repeat(100)}\n`);
    repo.commit('too big to capture');
    const push = repo.git(['push', 'origin', 'main'], { allowFail: true });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('huge.txt (larger than 50 bytes (101))');
    expect(push.stderr).toContain('trace status');
  });
});

describe('extra upload targets', () => {
  it('also writes each bundle into a directory and POSTs it to an HTTP endpoint with a bearer token', async () => {
    const { createServer } = await import('node:http');
    const received: { auth: string | undefined; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const repo = makeRepo();
      repo.write('.chainloop.yml', `trace:\n  upload:\n    directory: attestations\n    http:\n      url: http://127.0.0.1:${port}/bundles\n      tokenEnv: TRACE_UPLOAD_TOKEN\n`);
      repo.write('a.txt', 'a\n');
      const sha = repo.commit('a', ['.chainloop.yml', 'a.txt']);
      const result = await repo.traceAsync(['attest', '--json'], { env: { TRACE_UPLOAD_TOKEN: 'tok-123' } });
      expect(result.stderr).toBe('');
      const files = readdirSync(join(repo.dir, 'attestations'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.sigstore\.json$/);
      const bundle = readFileSync(join(repo.dir, 'attestations', files[0]!), 'utf8');
      expect(decodeStatement(JSON.stringify(JSON.parse(bundle))).subject.map((s) => s.digest.gitCommit)).toContain(sha);
      expect(received).toHaveLength(1);
      expect(received[0]!.auth).toBe('Bearer tok-123');
      expect(JSON.parse(received[0]!.body)).toEqual(JSON.parse(bundle));
    } finally {
      server.close();
    }
  });
});

describe('cleanup after upload', () => {
  it('drops captures of fully committed files, keeps what uncommitted agent lines still need', async () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('done.ts', 'export const done = 1;\n');
    agent.write('later.ts', 'export const later = 1;\n');
    repo.commit('done', ['done.ts', '.chainloop.yml', '.claude', '.chainloop']);
    repo.git(['push', '-q', 'origin', 'main']);
    const { withStore } = await import('../support/store.js');
    expect(withStore(repo, (store) => store.capturedPaths())).toEqual(['later.ts']);
    repo.commit('later', ['later.ts']);
    const status = JSON.parse(repo.trace(['show', '--json']).stdout) as { files: { path: string; lines: unknown[] }[] };
    expect(status.files.find((f) => f.path === 'later.ts')!.lines).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
  });
});
