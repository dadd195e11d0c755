// Sessions in the capture store: Chainloop's agent name, and edit counts that outlive the captures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { dbPath, Store } from '../../src/store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-store-sessions-'));
  dirs.push(dir);
  return dir;
}

const AT = '2026-11-20T10:00:00.000Z';

describe('sessions in the store', () => {
  it('records claude-code, and reads a session an older version stored as claude as claude-code', () => {
    const store = Store.open(tempState());
    store.upsertSession({ id: 'new', agent: 'claude-code', at: AT });
    store.upsertSession({ id: 'alias', agent: 'claude', at: AT });
    store.db.prepare("INSERT INTO sessions (id, agent, updated_at) VALUES ('raw', 'claude', ?)").run(AT);
    expect(store.sessions().map((s) => [s.id, s.agent])).toEqual([
      ['new', 'claude-code'],
      ['alias', 'claude-code'],
      ['raw', 'claude-code'],
    ]);
    expect(store.session('raw')!.agent).toBe('claude-code');
    store.close();
  });

  it('counts a call’s changes once when it ends, a failed call only where it changed a file, and keeps the counts after pruning', () => {
    const store = Store.open(tempState());
    const blob = store.putBlob(Buffer.from('one\n'));
    const edited = store.putBlob(Buffer.from('two\n'));
    store.upsertSession({ id: 's', agent: 'claude-code', at: AT });
    const call = (id: string, status: 'done' | 'failed', before: string, after: string) => {
      const callId = store.startToolCall({ sessionId: 's', toolUseId: id, agentId: null, toolName: 'Edit', inputJson: null, at: AT });
      store.recordBefore(callId, 'a.txt', 'content', before, null);
      store.recordAfter(callId, 'a.txt', { state: 'content', oid: after }, { state: 'content', oid: before }, null);
      store.finishToolCall(callId, status, AT, null);
      return callId;
    };
    const first = call('t1', 'done', blob, edited);
    call('t2', 'failed', edited, edited); // a failed Edit: nothing changed
    call('t3', 'failed', edited, blob); // a shell command that failed after writing
    store.finishToolCall(first, 'done', AT, null); // a repeated post hook
    expect(store.sessionEdits('s')).toEqual([{ path: 'a.txt', edits: 2 }]);
    store.pruneCaptures(['a.txt']);
    expect(store.capturedPaths()).toEqual([]);
    expect(store.sessionEdits('s')).toEqual([{ path: 'a.txt', edits: 2 }]);
    store.close();
  });

  it('migrates a version 2 store: agent names, and edit counts seeded from the changes it holds', () => {
    const dir = tempState();
    Store.open(dir).close();
    const db = new BetterSqlite3(dbPath(dir));
    db.exec('DROP TABLE session_files');
    db.exec(`INSERT INTO sessions (id, agent, updated_at) VALUES ('old', 'claude', '${AT}')`);
    db.exec(`INSERT INTO tool_calls (id, session_id, tool_use_id, tool_name, status) VALUES (1, 'old', 't1', 'Write', 'done'), (2, 'old', 't2', 'Edit', 'failed')`);
    db.exec(`INSERT INTO file_changes (tool_call_id, path, before_state, after_state, after_oid) VALUES (1, 'a.txt', 'absent', 'content', 'x'), (2, 'a.txt', 'content', 'content', 'x')`);
    db.exec("UPDATE file_changes SET before_oid = 'x' WHERE tool_call_id = 2");
    db.pragma('user_version = 2');
    db.close();
    const store = Store.open(dir);
    expect(store.session('old')!.agent).toBe('claude-code');
    expect(store.db.prepare("SELECT agent FROM sessions WHERE id = 'old'").get()).toEqual({ agent: 'claude-code' });
    expect(store.sessionEdits('old')).toEqual([{ path: 'a.txt', edits: 1 }]);
    expect(store.db.pragma('user_version', { simple: true })).toBe(6);
    expect(store.db.prepare("SELECT source, attestation FROM session_summaries WHERE session_id = 'old'").get()).toEqual({ source: 'local', attestation: null });
    store.close();
  });
});
