// A static file server on 127.0.0.1 for the visual-search page (the end-to-end test and the
// benchmark): the built page, onnxruntime-web's wasm files from node_modules, a model directory and
// an image directory, each under its own prefix, with the COOP/COEP headers that make the page
// cross-origin isolated (WASM threads). HEAD is answered (the browser build probes model files).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.css': 'text/css',
};

/** A running static server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Paths requested so far (to check what a second visit downloads). */
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

/**
 * Serve `mounts` (URL prefix → directory, longest prefix wins) and `extra` (exact path → JSON body).
 * `isolated` adds COOP/COEP.
 */
export async function serveStatic(
  mounts: Record<string, string>,
  options: { isolated?: boolean; extra?: Record<string, unknown> } = {},
): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const requests: StaticServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push({ method: req.method ?? 'GET', path });
    if (options.isolated !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (options.extra && path in options.extra) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(options.extra[path]));
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (!prefix) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const root = mounts[prefix]!;
    let file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.statusCode = 403;
      res.end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
