// The spool's take-in in process: the order of spooled calls, the names it accepts, leftovers.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestSpool } from '../../src/capture/spool.js';
import type { Logger } from '../../src/log.js';
import { findRepo, type Repo } from '../../src/repo.js';
import { Store } from '../../src/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(): { repo: Repo; store: Store; spool: string; lines: string[]; logger: Logger } {
  const root = mkdtempSync(join(tmpdir(), 'trace-spool-'));
  dirs.push(root);
  mkdirSync(join(root, '.git', 'chainloop-trace', 'spool'), { recursive: true });
  const repo = findRepo(root)!;
  const lines: string[] = [];
  return { repo, store: Store.open(repo.stateDir), spool: join(repo.stateDir, 'spool'), lines, logger: { log: (level, message) => lines.push(`${level} ${message}`) } };
}

/** A Write of `file` spooled as `name`, its mtime `seconds` after the epoch of the test. */
function spoolWrite(spool: string, repo: Repo, name: string, id: string, content: string, seconds: number): void {
  const payload = {
    session_id: 'sess',
    cwd: repo.root,
    hook_event_name: 'PostToolUse',
    tool_name: 'Write',
    tool_use_id: id,
    tool_input: { file_path: join(repo.root, 'a.txt'), content },
    tool_response: { type: 'update', filePath: join(repo.root, 'a.txt'), content, originalFile: 'x\n', structuredPatch: [] },
    duration_ms: 1,
  };
  writeFileSync(join(spool, name), JSON.stringify(payload));
  const at = new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
  utimesSync(join(spool, name), at, at);
}

describe('ingestSpool', () => {
  it('takes calls in by mtime, then by the nanoseconds in the name (as numbers), BSD date names included', () => {
    const { repo, store, spool, logger } = setup();
    try {
      spoolWrite(spool, repo, '10.7.claude.post-tool-use.json', 'toolu_c', 'c\n', 5);
      spoolWrite(spool, repo, '9.8.claude.post-tool-use.json', 'toolu_b', 'b\n', 5);
      spoolWrite(spool, repo, '99.1.claude.post-tool-use.json', 'toolu_a', 'a\n', 1);
      spoolWrite(spool, repo, '1767225600N.3.claude.post-tool-use.json', 'toolu_d', 'd\n', 9);
      expect(ingestSpool(store, repo, { logger, settings: () => ({ maxFileBytes: 1_000_000 }) })).toBe(4);
      expect(store.toolCalls('sess').map((call) => [call.tool_use_id, call.ended_at])).toEqual([
        ['toolu_a', '2026-01-01T00:00:01.000Z'],
        ['toolu_b', '2026-01-01T00:00:05.000Z'],
        ['toolu_c', '2026-01-01T00:00:05.000Z'],
        ['toolu_d', '2026-01-01T00:00:09.000Z'],
      ]);
      expect(readdirSync(spool)).toEqual([]);
      // A second take-in finds nothing and opens no transaction.
      expect(ingestSpool(store, repo, { logger, settings: () => ({ maxFileBytes: 1_000_000 }) })).toBe(0);
    } finally {
      store.close();
    }
  });

  it('removes temporary files a killed step left over an hour ago, with the next take-in, and keeps one being written', () => {
    const { repo, store, spool, logger } = setup();
    try {
      writeFileSync(join(spool, '.41.tmp'), '{"half');
      writeFileSync(join(spool, '.42.tmp'), '{"being written');
      const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
      utimesSync(join(spool, '.41.tmp'), old, old);
      // Temporary files alone are no calls: nothing is taken in, no lock is taken, they wait.
      expect(ingestSpool(store, repo, { logger, settings: () => ({ maxFileBytes: 1_000_000 }) })).toBe(0);
      expect(readdirSync(spool).sort()).toEqual(['.41.tmp', '.42.tmp']);
      // With a call to take in, the one left over an hour ago goes.
      spoolWrite(spool, repo, '1.1.claude.post-tool-use.json', 'toolu_a', 'a\n', 1);
      expect(ingestSpool(store, repo, { logger, settings: () => ({ maxFileBytes: 1_000_000 }) })).toBe(1);
      expect(readdirSync(spool)).toEqual(['.42.tmp']);
      expect(existsSync(join(repo.stateDir, 'spool-aside'))).toBe(false);
    } finally {
      store.close();
    }
  });

  it('moves aside what it cannot read and says why, never deleting it', () => {
    const { repo, store, spool, lines, logger } = setup();
    try {
      writeFileSync(join(spool, '5.1.nobody.post-tool-use.json'), '{}');
      writeFileSync(join(spool, '6.1.claude.post-tool-use.json'), 'not json');
      expect(ingestSpool(store, repo, { logger, settings: () => ({ maxFileBytes: 1_000_000 }) })).toBe(0);
      expect(readdirSync(join(repo.stateDir, 'spool-aside')).sort()).toEqual(['5.1.nobody.post-tool-use.json', '6.1.claude.post-tool-use.json']);
      expect(lines).toEqual([
        expect.stringMatching(/^error spool: 5\.1\.nobody\.post-tool-use\.json moved aside to spool-aside\/: unknown agent "nobody"$/),
        expect.stringMatching(/^error spool: 6\.1\.claude\.post-tool-use\.json moved aside to spool-aside\/: malformed JSON payload/),
      ]);
    } finally {
      store.close();
    }
  });
});
