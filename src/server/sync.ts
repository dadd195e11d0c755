// Pull mode: fetch refs/notes/chainloop-trace from each configured git remote into a bare cache
// repository and feed every note line through the same ingest path as POST /api/v1/attestations.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { gitRaw } from '../git.js';
import { NOTES_REF } from '../upload/notes.js';
import { ingestBundle, type IngestContext, type IngestOutcome } from './ingest.js';

export interface SyncRemote {
  url: string;
  /** The repository its attestations must name; undefined: any the trust allows. */
  repository?: string | undefined;
}

export interface RemoteSyncResult {
  url: string;
  lines: number;
  stored: number;
  duplicates: number;
  rejected: { status: number; detail: string }[];
  error?: string;
}

export async function syncRemotes(context: IngestContext, remotes: readonly SyncRemote[], options: { cacheDir: string; onOutcome?: (outcome: IngestOutcome) => void }): Promise<RemoteSyncResult[]> {
  const results: RemoteSyncResult[] = [];
  for (const remote of remotes) results.push(await syncRemote(context, remote, options));
  return results;
}

async function syncRemote(context: IngestContext, remote: SyncRemote, options: { cacheDir: string; onOutcome?: (outcome: IngestOutcome) => void }): Promise<RemoteSyncResult> {
  const result: RemoteSyncResult = { url: remote.url, lines: 0, stored: 0, duplicates: 0, rejected: [] };
  const dir = join(options.cacheDir, createHash('sha256').update(remote.url).digest('hex').slice(0, 16));
  try {
    if (!existsSync(join(dir, 'HEAD'))) {
      mkdirSync(dir, { recursive: true });
      await gitRaw(['init', '-q', '--bare', dir], { cwd: options.cacheDir });
    }
    // `--` keeps a URL that starts with `-` from being read as an option.
    const fetched = await gitRaw(['fetch', '-q', '--no-tags', '--', remote.url, `+${NOTES_REF}:${NOTES_REF}`], { cwd: dir, okCodes: [128] });
    if (fetched.code !== 0) {
      if (/couldn't find remote ref/i.test(fetched.stderr)) return result; // no attestations pushed yet
      result.error = fetched.stderr.trim().split('\n').at(-1) ?? 'git fetch failed';
      return result;
    }
    const listed = (await gitRaw(['notes', `--ref=${NOTES_REF}`, 'list'], { cwd: dir })).stdout.toString('utf8');
    const blobs = [...new Set(listed.split('\n').filter(Boolean).map((line) => line.split(' ')[0]!))];
    if (blobs.length === 0) return result;
    const batch = (await gitRaw(['cat-file', '--batch'], { cwd: dir, input: `${blobs.join('\n')}\n` })).stdout;
    const scope = { name: `sync of ${remote.url}`, repositories: remote.repository ? [remote.repository] : ['*'] };
    for (const text of blobTexts(batch)) {
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        result.lines++;
        const outcome = await ingestBundle(context, scope, line);
        options.onOutcome?.(outcome);
        if (outcome.status === 201) result.stored++;
        else if (outcome.status === 200) result.duplicates++;
        else result.rejected.push({ status: outcome.status, detail: outcome.body.error.message });
      }
    }
  } catch (error) {
    result.error = errorMessage(error);
  }
  return result;
}

/** The contents of `git cat-file --batch` output: `<oid> <type> <size>\n<content>\n` per object. */
function blobTexts(output: Buffer): string[] {
  const texts: string[] = [];
  let at = 0;
  while (at < output.length) {
    const eol = output.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = output.subarray(at, eol).toString('utf8').split(' ');
    const size = Number(header[2]);
    if (header[1] !== 'blob' || !Number.isFinite(size)) {
      at = eol + 1;
      continue;
    }
    texts.push(output.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return texts;
}
