// A scripted model server on 127.0.0.1: every request is recorded; a route of the API family answers
// it from the scenario, and a request no route scripted gets a 500 and lands in `unscripted`, so a
// test fails on any call the scenario did not expect (telemetry, update checks, a surprise model call).
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  raw: string;
}

/** Answers `request` and returns true, or returns false to leave it unscripted. */
export type Route = (request: RecordedRequest, response: ServerResponse) => boolean;

export interface ModelServer {
  url: string;
  requests: RecordedRequest[];
  unscripted: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startModelServer(route: Route): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  const unscripted: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const request: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw };
      requests.push(request);
      let handled = false;
      try {
        handled = route(request, res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
        unscripted.push(request);
        return;
      }
      if (!handled) {
        unscripted.push(request);
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'unscripted', message: `not in the scenario: ${request.method} ${request.url}` } }));
      }
    });
  });
  // The server is also the agents' HTTP(S) proxy: a call to anywhere but 127.0.0.1 arrives here as a
  // CONNECT (or an absolute-URL request), is refused and recorded as unscripted.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    const request: RecordedRequest = { method: 'CONNECT', url: req.url ?? '', headers: req.headers, body: undefined, raw: '' };
    requests.push(request);
    unscripted.push(request);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unscripted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes Server-Sent Events: `event:` lines only when the family names its events. */
export function sse(response: ServerResponse, events: { event?: string; data: unknown }[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const { event, data } of events) response.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  response.end();
}

export function json(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
