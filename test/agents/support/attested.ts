// What a push left on the remote, read the way the agent tests assert on it.
import { expect } from 'vitest';
import { decodeStatement, remoteNoteLines } from '../../support/attestations.js';
import type { TestRepo } from '../../support/repo.js';

export interface SessionObject {
  session: { id: string };
  agent: { name: string; version?: string };
  model?: { primary: string; models_used: string[] };
  usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
  subagents?: { id: string; type?: string; tokens?: { input: number; output: number }; models?: string[] }[];
  warnings?: string[];
}

export type Statement = ReturnType<typeof decodeStatement>;

/** Commits everything, pushes, and returns the one attestation of the commit with its session objects. */
export function commitAndPush(repo: TestRepo, message: string, paths?: string[]): { commit: string; statement: Statement; sessions: SessionObject[] } {
  const commit = repo.commit(message, paths);
  repo.git(['push', '-q', 'origin', 'main']);
  return { commit, ...pushedSessions(repo, commit) };
}

export function pushedSessions(repo: TestRepo, commit: string): { statement: Statement; sessions: SessionObject[] } {
  const lines = remoteNoteLines(repo, commit);
  expect(lines).toHaveLength(1);
  const statement = decodeStatement(lines[0]!);
  return { statement, sessions: statement.predicate.sessions as unknown as SessionObject[] };
}

export function linesOf(statement: Statement, path: string) {
  return statement.predicate.commits.flatMap((c) => c.files.filter((f) => f.path === path).flatMap((f) => f.lines));
}
