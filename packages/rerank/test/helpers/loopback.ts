// A loopback HTTP server for contract tests: each test decides what the backend answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

export interface Loopback {
  url: string;
  received: Received[];
  /** Replace the handler. */
  handle(h: Handler): void;
  /** Highest number of requests in flight at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export async function startLoopback(handler: Handler): Promise<Loopback> {
  let current = handler;
  const received: Received[] = [];
  let inFlight = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      res.on('close', () => inFlight--);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* keep raw text */
      }
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(r);
      try {
        await current(r, res);
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    handle: (h) => (current = h),
    maxInFlight: () => peak,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A `connectGuard` for the image fetcher that lets only loopback connections through and records
 * every other address it refused (a test must end with `violations` empty).
 */
export function loopbackGuard() {
  const violations: string[] = [];
  const guard = (t: { address: string }) => {
    if (!t.address.startsWith('127.')) {
      violations.push(t.address);
      throw new Error(`test guard: refused ${t.address}`);
    }
  };
  return { guard, violations };
}
