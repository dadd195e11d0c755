import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { bundleFileName, tokenFromEnv, uploadToDirectory, uploadToHttp } from '../../src/upload/targets.js';
import { cleanupTemps, tempDir } from '../support/repo.js';

const BUNDLE = JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: { payload: 'e30=' } });
const SHA = 'a'.repeat(40);

afterAll(cleanupTemps);

async function caught(promise: Promise<unknown>): Promise<TraceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceError);
  return error as TraceError;
}

describe('uploadToDirectory', () => {
  it('creates the directory and writes the bundle under <commit>-<digest prefix>.sigstore.json', async () => {
    const dir = join(tempDir('trace-upload-'), 'deep', 'attestations');
    const { path } = await uploadToDirectory(dir, { name: SHA, bundle: BUNDLE });
    const digest = createHash('sha256').update(BUNDLE).digest('hex');
    expect(path).toBe(join(dir, `${SHA}-${digest.slice(0, 16)}.sigstore.json`));
    expect(await readFile(path, 'utf8')).toBe(BUNDLE);

    // The same bundle again lands on the same file; another bundle gets its own; no temporary file is left.
    await uploadToDirectory(dir, { name: SHA, bundle: BUNDLE });
    await uploadToDirectory(dir, { name: SHA, bundle: `${BUNDLE} ` });
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    expect(files.every((file) => file.endsWith('.sigstore.json') && file.startsWith(`${SHA}-`))).toBe(true);
  });

  it('refuses a name that could leave the directory', async () => {
    const dir = tempDir('trace-upload-');
    expect(() => bundleFileName('../escape', BUNDLE)).toThrow(TraceError);
    expect((await caught(uploadToDirectory(dir, { name: '../x', bundle: BUNDLE }))).code).toBe('BAD_ARGUMENT');
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with UPLOAD_FAILED when the directory cannot be created', async () => {
    const base = tempDir('trace-upload-');
    const { path: file } = await uploadToDirectory(base, { name: SHA, bundle: BUNDLE });
    const error = await caught(uploadToDirectory(join(file, 'sub'), { name: SHA, bundle: BUNDLE }));
    expect(error.code).toBe('UPLOAD_FAILED');
    expect(error.hint).toBeTruthy();
  });
});

interface Received {
  method: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (request: Received, response: ServerResponse) => void;

let server: Server;
let url: string;
let received: Received[];
let handlers: Handler[];

beforeEach(async () => {
  received = [];
  handlers = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      const handler = handlers.shift() ?? ((_, res) => res.writeHead(200).end());
      handler(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/attestations?tenant=x`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('uploadToHttp', () => {
  it('POSTs the bundle as JSON with the bearer token', async () => {
    handlers.push((_, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"1"}'));
    const result = await uploadToHttp(url, BUNDLE, { token: 's3cret', timeoutMs: 5000 });
    expect(result).toEqual({ status: 201, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]?.method).toBe('POST');
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(received[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(received[0]?.body).toBe(BUNDLE);
  });

  it('sends no authorization header without a token', async () => {
    await uploadToHttp(url, BUNDLE, { timeoutMs: 5000 });
    expect(received[0]?.headers.authorization).toBeUndefined();
  });

  it('fails on 401 with the status and an excerpt of the body, without retrying', async () => {
    handlers.push((_, res) => res.writeHead(401, 'Unauthorized').end(`{"error":"bad token"}\n${'x'.repeat(1000)}`));
    const error = await caught(uploadToHttp(url, BUNDLE, { token: 'wrong', timeoutMs: 5000 }));
    expect(error.code).toBe('UPLOAD_FAILED');
    expect(error.message).toMatch(/^upload to http:\/\/127\.0\.0\.1:\d+\/attestations failed: HTTP 401 Unauthorized: \{"error":"bad token"\} x+…$/);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toContain('tenant=x');
    expect(error.hint).toMatch(/token/);
    expect(received).toHaveLength(1);
  });

  it('retries once after a 500 and succeeds', async () => {
    handlers.push((_, res) => res.writeHead(500).end('busy'));
    handlers.push((_, res) => res.writeHead(200).end());
    expect(await uploadToHttp(url, BUNDLE, { timeoutMs: 5000 })).toEqual({ status: 200, attempts: 2 });
    expect(received.map((r) => r.body)).toEqual([BUNDLE, BUNDLE]);
  });

  it('fails after two 5xx answers', async () => {
    handlers.push((_, res) => res.writeHead(502).end('bad gateway'));
    handlers.push((_, res) => res.writeHead(503).end('unavailable'));
    const error = await caught(uploadToHttp(url, BUNDLE, { timeoutMs: 5000 }));
    expect(error.message).toMatch(/HTTP 503.*unavailable/);
    expect(received).toHaveLength(2);
  });

  it('retries once on a network error, then fails', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await caught(uploadToHttp(`http://127.0.0.1:${port}/`, BUNDLE, { timeoutMs: 5000, fetch: counting }));
    expect(error.code).toBe('UPLOAD_FAILED');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(calls).toBe(2);
  });

  it('gives up on a server that does not answer in time', async () => {
    handlers.push(() => undefined);
    handlers.push(() => undefined);
    const error = await caught(uploadToHttp(url, BUNDLE, { timeoutMs: 150 }));
    expect(error.message).toMatch(/no answer within 150 ms/);
    expect(received).toHaveLength(2);
  });

  it('refuses to send a token over plain http to another host, and bad URLs', async () => {
    const never: typeof fetch = () => Promise.reject(new Error('must not be called'));
    expect((await caught(uploadToHttp('http://attest.example.com/x', BUNDLE, { token: 't', timeoutMs: 100, fetch: never }))).code).toBe('BAD_CONFIG');
    expect((await caught(uploadToHttp('ftp://example.com/x', BUNDLE, { timeoutMs: 100, fetch: never }))).code).toBe('BAD_CONFIG');
    expect((await caught(uploadToHttp('not a url', BUNDLE, { timeoutMs: 100, fetch: never }))).code).toBe('BAD_CONFIG');
  });
});

describe('tokenFromEnv', () => {
  it('reads the variable the config names, and says which one is missing', () => {
    expect(tokenFromEnv({ TRACE_UPLOAD_TOKEN: ' abc \n' }, 'TRACE_UPLOAD_TOKEN')).toBe('abc');
    expect(tokenFromEnv({}, undefined)).toBeUndefined();
    expect(() => tokenFromEnv({ OTHER: 'x' }, 'TRACE_UPLOAD_TOKEN')).toThrow(/TRACE_UPLOAD_TOKEN is not set/);
  });
});
