import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobOid, MODULE, moduleBytes, sha1Hex } from '../../src/core/sha1.js';
import { prng } from '../support/random.js';

function randomBytes(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

describe('WebAssembly SHA-1', () => {
  it('agrees with node:crypto at every padding boundary and across its 64 KiB input chunks', () => {
    const random = prng(11);
    const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 65_535, 65_536, 65_537, 65_536 + 56, 200_003];
    for (const length of lengths) {
      const data = randomBytes(random, length);
      expect(sha1Hex(data), `length ${length}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });

  it('hashes parts as their concatenation, however they are split', () => {
    const random = prng(12);
    const data = randomBytes(random, 150_000);
    const expected = createHash('sha1').update(data).digest('hex');
    for (const cuts of [[0], [1], [63, 64], [65_535, 65_537], [10, 70_000, 140_000]]) {
      const parts = [...cuts, data.length].map((end, i, all) => data.subarray(i === 0 ? 0 : all[i - 1], end));
      expect(sha1Hex(...parts)).toBe(expected);
    }
  });

  it('runs the module its encoder writes', () => {
    expect(MODULE, 'MODULE is out of date: set it to the base64 of moduleBytes()').toBe(Buffer.from(moduleBytes()).toString('base64'));
  });

  it('gives git blob ids', () => {
    // `printf 'hello\n' | git hash-object --stdin`, and the empty blob.
    expect(blobOid(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(blobOid(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});
