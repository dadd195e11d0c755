// `trace fetch [remote]`: bring the remote's attestations into the local notes ref, so `show`,
// `blame` and `verify` work in a fresh clone.
import { openRepo } from '../context.js';
import type { Outcome } from '../program.js';
import { fetchNotes, NOTES_REF } from '../upload/notes.js';
import { assertRemote } from '../verify/remote.js';

export async function fetchAttestations(options: { cwd: string; remote: string }): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  await assertRemote(repo.root, options.remote);
  const result = await fetchNotes(repo.root, options.remote);
  const lines = [
    !result.remoteHasNotes ? `${options.remote} has no attestations yet (${NOTES_REF})` : result.merged ? `fetched attestations from ${options.remote} into ${NOTES_REF}` : `attestations from ${options.remote} were already here`,
    ...result.problems.map((p) => `  skipped bad note${p.commit ? ` on ${p.commit.slice(0, 12)}` : ''}: ${p.reason}`),
  ];
  const json = { remote: options.remote, remote_has_notes: result.remoteHasNotes, merged: result.merged, problems: result.problems.map((p) => ({ commit: p.commit ?? null, reason: p.reason })) };
  return { json, text: lines.join('\n'), exitCode: 0 };
}
