// Whether git's hooks left commits to attribute (see queue.ts), answered without loading attribution:
// for readers that settle the queue only when there is something in it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const QUEUE_DIR = 'queue';

/** Whether hooks left attributions to do. */
export function hasQueued(stateDir: string): boolean {
  try {
    return readdirSync(join(stateDir, QUEUE_DIR)).length > 0;
  } catch {
    return false;
  }
}
