// Serve a ClipServer over HTTP with @hono/node-server: listen (a port in use is a ClipError, not
// an unhandled 'error' event), and shut down gracefully (stop accepting, answer what was accepted).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ClipError } from '../errors';
import type { ServerMetrics } from './metrics';
import { createClipServer, type ClipServer } from './app';
import type { ClipServerOptions } from './options';

/** Options of {@link startClipServer}: the server's options plus where to listen. */
export interface StartClipServerOptions extends ClipServerOptions {
  /** TCP port (0 = any free port). Default 8095. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback only; set `0.0.0.0` deliberately). */
  host?: string;
  /** Longest wait for accepted requests in {@link RunningClipServer.close}, ms. Default 30 000. */
  shutdownTimeoutMs?: number;
}

/** A listening embedding server. */
export interface RunningClipServer {
  /** Base URL, e.g. `http://127.0.0.1:8095`. */
  url: string;
  /** Port actually bound. */
  port: number;
  /** The server's metrics. */
  metrics: ServerMetrics;
  /**
   * Graceful shutdown: stop accepting connections, answer every accepted request (new requests on
   * kept-alive connections get 503 `shutting-down`), then close connections and the fetcher. Resolves
   * `true` when everything accepted was answered within `shutdownTimeoutMs`, `false` when the rest
   * was cut off. The embedder belongs to the caller.
   */
  close(): Promise<boolean>;
}

/** Start the embedding server and resolve once it listens; a port in use rejects with `ClipError('invalid-input')`. */
export async function startClipServer(options: StartClipServerOptions): Promise<RunningClipServer> {
  const { port = 8095, host = '127.0.0.1', shutdownTimeoutMs = 30_000, ...serverOptions } = options;
  const server: ClipServer = createClipServer(serverOptions);
  let http: ReturnType<typeof serve>;
  let info: AddressInfo;
  try {
    ({ http, info } = await new Promise<{ http: ReturnType<typeof serve>; info: AddressInfo }>(
      (resolve, reject) => {
        const h = serve({ fetch: server.app.fetch, port, hostname: host }, (i) => {
          h.off('error', reject);
          resolve({ http: h, info: i });
        });
        h.once('error', reject);
      },
    ));
  } catch (err) {
    await server.close();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (code === 'EADDRINUSE')
      throw new ClipError('invalid-input', `${where} is already in use (PORT, HOST)`);
    if (code === 'EACCES')
      throw new ClipError('invalid-input', `no permission to listen on ${where} (PORT, HOST)`);
    if (code === 'EADDRNOTAVAIL')
      throw new ClipError('invalid-input', `${where}: HOST is not an address of this machine`);
    throw new ClipError('invalid-input', `cannot listen on ${where}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  let closing: Promise<boolean> | undefined;
  return {
    url: `http://${shownHost}:${info.port}`,
    port: info.port,
    metrics: server.metrics,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        if ('closeIdleConnections' in http) http.closeIdleConnections();
        const finished = await server.drain(shutdownTimeoutMs);
        // Whatever is left (idle keep-alive sockets, or requests past the timeout) is cut.
        if ('closeAllConnections' in http) http.closeAllConnections();
        await closed;
        await server.close();
        return finished;
      })();
      return closing;
    },
  };
}
