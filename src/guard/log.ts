// Recorded guard decisions: the hook appends one JSON line per non-allow decision to
// `<state>/guard/decisions.jsonl` (it never opens SQLite); commands take the lines into the store's
// own `guard_decisions` table, which `trace guard log`, the attestation and `trace report` read.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import type { Repo } from '../repo.js';
import type { Predicate } from '../core/predicate.js';
import { GUARD_DECISIONS_SCHEMA, type Store } from '../store.js';
import type { ConfigEvidence } from './config-evidence.js';
import { decisionsFile, sessionConfigFile, sessionMarker } from './files.js';
import type { DecisionRecord } from './hook.js';

export interface GuardDecisionRow {
  at: string;
  agent: string;
  session_id: string;
  tool_use_id: string | null;
  tool: string;
  mode: string;
  decision: string;
  outcome: string;
  rule: string;
  message: string;
  rules: string[];
  headless: boolean;
}


/** A store of schema version 5 made before the table was part of the schema gets it here. */
export function ensureGuardTable(store: Store): void {
  store.db.exec(GUARD_DECISIONS_SCHEMA);
}

/** Moves the hook's recorded lines into the store; a line that does not parse is dropped. Returns how many were taken in. */
export function ingestGuardDecisions(store: Store, repo: Repo): number {
  ensureGuardTable(store);
  const file = decisionsFile(repo.stateDir);
  if (!existsSync(file)) return 0;
  // Renamed first: a hook appending meanwhile starts a new file, and no line is taken in twice.
  const taking = `${file}.${process.pid}.taking`;
  try {
    renameSync(file, taking);
  } catch {
    return 0;
  }
  const lines = readFileSync(taking, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const insert = store.db.prepare(
    'INSERT OR IGNORE INTO guard_decisions (at, agent, session_id, tool_use_id, tool, mode, decision, outcome, rule, message, rules_json, headless) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let taken = 0;
  store.db.transaction(() => {
    for (const line of lines) {
      let r: DecisionRecord;
      try {
        r = JSON.parse(line) as DecisionRecord;
      } catch {
        continue;
      }
      if (typeof r.at !== 'string' || typeof r.session !== 'string' || typeof r.rule !== 'string') continue;
      insert.run(r.at, r.agent ?? '', r.session, r.tool_use_id ?? null, r.tool ?? '', r.mode ?? '', r.decision ?? '', r.outcome ?? '', r.rule, r.message ?? '', JSON.stringify(Array.isArray(r.rules) ? r.rules : []), r.headless ? 1 : 0);
      taken++;
    }
  })();
  rmSync(taking, { force: true });
  return taken;
}

/** A decision as its table holds it: the rules as JSON, `headless` as 0 or 1. */
type Row = Omit<GuardDecisionRow, 'rules' | 'headless'> & { rules_json: string; headless: number };

/** Decisions, oldest first: of some sessions, or all. */
export function guardDecisions(store: Store, sessions?: readonly string[]): GuardDecisionRow[] {
  ensureGuardTable(store);
  const rows =
    sessions === undefined
      ? (store.db.prepare('SELECT * FROM guard_decisions ORDER BY at, id').all() as Row[])
      : sessions.flatMap((s) => store.db.prepare('SELECT * FROM guard_decisions WHERE session_id = ? ORDER BY at, id').all(s) as Row[]);
  return rows.map(({ rules_json, headless, ...rest }) => ({ ...rest, rules: JSON.parse(rules_json) as string[], headless: headless === 1 }));
}

/** The modes the guard ran in during a session, from the hook's session marks. */
export function guardModes(repo: Repo, sessionId: string): ('warn' | 'enforce')[] {
  return (['warn', 'enforce'] as const).filter((mode) => existsSync(sessionMarker(repo.stateDir, sessionId, mode)));
}

/**
 * The attestation's `guard` block for these sessions: the modes and the decisions (messages only when
 * some transcript content is retained; the caller redacts them). Undefined when the guard never ran in any.
 */
export function guardEvidence(store: Store, repo: Repo, sessionIds: readonly string[], withMessages: boolean): NonNullable<Predicate['guard']> | undefined {
  ingestGuardDecisions(store, repo);
  const sessions = sessionIds.map((id) => ({
    session_id: id,
    modes: guardModes(repo, id),
    ...configOf(repo, id),
    decisions: guardDecisions(store, [id]).map((d) => ({
      at: d.at,
      tool_use_id: d.tool_use_id,
      tool: d.tool,
      rule: d.rule,
      decision: d.decision === 'deny' ? ('deny' as const) : ('ask' as const),
      outcome: (['ask', 'deny', 'warn', 'allow'] as const).find((o) => o === d.outcome) ?? 'warn',
      ...(withMessages ? { message: d.message } : {}),
    })),
  }));
  return sessions.some((s) => s.modes.length > 0 || s.decisions.length > 0) ? { sessions } : undefined;
}

function configOf(repo: Repo, sessionId: string): { config?: ConfigEvidence } {
  try {
    const config = JSON.parse(readFileSync(sessionConfigFile(repo.stateDir, sessionId), 'utf8')) as ConfigEvidence;
    return Array.isArray(config.files) && Array.isArray(config.mcp_servers) ? { config } : {};
  } catch {
    return {};
  }
}
