// The pre-push previews the policies CI will check (those of .chainloop.yml on the remote's default
// branch) on the statement it signs, and warns about each violation without blocking the push.
import { afterAll, describe, expect, it } from 'vitest';
import { remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

describe('local policy preview', () => {
  it('warns about each violation CI will report, with the rule, the evidence and the fix, and pushes anyway', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    maxAiShare:\n      perCommit: 0.5\n');
    repo.commit('policies');
    repo.git(['push', '-q', 'origin', 'main']);
    // Only the base's policies count: this one, added in the pushed commit itself, is not CI's yet.
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    maxAiShare:\n      perCommit: 0.5\n    forbiddenCommands:\n      patterns: ["echo generated"]\n');
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('feature.ts', 'export const a = 1;\nexport const b = 2;\n');
    agent.bash('echo generated > gen.txt');
    const sha = repo.commit('ai work');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('policy violation(s) that `trace verify` in CI will report (policies of .chainloop.yml on origin/main)');
    expect(push.stderr).toMatch(/maxAiShare\.perCommit: commit [0-9a-f]+: .* are AI-written, above the 50% allowed/);
    expect(push.stderr).toMatch(/evidence: \d+ of \d+ added lines/);
    expect(push.stderr).toContain('ask the team to raise trace.policies.maxAiShare.perCommit');
    expect(push.stderr).not.toContain('forbiddenCommands');
    expect(remoteNoteLines(repo, sha)).toHaveLength(1);
  });

  it('uses the local file when the remote has no default branch yet, and says nothing when all is well', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    forbiddenCommands:\n      patterns: ["echo generated"]\n');
    const agent = new FakeClaude(repo);
    agent.start();
    agent.bash('echo generated > gen.txt');
    repo.commit('first push');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('(policies of .chainloop.yml)');
    expect(push.stderr).toContain('forbiddenCommands');
    expect(push.stderr).toContain('matches the forbidden pattern /echo generated/');
    repo.write('b.txt', 'by hand\n');
    repo.commit('human');
    expect(repo.git(['push', 'origin', 'main']).stderr).not.toContain('policy violation');
  });

  it('trace attest --dry-run previews them too', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    forbiddenCommands:\n      patterns: ["echo generated"]\n');
    repo.commit('policies');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start();
    agent.bash('echo generated > gen.txt');
    repo.commit('ai work');
    const result = repo.trace(['attest', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('policy violation(s) that `trace verify` in CI will report (policies of .chainloop.yml on origin/main); nothing is signed (--dry-run)');
    expect(result.stderr).toContain('forbiddenCommands');
  });
  it('finds the secrets CI would find when CI redacts with other settings than the push did', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  redaction:\n    patterns:\n      - { id: ticket, pattern: "TICKET-[0-9]{6}" }\n');
    repo.commit('redaction');
    repo.git(['push', '-q', 'origin', 'main']);
    // Pushed with the same settings CI has: the statement was redacted with them, nothing to find.
    const agent = new FakeClaude(repo);
    agent.start();
    agent.prompt('fix TICKET-123456 please');
    agent.write('a.ts', 'export const a = 1;\n');
    repo.commit('same settings');
    expect(repo.git(['push', 'origin', 'main']).stderr).not.toContain('noUnredactedSecrets');
    // This clone dropped the pattern CI still has: CI would find the ticket, and so does the preview.
    repo.write('.chainloop.yml', 'trace: {}\n');
    agent.prompt('and TICKET-654321 too');
    agent.write('b.ts', 'export const b = 2;\n');
    repo.commit('other settings', ['b.ts']);
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('noUnredactedSecrets');
  });
});
