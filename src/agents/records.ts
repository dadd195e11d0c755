// Reading agents' own records (JSON Lines transcripts, rollouts, event logs) and adding up the tokens
// they report: shared by every agent's summariser. Pure.
import type { TokenUsage } from '../core/prices.js';
import { isRecord, type Json } from './payload.js';
import type { TurnUsage, UsageTotals } from './types.js';

export interface JsonLines {
  /** The lines that are JSON objects, in order. */
  records: Json[];
  /** Lines that are not (partial writes, garbage). */
  invalid: number;
  /** The last non-empty line is not: the file may still be being written. */
  lastLineInvalid: boolean;
}

export function parseJsonLines(text: string): JsonLines {
  const records: Json[] = [];
  let invalid = 0;
  let lastLineInvalid = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    lastLineInvalid = !isRecord(value);
    if (isRecord(value)) records.push(value);
    else invalid++;
  }
  return { records, invalid, lastLineInvalid };
}

export function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cacheCreation5mInputTokens: 0, cacheCreation1hInputTokens: 0, totalTokens: 0 };
}

/** Adds a turn's tokens (as hooks report them: one cache-write figure, counted as the short-TTL write). */
export function addTurn(totals: UsageTotals, turn: TurnUsage): void {
  totals.inputTokens += turn.inputTokens;
  totals.outputTokens += turn.outputTokens;
  totals.cacheReadInputTokens += turn.cacheReadTokens;
  totals.cacheCreationInputTokens += turn.cacheWriteTokens;
  totals.cacheCreation5mInputTokens += turn.cacheWriteTokens;
  totals.totalTokens += turn.inputTokens + turn.outputTokens + turn.cacheReadTokens + turn.cacheWriteTokens;
}

/** A turn in the price table's terms; its one cache-write figure is priced as the short-TTL write. */
export function turnTokenUsage(turn: TurnUsage): TokenUsage {
  return { input: turn.inputTokens, output: turn.outputTokens, cacheRead: turn.cacheReadTokens, cacheWrite5m: turn.cacheWriteTokens, cacheWrite1h: 0 };
}
