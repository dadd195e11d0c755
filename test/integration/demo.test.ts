// `npm run demo` into a pipe is plain text; colour only when asked for (FORCE_COLOR stands in for a terminal).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/repo.js';

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[/;

function demo(env: NodeJS.ProcessEnv): { code: number | null; stdout: string } {
  const rest = { ...process.env };
  delete rest.NO_COLOR;
  delete rest.FORCE_COLOR;
  const result = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'demo.mjs')], { env: { ...rest, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout };
}

describe('the demo', () => {
  it('writes no escape codes into a pipe, and colours (its headings and trace’s output) when forced', () => {
    const piped = demo({});
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('== trace blame src/cli.js');
    expect(piped.stdout).not.toMatch(ESCAPE);

    const forced = demo({ FORCE_COLOR: '1' });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('\x1b[1m== trace blame src/cli.js');
    // trace blame's own colours reached the demo's output too
    expect(forced.stdout).toMatch(new RegExp(`${ESCAPE.source}3\\dm[^\\n]*ai claude-code`));
  }, 180_000);
});
