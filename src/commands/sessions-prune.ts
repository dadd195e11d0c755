// `trace sessions prune [--older-than 90d] [--dry-run]`: applies local retention (trace.retention.days,
// or --older-than) to the capture store. `0` means keep forever: it never deletes everything.
import { loadConfig } from '../config.js';
import { TraceError } from '../errors.js';
import { dirtyPaths } from '../git.js';
import type { Outcome } from '../program.js';
import { applyPrune, planPrune, type PrunePlan } from '../sessions/prune.js';
import { openSessions } from './sessions.js';

export interface SessionsPruneOptions {
  cwd: string;
  now: Date;
  olderThan?: string;
  dryRun?: boolean;
}

const UNIT_DAYS: Record<string, number> = { h: 1 / 24, d: 1, w: 7 };

/** `90d`, `12w`, `36h` or a number of days; 0 is refused (it would mean: delete everything). */
export function parseAge(value: string): number {
  const match = /^(\d+)([hdw])?$/.exec(value.trim());
  const days = match ? Number(match[1]) * UNIT_DAYS[match[2] ?? 'd']! : NaN;
  if (!Number.isFinite(days) || days <= 0) {
    throw new TraceError('BAD_ARGUMENT', `--older-than: ${JSON.stringify(value)} is not an age above zero`, { hint: 'e.g. --older-than 90d (0 would delete everything: retention 0 means keep forever)' });
  }
  return days;
}

export async function sessionsPrune(options: SessionsPruneOptions): Promise<Outcome> {
  const { repo, store } = await openSessions(options.cwd, options.now);
  try {
    const configured = loadConfig(repo.root).trace.retention.days;
    const days = options.olderThan !== undefined ? parseAge(options.olderThan) : configured;
    if (days === 0) {
      return {
        json: { pruned: false, reason: 'retention 0: keep everything', dry_run: options.dryRun === true },
        text: 'Nothing pruned: trace.retention.days is 0, which keeps everything. Give an age (`trace sessions prune --older-than 90d`) or set trace.retention.days.',
      };
    }
    const cutoff = new Date(options.now.getTime() - days * 86_400_000).toISOString();
    // What pending commits (attributed, not attested) and uncommitted edits still need.
    const pending = new Set<string>(await dirtyPaths(repo.root));
    for (const row of store.db.prepare('SELECT DISTINCT f.path FROM commit_files f JOIN commits c ON c.sha = f.sha WHERE c.attested_at IS NULL').all() as { path: string }[]) pending.add(row.path);
    const plan = planPrune(store, cutoff, pending);
    if (!options.dryRun) applyPrune(store, plan, pending);
    return { json: { pruned: !options.dryRun, dry_run: options.dryRun === true, ...plan }, text: renderPrune(plan, options.dryRun === true) };
  } finally {
    store.close();
  }
}

function renderPrune(plan: PrunePlan, dryRun: boolean): string {
  const verb = dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${plan.sessions.length} session(s) inactive since before ${plan.cutoff}: ${verb} ${plan.prompts} prompt(s), ${plan.tool_inputs} tool input(s), ${plan.file_changes} file change(s) and the contents only they held.`,
    'Their figures (tokens, cost, tool calls, commits) stay in `trace sessions`.',
  ];
  if (plan.kept_for_pending > 0) lines.push(`Kept ${plan.kept_for_pending} file change(s) that a pending commit or an uncommitted edit still needs.`);
  if (dryRun) lines.push('Dry run: nothing was deleted.');
  return lines.join('\n');
}
