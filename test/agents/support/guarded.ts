// The guard in enforce mode with a real agent: the scripted model asks for a write to `.env` and a
// forced push, the agent must run neither, and the attestation must record both denials.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestRepo } from '../../support/repo.js';
import type { Statement } from './attested.js';

/** A forced push that would leave `pushed.txt` behind if it ran. */
export const FORCE_PUSH = "git push -f origin main && printf 'pushed\\n' > pushed.txt";
export const SECRET = 'SECRET=scripted\n';

/** `.chainloop.yml` with the guard enforcing its built-in rules, committed and pushed. */
export function enforceGuard(repo: TestRepo): void {
  repo.write('.chainloop.yml', 'trace:\n  guard:\n    mode: enforce\n');
  repo.commit('guard in enforce mode');
  repo.git(['push', '-q', 'origin', 'main']);
}

/** Neither denied call ran: no `protectedFile`, no `pushed.txt`, the remote's main where the test left it. */
export function expectNothingRan(repo: TestRepo, remoteMain: string, protectedFile = '.env'): void {
  expect(existsSync(join(repo.dir, protectedFile)), `${protectedFile} was written`).toBe(false);
  expect(existsSync(join(repo.dir, 'pushed.txt')), 'the forced push ran').toBe(false);
  expect(repo.git(['--git-dir', repo.remote, 'rev-parse', 'main']).stdout.trim()).toBe(remoteMain);
}

/** The text of a denial as the agent passes it back to the model (the guard's reason). */
export const DENIED_ENV = deniedWrite('.env');
export function deniedWrite(path: string): RegExp {
  return new RegExp(`trace guard \\[protected-path\\][^"]*${path.replace(/\./g, '\\.')} is protected`);
}
export const DENIED_PUSH = /trace guard \[force-push-protected\]/;

/** The attestation's guard record of `sessionId`: enforce mode, and the two denials, in order. */
export function expectGuardRecord(statement: Statement, sessionId: string, tools: { file: string; shell: string }): void {
  const guard = statement.predicate.guard;
  expect(guard, 'predicate.guard').toBeDefined();
  const session = guard!.sessions.find((s) => s.session_id === sessionId);
  expect(session, `predicate.guard.sessions[] holds ${sessionId}`).toBeDefined();
  expect(session!.modes).toEqual(['enforce']);
  expect(session!.decisions.map((d) => [d.rule, d.decision, d.outcome, d.tool])).toEqual([
    ['protected-path', 'deny', 'deny', tools.file],
    ['force-push-protected', 'deny', 'deny', tools.shell],
  ]);
}
