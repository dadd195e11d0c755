// Reading a file whose path came from a hook payload (a transcript, a rollout, a chat file): only a
// regular file, with a size cap and a deadline.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** A transcript larger than this is not read (Claude Code's own files stay far below it). */
export const MAX_TRANSCRIPT_BYTES = 256 * 1024 * 1024;
/**
 * The text of a regular file, read with a size cap and a deadline. A transcript path comes from a
 * hook payload: a FIFO would block a plain read forever and a device (/dev/urandom) never ends, so the
 * file is opened without blocking and its type checked on the open descriptor before any read.
 */
export async function readRegularFile(path: string, limits: { maxBytes?: number; deadline?: number } = {}): Promise<string> {
  const maxBytes = limits.maxBytes ?? MAX_TRANSCRIPT_BYTES;
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`it is not a regular file (${fileKind(stats)}), so it was not read`);
    if (stats.size > maxBytes) throw new Error(`it is ${stats.size} bytes, over the ${maxBytes}-byte limit for a transcript, so it was not read`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (limits.deadline !== undefined && Date.now() > limits.deadline) throw new Error('reading it took too long, so it was left unread');
      const buffer = Buffer.alloc(Math.min(4 * 1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new Error(`it grew past the ${maxBytes}-byte limit for a transcript while being read, so it was not read`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

function fileKind(stats: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean }): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a file';
}

