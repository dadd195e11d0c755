// A hook payload names the transcript file, so the path is untrusted: a FIFO or a device there must
// not hang `trace status` or `git push` (each push would hang again, as the commit stays pending).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACE_BIN } from '../support/repo.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

/** Runs with a deadline, so a hang fails the test instead of stalling the run. */
function timed(repo: TestRepo, command: string, args: string[]): { code: number | null; stdout: string; stderr: string; ms: number; timedOut: boolean } {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: repo.dir, env: repo.env, timeout: 30_000, killSignal: 'SIGKILL' });
  return {
    code: result.status,
    stdout: result.stdout?.toString('utf8') ?? '',
    stderr: result.stderr?.toString('utf8') ?? '',
    ms: Date.now() - started,
    timedOut: result.error !== undefined || result.signal !== null,
  };
}

describe('a hostile transcript_path', () => {
  for (const [name, path] of [
    ['a FIFO', 'fifo'],
    ['/dev/urandom', '/dev/urandom'],
  ] as const) {
    it(`(${name}) is a warning on the session; status and push finish within seconds`, () => {
      const repo = makeRepo();
      const transcript = path === 'fifo' ? join(repo.home, 'transcript.fifo') : path;
      if (path === 'fifo') expect(spawnSync('mkfifo', [transcript]).status).toBe(0);
      const agent = new FakeClaude(repo, { transcriptPath: transcript });
      agent.start();
      agent.write('a.ts', 'export const a = 1;\n');
      const sha = repo.commit('ai');

      const status = timed(repo, process.execPath, [TRACE_BIN, 'status', '--json']);
      expect(status.timedOut).toBe(false);
      expect(status.ms).toBeLessThan(8_000);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('not a regular file');

      const push = timed(repo, 'git', ['push', '-q', 'origin', 'main']);
      expect(push.timedOut).toBe(false);
      expect(push.ms).toBeLessThan(15_000);
      expect(push.code).toBe(0);
      const line = remoteNoteLines(repo, sha)[0];
      expect(line, push.stderr).toBeDefined();
      const session = decodeStatement(line!).predicate.sessions[0] as { warnings?: string[] };
      expect(JSON.stringify(session.warnings)).toContain(`${path === 'fifo' ? 'a FIFO' : 'a device'}`);
    });
  }
});
