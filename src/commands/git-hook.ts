// `trace git-hook <name>`: trace's part of a git hook. Only pre-push may fail, and only with requireTrace.
import type { Outcome } from '../program.js';

export interface GitHookOptions {
  name: string;
  args: string[];
  cwd: string;
  stdin: NodeJS.ReadableStream;
}

export async function gitHook(_options: GitHookOptions): Promise<Outcome> {
  return { json: null, text: '' };
}
