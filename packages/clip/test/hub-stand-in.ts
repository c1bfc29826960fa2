// A loopback stand-in of the Hugging Face hub for the pull tests, speaking the hub's protocol as
// huggingface_hub reads it: the revision listing (`/api/models/{repo}/revision/{rev}` with `sha`
// and `siblings`), HEAD/GET on `/{repo}/resolve/{rev}/{file}` with X-Repo-Commit, ETag (the git
// blob sha1) for small files and, for LFS files (*.onnx), a 302 to a content URL with
// X-Linked-Etag (the sha256) and X-Linked-Size; the content URL honours `Range: bytes=N-` (206).
// The content URL is on a second port, as the hub's CDN is on another host. Faults: cut the next
// content transfer after N bytes, or serve a corrupted copy.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** One request the stand-in saw. */
export interface SeenRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

/** A running stand-in. */
export interface HubStandIn {
  url: string;
  repo: string;
  commit: string;
  seen: SeenRequest[];
  /** Cut the next content transfer after this many bytes (then heal). */
  cutNextAfter(bytes: number): void;
  /** Serve content with one byte flipped until turned off. */
  corrupt(on: boolean): void;
  close(): Promise<void>;
}

function walk(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full, root) : [relative(root, full).split('\\').join('/')];
  });
}

/** Serve `dir`'s files as `repo` at one commit, on 127.0.0.1. */
export async function startHubStandIn(dir: string, repo = 'pmoves-test/clip-tiny'): Promise<HubStandIn> {
  const commit = createHash('sha1').update(`${repo}@${dir}`).digest('hex');
  const files = new Map<string, { data: Buffer; lfs: boolean; etag: string }>();
  for (const f of walk(dir)) {
    const data = readFileSync(join(dir, f));
    const lfs = f.endsWith('.onnx');
    const etag = lfs
      ? createHash('sha256').update(data).digest('hex')
      : createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
    files.set(f, { data, lfs, etag });
  }
  const bySha = new Map([...files.values()].filter((f) => f.lfs).map((f) => [f.etag, f]));
  const seen: SeenRequest[] = [];
  let cutAfter: number | undefined;
  let corrupted = false;

  const content = (req: IncomingMessage, res: ServerResponse, data: Buffer): unknown => {
    let body = data;
    if (corrupted) {
      body = Buffer.from(data);
      body[body.length >> 1] = body[body.length >> 1]! ^ 0xff;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    const part = body.subarray(from);
    const headers: Record<string, string | number> = {
      'content-length': part.length,
      'accept-ranges': 'bytes',
    };
    if (m) headers['content-range'] = `bytes ${from}-${body.length - 1}/${body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (req.method === 'HEAD') return res.end();
    if (cutAfter !== undefined) {
      const n = cutAfter;
      cutAfter = undefined;
      res.write(part.subarray(0, n), () => res.destroy());
      return;
    }
    res.end(part);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): unknown => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      if (api[1] !== repo) return res.writeHead(404).end('{"error":"Repository not found"}');
      return res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: repo,
          sha: commit,
          siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
        }),
      );
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const f = bySha.get(cdn[1]!);
      if (!f || url.searchParams.get('sig') !== 'signed') return res.writeHead(403).end();
      return content(req, res, f.data);
    }
    const resolve = new RegExp(`^/${repo}/resolve/([^/]+)/(.+)$`).exec(decodeURIComponent(url.pathname));
    if (resolve) {
      const [, rev, path] = resolve;
      const f = files.get(path!);
      if (!f || (rev !== commit && rev !== 'main')) {
        return res.writeHead(404, { 'x-repo-commit': commit, 'x-error-code': 'EntryNotFound' }).end();
      }
      if (f.lfs) {
        return res
          .writeHead(302, {
            location: `http://127.0.0.1:${cdnPort}/cdn/${f.etag}?sig=signed`,
            'x-repo-commit': commit,
            'x-linked-etag': `"${f.etag}"`,
            'x-linked-size': f.data.length,
            etag: `"${createHash('sha1').update(f.etag).digest('hex')}"`,
          })
          .end();
      }
      res.setHeader('x-repo-commit', commit);
      res.setHeader('etag', `"${f.etag}"`);
      return content(req, res, f.data);
    }
    res.writeHead(404).end();
  };
  const server: Server = createServer(handler);
  const cdnServer: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => cdnServer.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const cdnPort = (cdnServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    repo,
    commit,
    seen,
    cutNextAfter: (n) => (cutAfter = n),
    corrupt: (on) => (corrupted = on),
    close: async () => {
      for (const s of [server, cdnServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
