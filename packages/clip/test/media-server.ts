// A loopback HTTP server serving files with Range support (as a media server or CDN does), with
// per-path overrides (redirects, statuses) and a log of every request it got.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface MediaServer {
  url: string;
  port: number;
  requests: LoggedRequest[];
  /** Serve `file` at `path` with `type`. */
  file(path: string, file: string, type?: string): void;
  /** Answer `path` with a custom handler. */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

export async function startMediaServer(): Promise<MediaServer> {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    file(path, file, type = 'video/mp4') {
      routes.set(path, (req, res) => {
        void readFile(file).then((body) => {
          const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
          if (!m) {
            res.writeHead(200, {
              'content-type': type,
              'content-length': body.length,
              'accept-ranges': 'bytes',
            });
            res.end(req.method === 'HEAD' ? undefined : body);
            return;
          }
          const start = m[1] ? Number(m[1]) : body.length - Number(m[2]);
          const end = m[1] && m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
          if (start >= body.length) {
            res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
            return;
          }
          const part = body.subarray(start, end + 1);
          res.writeHead(206, {
            'content-type': type,
            'content-length': part.length,
            'content-range': `bytes ${start}-${end}/${body.length}`,
            'accept-ranges': 'bytes',
          });
          res.end(req.method === 'HEAD' ? undefined : part);
        });
      });
    },
    route(path, handler) {
      routes.set(path, handler);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
