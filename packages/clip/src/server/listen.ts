// Serve a ClipServer over HTTP with @hono/node-server.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createClipServer, type ClipServerOptions } from './app';

/** Options of {@link startClipServer}: the server's options plus where to listen. */
export interface StartClipServerOptions extends ClipServerOptions {
  /** TCP port (0 = any free port). Default 8095. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback only; set `0.0.0.0` deliberately). */
  host?: string;
}

/** A listening embedding server. */
export interface RunningClipServer {
  /** Base URL, e.g. `http://127.0.0.1:8095`. */
  url: string;
  /** Port actually bound. */
  port: number;
  /** Stop listening and close the fetcher (the embedder belongs to the caller). */
  close(): Promise<void>;
}

/** Start the embedding server and resolve once it listens. */
export async function startClipServer(options: StartClipServerOptions): Promise<RunningClipServer> {
  const { port = 8095, host = '127.0.0.1', ...serverOptions } = options;
  const server = createClipServer(serverOptions);
  const { http, info } = await new Promise<{ http: ReturnType<typeof serve>; info: AddressInfo }>(
    (resolve) => {
      const http = serve({ fetch: server.app.fetch, port, hostname: host }, (info) =>
        resolve({ http, info }),
      );
    },
  );
  const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${shownHost}:${info.port}`,
    port: info.port,
    async close() {
      // Stop accepting, drop idle keep-alive sockets now; requests in flight finish first.
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      if ('closeIdleConnections' in http) http.closeIdleConnections();
      await closed;
      await server.close();
    },
  };
}
