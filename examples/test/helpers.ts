import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The NATS server scripts/test.sh starts; a clear failure when the suite runs without it. */
export function testNatsUrl(): string {
  const url = process.env.PMOVES_TEST_NATS_URL;
  if (!url)
    throw new Error('PMOVES_TEST_NATS_URL is not set: run the suite with `npm test` (scripts/test.sh).');
  return url;
}

/** A loopback server speaking Discord's webhook wire format; records each body it accepts. */
export async function startDiscordWebhook(opts: { rateLimitFirst?: boolean } = {}) {
  const bodies: unknown[] = [];
  let limited = false;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (opts.rateLimitFirst && !limited) {
      limited = true;
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 0.05, global: false }));
      return;
    }
    bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/123/secret-token`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Resolves when `check` returns a value, polling; rejects after `ms`. */
export async function waitFor<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
