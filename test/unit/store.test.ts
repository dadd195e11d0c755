import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobOid, Store } from '../../src/store.js';
import { prng } from '../support/random.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('blob store', () => {
  it('reads back every version of a file stored as deltas, in any order, from a new connection too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-store-'));
    dirs.push(dir);
    const random = prng(7);
    let lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`);
    const versions: { oid: string; text: string }[] = [];
    const store = Store.open(dir);
    let base: string | null = null;
    for (let i = 0; i < 400; i++) {
      const at = Math.floor(random() * lines.length);
      const kind = random();
      if (kind < 0.4) lines.splice(at, 1, `edited ${i}`);
      else if (kind < 0.7) lines.splice(at, 0, `inserted ${i}`, `and ${i}`);
      else if (lines.length > 10) lines.splice(at, 2);
      else lines = [...lines, `grown ${i}`];
      const text = `${lines.join('\n')}\n`;
      const oid = store.putBlob(Buffer.from(text), base);
      expect(oid).toBe(blobOid(Buffer.from(text)));
      versions.push({ oid, text });
      base = oid;
    }
    const depth = store.db.prepare('SELECT max(depth) AS d, count(*) AS n, sum(base IS NULL) AS roots FROM blobs').get() as { d: number; n: number; roots: number };
    expect(depth.d).toBeGreaterThan(16);
    expect(depth.roots).toBeLessThan(versions.length / 10);
    for (const v of versions) expect(store.getBlob(v.oid).toString()).toBe(v.text);
    store.close();
    const again = Store.open(dir);
    const shuffled = [...versions].sort(() => random() - 0.5);
    for (const v of shuffled) expect(again.getBlob(v.oid).toString()).toBe(v.text);
    again.close();
  });

  it('says which blob is missing rather than returning wrong content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-store-'));
    dirs.push(dir);
    const store = Store.open(dir);
    const a = store.putBlob(Buffer.from('a\n'.repeat(100)));
    const b = store.putBlob(Buffer.from(`${'a\n'.repeat(100)}b\n`), a);
    store.db.prepare('DELETE FROM blobs WHERE oid = ?').run(a);
    const fresh = Store.open(dir);
    expect(() => fresh.getBlob(b)).toThrow(/is missing from the capture store/);
    fresh.close();
    store.close();
  });
});
