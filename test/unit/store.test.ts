import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { blobOid } from '../../src/core/sha1.js';
import { Store } from '../../src/store.js';
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

  it('keeps small data as stored DEFLATE blocks and compresses large data, all of it readable by zlib', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-store-'));
    dirs.push(dir);
    const store = Store.open(dir);
    const small = Buffer.from('const a = 1;\n'.repeat(20));
    const large = Buffer.from('const b = 2;\n'.repeat(2000));
    const edited = Buffer.concat([large.subarray(0, 5000), Buffer.from('const c = 3;\n'), large.subarray(5000)]);
    const oids = [store.putBlob(small), store.putBlob(large), store.putBlob(edited, blobOid(large))];
    const rows = oids.map((oid) => store.db.prepare('SELECT base, data FROM blobs WHERE oid = ?').get(oid) as { base: string | null; data: Buffer });
    // A stored block: BFINAL 1, BTYPE 00, then the length and its complement, then the bytes as they are.
    expect(rows[0]!.data.subarray(5)).toEqual(small);
    expect(rows[1]!.data.length).toBeLessThan(large.length / 10);
    expect(rows[2]).toMatchObject({ base: oids[1] });
    expect(rows[2]!.data.subarray(5).toString()).toBe('const c = 3;\n');
    expect(rows.map((row) => inflateRawSync(row.data).length)).toEqual([small.length, large.length, 'const c = 3;\n'.length]);
    const fresh = Store.open(dir);
    expect([small, large, edited].map((content, i) => fresh.getBlob(oids[i]!).equals(content))).toEqual([true, true, true]);
    fresh.close();
    store.close();
  });

  it('stores a delta against content the caller hands in, without reading the base back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-store-'));
    dirs.push(dir);
    const store = Store.open(dir);
    const base = Buffer.from('line\n'.repeat(1000));
    const baseOid = store.putBlob(base);
    store.db.prepare('UPDATE blobs SET data = ? WHERE oid = ?').run(Buffer.from('not deflate'), baseOid);
    const next = Buffer.concat([base, Buffer.from('more\n')]);
    const oid = store.putBlob(next, baseOid, base);
    expect(store.db.prepare('SELECT base, prefix, suffix FROM blobs WHERE oid = ?').get(oid)).toEqual({ base: baseOid, prefix: base.length, suffix: 0 });
    store.close();
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
