// trace-server.yml: every problem at once as `path: message`, env overrides, token and trust checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { DEFAULT_LISTEN, loadServerConfig, parseListen, parseServerConfig, repositoryMatches } from '../../src/server/config.js';
import { loadTrust } from '../../src/server/trust.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-server-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string): string {
  try {
    parseServerConfig(text, 'trace-server.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    return (error as TraceError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('trace-server.yml', () => {
  it('defaults to 127.0.0.1:8080 and an SQLite file beside it; the environment overrides listen and database', () => {
    const plain = loadServerConfig({ cwd: dir, env: {} });
    expect(plain.listen).toBe(DEFAULT_LISTEN);
    expect(plain.database).toBe(join(dir, 'trace-server.sqlite'));
    const env = loadServerConfig({ cwd: dir, env: { TRACE_SERVER_LISTEN: '0.0.0.0:9000', TRACE_SERVER_DATABASE: 'postgres://trace@db/trace' } });
    expect(env).toMatchObject({ listen: '0.0.0.0:9000', database: 'postgres://trace@db/trace' });
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(() => parseListen('localhost:99999')).toThrow(/host:port/);
  });

  it('reports every problem at once as path: message', () => {
    const message = problems(`listen: nowhere
tokens:
  - role: ingest
  - token: short
    tokenEnv: BOTH
    role: superuser
trust:
  - repositories: []
    identities:
      - issuer: https://token.actions.githubusercontent.com
        subjectRegexp: "("
retention:
  contentDays: -1
surprise: true
`);
    for (const line of [
      'listen: host:port',
      'tokens.0: give exactly one of token and tokenEnv',
      'tokens.1.token: a token needs at least 16 characters',
      'tokens.1.role:',
      'trust.0.repositories:',
      'trust.0.identities.0: subjectRegexp is not a valid regular expression',
      'retention.contentDays:',
      'surprise',
    ]) {
      expect(message).toContain(line);
    }
  });

  it('reads tokens from the environment and refuses an unset variable or a repeated token', () => {
    const file = join(dir, 'tokens.yml');
    writeFileSync(file, 'tokens:\n  - tokenEnv: INGEST_TOKEN\n    role: ingest\n    repositories: ["acme/*"]\n');
    expect(loadServerConfig({ file, cwd: dir, env: { INGEST_TOKEN: 'x'.repeat(20) } }).tokens).toEqual([{ token: 'x'.repeat(20), role: 'ingest', repositories: ['acme/*'], name: 'ingest token 1' }]);
    expect(() => loadServerConfig({ file, cwd: dir, env: {} })).toThrow(/tokens\.0\.tokenEnv: the variable INGEST_TOKEN is not set/);
    writeFileSync(file, `tokens:\n  - token: ${'y'.repeat(20)}\n    role: reader\n  - token: ${'y'.repeat(20)}\n    role: admin\n`);
    expect(() => loadServerConfig({ file, cwd: dir, env: {} })).toThrow(/tokens\.1: the same token is listed twice/);
    expect(() => loadServerConfig({ file: 'missing.yml', cwd: dir, env: {} })).toThrow(/does not exist/);
  });

  it('matches repositories by glob and refuses unreadable trust files at start', () => {
    expect(repositoryMatches('acme/*', 'acme/api')).toBe(true);
    expect(repositoryMatches('acme/*', 'acme/team/api')).toBe(true);
    expect(repositoryMatches('acme/*', 'acmex/api')).toBe(false);
    expect(repositoryMatches('acme/ap?', 'acme/api')).toBe(true);
    expect(repositoryMatches('acme.io/api', 'acmexio/api')).toBe(false);
    expect(() => loadTrust({ trust: [{ repositories: ['*'], keys: [join(dir, 'nope.pem')], identities: [] }] })).toThrow(/trust\.0\.keys\.0/);
  });
});
