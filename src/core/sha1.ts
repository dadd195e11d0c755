// SHA-1 in WebAssembly, for git blob ids on the hook hot path. Loading node:crypto costs a hook about
// 2.5 ms (it pulls in the stream modules), several times what hashing a source file takes; plain
// JavaScript runs too slowly before the JIT warms up, while WebAssembly is compiled straight to
// machine code. The module's source is the small encoder below (`moduleBytes`); its output is kept
// as MODULE, since running the encoder cold costs a hook about 1 ms, and a test checks that the two
// agree. `compress` runs SHA-1's compression function over whole 64-byte blocks, and the padding is
// done here (FIPS 180-4, sections 5.1.1 and 6.1.2).

const PAGE = 65536;
/** Memory layout: the message schedule W[0..79], then the state H0..H4, then the input blocks. */
const W = 0;
const H = 320;
const DATA = 512;
/** Input is copied in and hashed this many bytes at a time, so the memory stays two pages. */
const CHUNK = PAGE;

// The few WebAssembly opcodes the module needs.
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
} as const;

/** Signed LEB128, as i32.const takes it. */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/**
 * The body of `compress(ptr, blocks)`: params 0 and 1; locals 2..6 are a..e, 7 the round's new a,
 * 8 a scratch word, 9 the loop index (a byte offset into W).
 */
function compressBody(): number[] {
  const [ptr, blocks, a, b, c, d, e, t, x, i] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const code: number[] = [];
  const emit = (...bytes: number[]) => {
    for (const byte of bytes) code.push(byte);
  };
  const get = (local: number) => emit(op.localGet, local);
  const set = (local: number) => emit(op.localSet, local);
  const konst = (value: number) => emit(op.i32Const, ...sleb(value | 0));
  const load = (offset: number) => emit(op.i32Load, 2, ...uleb(offset));
  const store = (offset: number) => emit(op.i32Store, 2, ...uleb(offset));
  const rotl = (bits: number) => {
    konst(bits);
    emit(op.i32Rotl);
  };
  /** `loop { body; i += 4; br_if i < end }` with i starting at `from` (byte offsets into W). */
  const loopOver = (from: number, end: number, body: () => void) => {
    konst(from);
    set(i);
    emit(op.loop, 0x40);
    body();
    get(i);
    konst(4);
    emit(op.i32Add, op.localTee, i);
    konst(end);
    emit(0x49 /* i32.lt_u */, op.brIf, 0, op.end);
  };

  emit(op.block, 0x40, op.loop, 0x40);
  get(blocks);
  emit(op.i32Eqz, op.brIf, 1);
  // W[0..15]: the block's big-endian words, byte-swapped with two rotations and masks.
  loopOver(0, 64, () => {
    get(i);
    get(ptr);
    get(i);
    emit(op.i32Add);
    load(0);
    emit(op.localTee, x);
    rotl(8);
    konst(0x00ff00ff);
    emit(op.i32And);
    get(x);
    konst(8);
    emit(op.i32Rotr);
    konst(0xff00ff00);
    emit(op.i32And, op.i32Or);
    store(W);
  });
  // W[16..79] = rotl(W[j-3] ^ W[j-8] ^ W[j-14] ^ W[j-16], 1), addressed from i - 64 (offsets are unsigned).
  loopOver(64, 320, () => {
    get(i);
    const from = () => {
      get(i);
      konst(64);
      emit(op.i32Sub);
    };
    from();
    load(W + 64 - 12);
    from();
    load(W + 64 - 32);
    emit(op.i32Xor);
    from();
    load(W + 64 - 56);
    emit(op.i32Xor);
    from();
    load(W);
    emit(op.i32Xor);
    rotl(1);
    store(W);
  });
  [a, b, c, d, e].forEach((local, n) => {
    konst(0);
    load(H + 4 * n);
    set(local);
  });
  const rounds: [number, () => void][] = [
    // Ch(b, c, d) = (b & c) | (~b & d)
    [0x5a827999, () => (get(b), get(c), emit(op.i32And), get(b), konst(-1), emit(op.i32Xor), get(d), emit(op.i32And, op.i32Or))],
    // Parity(b, c, d) = b ^ c ^ d
    [0x6ed9eba1, () => (get(b), get(c), emit(op.i32Xor), get(d), emit(op.i32Xor))],
    // Maj(b, c, d) = (b & c) | (b & d) | (c & d)
    [0x8f1bbcdc, () => (get(b), get(c), emit(op.i32And), get(b), get(d), emit(op.i32And, op.i32Or), get(c), get(d), emit(op.i32And, op.i32Or))],
    [0xca62c1d6, () => (get(b), get(c), emit(op.i32Xor), get(d), emit(op.i32Xor))],
  ];
  rounds.forEach(([k, f], quarter) => {
    // 20 rounds: t = rotl(a, 5) + f(b, c, d) + e + K + W[j]; e = d; d = c; c = rotl(b, 30); b = a; a = t
    loopOver(80 * quarter, 80 * (quarter + 1), () => {
      get(a);
      rotl(5);
      f();
      emit(op.i32Add);
      get(e);
      emit(op.i32Add);
      konst(k);
      emit(op.i32Add);
      get(i);
      load(W);
      emit(op.i32Add);
      set(t);
      get(d);
      set(e);
      get(c);
      set(d);
      get(b);
      rotl(30);
      set(c);
      get(a);
      set(b);
      get(t);
      set(a);
    });
  });
  [a, b, c, d, e].forEach((local, n) => {
    konst(0);
    konst(0);
    load(H + 4 * n);
    get(local);
    emit(op.i32Add);
    store(H + 4 * n);
  });
  get(ptr);
  konst(64);
  emit(op.i32Add);
  set(ptr);
  get(blocks);
  konst(1);
  emit(op.i32Sub);
  set(blocks);
  emit(op.br, 0, op.end, op.end);
  return code;
}

/** What `moduleBytes` writes, in base64; test/unit/sha1.test.ts fails when the two differ. */
export const MODULE =
  'AGFzbQEAAAABBgFgAn9/AAIPAQNlbnYGbWVtb3J5AgABAwIBAAcMAQhjb21wcmVzcwAACtAEAc0EAQh/AkADQCABRQ0BQQAhCQNAIAkgACAJaigCACIIQQh3Qf+B/AdxIAhBCHhBgP6DeHFyNgIAIAlBBGoiCUHAAEkNAAtBwAAhCQNAIAkgCUHAAGsoAjQgCUHAAGsoAiBzIAlBwABrKAIIcyAJQcAAaygCAHNBAXc2AgAgCUEEaiIJQcACSQ0AC0EAKALAAiECQQAoAsQCIQNBACgCyAIhBEEAKALMAiEFQQAoAtACIQZBACEJA0AgAkEFdyADIARxIANBf3MgBXFyaiAGakGZ84nUBWogCSgCAGohByAFIQYgBCEFIANBHnchBCACIQMgByECIAlBBGoiCUHQAEkNAAtB0AAhCQNAIAJBBXcgAyAEcyAFc2ogBmpBodfn9gZqIAkoAgBqIQcgBSEGIAQhBSADQR53IQQgAiEDIAchAiAJQQRqIglBoAFJDQALQaABIQkDQCACQQV3IAMgBHEgAyAFcXIgBCAFcXJqIAZqQdz57vh4aiAJKAIAaiEHIAUhBiAEIQUgA0EedyEEIAIhAyAHIQIgCUEEaiIJQfABSQ0AC0HwASEJA0AgAkEFdyADIARzIAVzaiAGakHWg4vTfGogCSgCAGohByAFIQYgBCEFIANBHnchBCACIQMgByECIAlBBGoiCUHAAkkNAAtBAEEAKALAAiACajYCwAJBAEEAKALEAiADajYCxAJBAEEAKALIAiAEajYCyAJBAEEAKALMAiAFajYCzAJBAEEAKALQAiAGajYC0AIgAEHAAGohACABQQFrIQEMAAsLCw==';

export function moduleBytes(): Uint8Array {
  const i32 = 0x7f;
  const body = [...vector([[...uleb(8), i32]]), ...compressBody(), op.end];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector([[i32], [i32]]), ...vector([])]])), // type: (i32, i32) -> ()
    ...section(2, vector([[...uleb(3), ...'env'.split('').map((ch) => ch.charCodeAt(0)), ...uleb(6), ...'memory'.split('').map((ch) => ch.charCodeAt(0)), 0x02, 0x00, ...uleb(1)]])), // import env.memory
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(7, vector([[...uleb(8), ...'compress'.split('').map((ch) => ch.charCodeAt(0)), 0x00, 0]])), // export compress
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

/** The part of the WebAssembly API used here (TypeScript's lib for Node leaves it out). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

interface Engine {
  memory: { buffer: ArrayBuffer };
  compress: (ptr: number, blocks: number) => void;
}

let engine: Engine | undefined;

function load(): Engine {
  if (engine) return engine;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const memory = new wasm.Memory({ initial: 1 + CHUNK / PAGE });
  const instance = new wasm.Instance(new wasm.Module(Buffer.from(MODULE, 'base64')), { env: { memory } });
  engine = { memory, compress: instance.exports.compress as Engine['compress'] };
  return engine;
}

const INITIAL = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/** The SHA-1 digest of the concatenation of `parts`, in lowercase hex. */
export function sha1Hex(...parts: Uint8Array[]): string {
  const { memory, compress } = load();
  const bytes = new Uint8Array(memory.buffer);
  const words = new DataView(memory.buffer);
  INITIAL.forEach((value, i) => words.setUint32(H + 4 * i, value, true));
  let buffered = 0;
  let total = 0;
  for (const part of parts) {
    let offset = 0;
    while (offset < part.length) {
      const take = Math.min(part.length - offset, CHUNK - buffered);
      bytes.set(part.subarray(offset, offset + take), DATA + buffered);
      buffered += take;
      offset += take;
      if (buffered === CHUNK) {
        compress(DATA, CHUNK / 64);
        buffered = 0;
      }
    }
    total += part.length;
  }
  // Hash the whole blocks, move the remainder to the front, and pad: 0x80, zeros, the bit length.
  const whole = buffered & ~63;
  if (whole > 0) compress(DATA, whole / 64);
  const rest = buffered - whole;
  bytes.copyWithin(DATA, DATA + whole, DATA + buffered);
  const padded = rest < 56 ? 64 : 128;
  bytes.fill(0, DATA + rest, DATA + padded);
  bytes[DATA + rest] = 0x80;
  words.setUint32(DATA + padded - 8, Math.floor(total / 0x20000000), false);
  words.setUint32(DATA + padded - 4, (total * 8) >>> 0, false);
  compress(DATA, padded / 64);
  let hex = '';
  for (let i = 0; i < 5; i++) hex += words.getUint32(H + 4 * i, true).toString(16).padStart(8, '0');
  return hex;
}

/** Git's blob id for `content`: the SHA-1 of a `blob <size>` header and the content. */
export function blobOid(content: Uint8Array): string {
  return sha1Hex(new TextEncoder().encode(`blob ${content.length}\0`), content);
}
