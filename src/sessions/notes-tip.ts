// Whether the notes ref moved since the sessions index last read it, answered from git's ref files
// without starting git or loading the indexer: every `trace sessions` asks, so the answer costs a
// file read and one row.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../repo.js';
import type { Store } from '../store.js';

/** upload/notes.ts `NOTES_REF` (not imported: that module loads git and crypto). */
export const NOTES_INDEX_REF = 'refs/notes/chainloop-trace';

function readFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The object id `ref` points to, read from the loose ref file or `packed-refs` (symbolic refs
 * followed); null when there is no such ref; undefined when git's ref files cannot tell (a reftable
 * repository): ask git then.
 */
export function readRefFile(commonDir: string, ref: string, depth = 0): string | null | undefined {
  if (existsSync(join(commonDir, 'reftable'))) return undefined;
  const loose = readFile(join(commonDir, ref))?.trim();
  if (loose !== undefined) {
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(loose)) return loose;
    const target = /^ref:\s*(\S+)$/.exec(loose)?.[1];
    return target && depth < 5 ? readRefFile(commonDir, target, depth + 1) : undefined;
  }
  const packed = readFile(join(commonDir, 'packed-refs'));
  if (packed === undefined) return null;
  for (const line of packed.split('\n')) {
    if (line.endsWith(` ${ref}`) && /^[0-9a-f]{40}/.test(line)) return line.slice(0, line.indexOf(' '));
  }
  return null;
}

/** The notes ref's tip if it differs from what the index last read (null: the ref is gone), else false. */
export function notesChanged(repo: Repo, store: Store): { tip: string | null } | false {
  const tip = readRefFile(repo.commonDir, NOTES_INDEX_REF);
  if (tip === undefined) return { tip: null }; // unknown: the indexer asks git
  const row = store.db.prepare('SELECT tip FROM notes_index WHERE ref = ?').get(NOTES_INDEX_REF) as { tip: string | null } | undefined;
  return (row ? row.tip === tip : tip === null) ? false : { tip };
}
