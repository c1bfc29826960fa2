// Serving a Hono app on Node with @hono/node-server, and stopping it gracefully.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A listening HTTP server. */
export interface RunningHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** Port actually bound. */
  port: number;
  /** Stops accepting; requests in flight finish first. */
  close(): Promise<void>;
}

/** Listens on `host:port` (0 = any free port) and resolves once bound. */
export async function listen(app: Hono, port: number, host: string): Promise<RunningHttpServer> {
  const { http, info } = await new Promise<{ http: ReturnType<typeof serve>; info: AddressInfo }>(
    (resolve, reject) => {
      const http = serve({ fetch: app.fetch, port, hostname: host }, (info) => resolve({ http, info }));
      http.once('error', reject);
    },
  );
  const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${shown}:${info.port}`,
    port: info.port,
    async close() {
      const closed = new Promise<void>((r) => http.close(() => r()));
      if ('closeIdleConnections' in http) http.closeIdleConnections();
      await closed;
    },
  };
}
