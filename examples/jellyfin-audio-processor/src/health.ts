// `/healthz`: one route, so node:http is enough. 200 while the service can do its work, 503 otherwise.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `/healthz` reports; `ok` decides the status code. */
export type HealthReport = { ok: boolean } & Record<string, unknown>;

/** Serves `GET /healthz` with `report()`; resolves once listening. */
export async function startHealthServer(
  host: string,
  port: number,
  report: () => HealthReport,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/healthz') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const body = report();
    res
      .writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: body.ok ? 'ok' : 'unavailable', ...body }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}/healthz`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
