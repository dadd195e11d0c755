// The post hook reads a shell call's before-blobs itself when they are loose objects, and asks git
// for the rest: both must give git's own bytes.
import { afterAll, describe, expect, it } from 'vitest';
import { readGitBlobs, readLooseBlob } from '../../src/capture/shell.js';
import { findRepo } from '../../src/repo.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

describe('readLooseBlob', () => {
  it('reads a loose blob as git does, and leaves packed, missing and non-blob objects to git', () => {
    const test = makeRepo({ init: false, initialFiles: { 'packed.txt': 'packed\n' } });
    test.git(['gc', '-q', '--prune=now']);
    const repo = findRepo(test.dir)!;
    const content = Buffer.concat([Buffer.from('line one\r\n'), Buffer.from([0, 255, 10]), Buffer.alloc(70_000, 'x')]);
    test.write('loose.bin', content);
    const loose = test.git(['hash-object', '-w', 'loose.bin']).stdout.trim();
    const empty = test.git(['hash-object', '-w', '--stdin'], { input: '' }).stdout.trim();
    const packed = test.git(['rev-parse', 'HEAD:packed.txt']).stdout.trim();
    test.git(['commit', '-q', '--allow-empty', '-m', 'loose commit']);
    const commit = test.git(['rev-parse', 'HEAD']).stdout.trim();

    expect(readLooseBlob(repo, loose)).toEqual(content);
    expect(readLooseBlob(repo, loose)).toEqual(readGitBlobs(repo, [loose]).get(loose));
    expect(readLooseBlob(repo, empty)).toEqual(Buffer.alloc(0));
    expect(readLooseBlob(repo, packed)).toBeUndefined();
    expect(readGitBlobs(repo, [packed]).get(packed)?.toString()).toBe('packed\n');
    expect(readLooseBlob(repo, commit)).toBeUndefined();
    expect(readLooseBlob(repo, '0'.repeat(40))).toBeUndefined();
    expect(readLooseBlob(repo, '../../config')).toBeUndefined();
  });
});
