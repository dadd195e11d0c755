// `trace fetch [remote]`: bring the remote's attestations into the local notes ref, so `show`,
// `blame` and `verify` work in a fresh clone, and index the sessions they attest (teammates' too)
// for `trace sessions`, each new bundle verified once.
import { openCaptureStore } from '../capture/open.js';
import { openRepo } from '../context.js';
import { errorMessage } from '../errors.js';
import type { Outcome } from '../program.js';
import { isInitialised } from '../repo.js';
import type { NotesIndexResult } from '../sessions/notes-index.js';
import { fetchNotes, NOTES_REF } from '../upload/notes.js';
import { assertRemote } from '../verify/remote.js';

export async function fetchAttestations(options: { cwd: string; remote: string; now?: Date }): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  await assertRemote(repo.root, options.remote);
  const result = await fetchNotes(repo.root, options.remote);
  const lines = [
    !result.remoteHasNotes ? `${options.remote} has no attestations yet (${NOTES_REF})` : result.merged ? `fetched attestations from ${options.remote} into ${NOTES_REF}` : `attestations from ${options.remote} were already here`,
    ...result.problems.map((p) => `  skipped bad note${p.commit ? ` on ${p.commit.slice(0, 12)}` : ''}: ${p.reason}`),
  ];
  let index: NotesIndexResult | null = null;
  let indexProblem: string | null = null;
  if (isInitialised(repo)) {
    const store = openCaptureStore(repo);
    try {
      index = await (await import('../sessions/notes-index.js')).indexNotes(repo, store, { now: options.now ?? new Date() });
      const checked = index.checked_now > 0 ? `, ${index.checked_now} checked now` : '';
      lines.push(`sessions index: ${index.bundles} attestation bundle(s), ${index.verified} verified, ${index.unverified} unverified${checked} (trace sessions --source notes)`);
    } catch (error) {
      indexProblem = errorMessage(error);
      lines.push(`the attested sessions were not indexed: ${indexProblem}`);
    } finally {
      store.close();
    }
  }
  const json = {
    remote: options.remote,
    remote_has_notes: result.remoteHasNotes,
    merged: result.merged,
    problems: result.problems.map((p) => ({ commit: p.commit ?? null, reason: p.reason })),
    sessions_index: index,
    ...(indexProblem ? { sessions_index_problem: indexProblem } : {}),
  };
  return { json, text: lines.join('\n'), exitCode: 0 };
}
