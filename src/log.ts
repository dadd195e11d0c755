// Problems are never printed by hooks: they go to `.git/chainloop-trace/log.txt`, which `trace status` shows.
import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LOG_BYTES = 1024 * 1024;

export type LogLevel = 'error' | 'warn' | 'info';

export interface Logger {
  log(level: LogLevel, message: string): void;
}

export function logPath(stateDir: string): string {
  return join(stateDir, 'log.txt');
}

/** A logger appending one line per problem; it never throws. */
export function fileLogger(stateDir: string, now: () => Date = () => new Date()): Logger {
  const path = logPath(stateDir);
  return {
    log(level, message) {
      try {
        const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
        if (size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
        appendFileSync(path, `${now().toISOString()} ${level} ${message.replace(/\s*\n\s*/g, ' | ')}\n`);
      } catch {
        // Nowhere left to report to; a hook must still exit 0.
      }
    },
  };
}

export interface LogEntry {
  at: string;
  level: LogLevel;
  message: string;
}

export function parseLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+) (error|warn|info) (.*)$/.exec(line);
    if (match) entries.push({ at: match[1]!, level: match[2] as LogLevel, message: match[3]! });
  }
  return entries;
}
