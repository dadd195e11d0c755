// Installs every pinned agent CLI into the cache before the agent tests run (a no-op once cached).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../support/repo.js';

export default function setup(): void {
  const result = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'agents-install.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`installing the agent CLIs failed:\n${result.stderr}`);
}
