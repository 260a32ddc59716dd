import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the local test server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
}

export interface LocalServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 (ephemeral port) that records requests and lets each test answer
 * them as the real protocol would (JSON, server-sent events, NDJSON).
 */
export async function startLocalServer(handle: (req: SeenRequest, res: ServerResponse, index: number) => void | Promise<void>): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try { body = JSON.parse(raw) as Record<string, unknown>; } catch { /* recorded as raw */ }
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body };
      requests.push(seen);
      Promise.resolve(handle(seen, res, requests.length - 1)).catch((e) => { res.statusCode = 599; res.end(String(e)); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Write pieces with small pauses so the client really receives them in separate chunks. */
export async function writeSlowly(res: ServerResponse, pieces: string[]): Promise<void> {
  for (const p of pieces) {
    res.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
  res.end();
}
