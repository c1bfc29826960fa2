// Shared helpers of the example tests: the services scripts/test.sh starts, loopback stand-ins
// for the HTTP services that cannot be installed here (Discord, image hosts, upstream gateways),
// and polling.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The NATS server scripts/test.sh starts; a clear failure when the suite runs without it. */
export function testNatsUrl(): string {
  const url = process.env.PMOVES_TEST_NATS_URL;
  if (!url)
    throw new Error('PMOVES_TEST_NATS_URL is not set: run the suite with `npm test` (scripts/test.sh).');
  return url;
}

/** The PostgreSQL scripts/test.sh starts. */
export function testDatabaseUrl(): string {
  const url = process.env.PMOVES_TEST_DATABASE_URL;
  if (!url)
    throw new Error('PMOVES_TEST_DATABASE_URL is not set: run the suite with `npm test` (scripts/test.sh).');
  return url;
}

/** One request a stand-in received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
  at: number;
}

/** A loopback HTTP server; `handle` answers each request (after it is recorded). */
export async function startStandIn(
  handle: (req: Received, res: ServerResponse, n: number) => void | Promise<void>,
) {
  const requests: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      // not JSON: `body` has the text
    }
    const r = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      json,
      at: performance.now(),
    };
    requests.push(r);
    try {
      await handle(r, res, requests.length);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A stand-in for a Discord webhook: `script[n-1]` answers the n-th request (`{ status, headers?,
 * body? }`), then 204 No Content as Discord does for a webhook post without `?wait=true`.
 */
export async function startDiscordWebhook(
  script: { status: number; headers?: Record<string, string>; body?: unknown }[] = [],
) {
  const s = await startStandIn((req, res, n) => {
    const step = script[n - 1];
    if (!step) return void res.writeHead(204).end();
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(step.body === undefined ? '' : JSON.stringify(step.body));
  });
  return { ...s, url: `${s.url}/api/webhooks/123/secret-token` };
}

/** Serves files from `dir` (`GET /name`), with a content type from the extension. */
export async function startFileServer(dir: string) {
  return startStandIn(async (req, res) => {
    const name = decodeURIComponent(req.path.slice(1));
    if (name.includes('/') || name.includes('..')) return void res.writeHead(404).end();
    try {
      const bytes = await readFile(join(dir, name));
      const type = name.endsWith('.png')
        ? 'image/png'
        : name.endsWith('.jpg')
          ? 'image/jpeg'
          : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(bytes);
    } catch {
      res.writeHead(404).end();
    }
  });
}

/** Resolves when `check` returns a value, polling; rejects after `ms`. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A service started as its own process (`node --conditions=@pmoves/source --import tsx <script>`). */
export interface ServiceProcess {
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `script` (relative to examples/) with `env` added to a clean copy of this environment. */
export function startService(script: string, args: string[], env: Record<string, string>): ServiceProcess {
  const examples = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@pmoves/source', '--import', 'tsx', script, ...args], {
    cwd: examples,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
  return { output: () => out, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
