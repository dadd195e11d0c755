// Each session's tool calls as its newest attestation keeps them (`raw_session`, retention
// `prompts`), so the session page shows its steps: name, time and guard decision are metadata; the
// input is content, emptied by content retention. Sessions ingested before this migration gain
// their rows with their next attestation.
import type { Engine } from '../db.js';

export const name = 'tool_calls';

export function statements(engine: Engine): string[] {
  const big = engine === 'postgres' ? 'bigint' : 'integer';
  return [
    `CREATE TABLE tool_calls (session_pk ${big} NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, seq integer NOT NULL,
      thread_idx integer, tool_use_id text NOT NULL, tool text NOT NULL, input text, at text, status text NOT NULL, error text,
      guard text, PRIMARY KEY (session_pk, seq))`,
  ];
}
