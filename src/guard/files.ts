// Where the guard's hook leaves what it decided, for the commands that read it (guard/log.ts) without
// loading the guard itself.
import { join } from 'node:path';

export const DECISIONS_DIR = 'guard';
export const DECISIONS_FILE = 'decisions.jsonl';
/** `<state>/guard/sessions/<session>.<mode>`: empty files saying the guard ran in that mode in that session. */
export const SESSIONS_DIR = 'sessions';

export function sessionMarker(stateDir: string, sessionId: string, mode: 'warn' | 'enforce'): string {
  return join(stateDir, DECISIONS_DIR, SESSIONS_DIR, `${sessionId.replace(/[^A-Za-z0-9._:-]/g, '_')}.${mode}`);
}

/** `<state>/guard/sessions/<session>.config.json`: the agent configuration the session started with (config-evidence.ts). */
export function sessionConfigFile(stateDir: string, sessionId: string): string {
  return join(stateDir, DECISIONS_DIR, SESSIONS_DIR, `${sessionId.replace(/[^A-Za-z0-9._:-]/g, '_')}.config.json`);
}

/** The decisions the hook appended and no command has taken into the store yet. */
export function decisionsFile(stateDir: string): string {
  return join(stateDir, DECISIONS_DIR, DECISIONS_FILE);
}
