// Reading the notes ref's tip from git's ref files (no git process): loose, packed, symbolic, absent,
// and reftable repositories, where the files cannot tell.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRefFile } from '../../src/sessions/notes-tip.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const REF = 'refs/notes/chainloop-trace';
const dirs: string[] = [];

function gitDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-refs-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('readRefFile', () => {
  it('reads a loose ref before the packed one', () => {
    expect(readRefFile(gitDir({ [REF]: `${A}\n`, 'packed-refs': `# pack-refs with: peeled fully-peeled sorted\n${B} ${REF}\n` }), REF)).toBe(A);
  });

  it('reads a packed ref, not one whose name only ends the same', () => {
    const packed = `# pack-refs with: peeled fully-peeled sorted\n${A} refs/notes/other-chainloop-trace\n${B} ${REF}\n^${A}\n`;
    expect(readRefFile(gitDir({ 'packed-refs': packed }), REF)).toBe(B);
    expect(readRefFile(gitDir({ 'packed-refs': `${A} refs/notes/x/chainloop-trace\n` }), REF)).toBeNull();
  });

  it('follows a symbolic ref', () => {
    expect(readRefFile(gitDir({ 'refs/remotes/origin/HEAD': 'ref: refs/remotes/origin/main\n', 'refs/remotes/origin/main': `${A}\n` }), 'refs/remotes/origin/HEAD')).toBe(A);
  });

  it('is null without the ref, and undefined (ask git) in a reftable repository', () => {
    expect(readRefFile(gitDir({ HEAD: 'ref: refs/heads/main\n' }), REF)).toBeNull();
    expect(readRefFile(gitDir({ 'reftable/tables.list': '' }), REF)).toBeUndefined();
  });
});
