// A loopback Jellyfin stand-in (Jellyfin cannot be installed here) speaking the part of its REST
// API the indexer uses: `GET /Items` (Recursive, IncludeItemTypes, Fields, StartIndex/Limit paging;
// `{ Items, TotalRecordCount, StartIndex }`), `GET /Items/{id}/Images/Primary`, and
// `GET /Videos/{id}/stream?static=true` with Range support; the API key is required (header
// `X-Emby-Token` or `Authorization: MediaBrowser … Token="…"`). The library can be edited between
// runs.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInItem {
  Id: string;
  Name: string;
  Type: string;
  image?: { bytes: Uint8Array; type: string };
  /** A video file served by /Videos/{id}/stream. */
  videoPath?: string;
  Etag?: string;
}

export interface JellyfinStandIn {
  url: string;
  apiKey: string;
  items: Map<string, StandInItem>;
  requests: { method: string; path: string; query: URLSearchParams; range?: string }[];
  /** Most image requests in flight at once. */
  maxImagesInFlight: number;
  /** Delay every image answer (to see concurrency). */
  imageDelayMs: number;
  /** Answer this item's image with an error status. */
  failImage: Map<string, number>;
  /** Give an item's image a new tag without changing its bytes (as a metadata refresh can). */
  retag(id: string, tag: string): void;
  close(): Promise<void>;
}

/** The tag Jellyfin would give an image: changes with its bytes (here, a hash prefix plus a version). */
export function imageTag(item: StandInItem, version = 1): string {
  return `${createHash('md5').update(item.image!.bytes).digest('hex').slice(0, 12)}v${version}`;
}

export async function startJellyfinStandIn(apiKey = 'jf-test-key'): Promise<JellyfinStandIn> {
  const items = new Map<string, StandInItem>();
  const tags = new Map<string, string>();
  const state: JellyfinStandIn = {
    url: '',
    apiKey,
    items,
    requests: [],
    maxImagesInFlight: 0,
    imageDelayMs: 0,
    failImage: new Map(),
    retag: (id, tag) => {
      const item = items.get(id)!;
      tags.set(`${id}:${createHash('md5').update(item.image!.bytes).digest('hex')}`, tag);
    },
    close: async () => undefined,
  };
  let inFlight = 0;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res
      .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      .end(text);
  };
  const authorised = (req: IncomingMessage) =>
    req.headers['x-emby-token'] === apiKey ||
    String(req.headers.authorization ?? '').includes(`Token="${apiKey}"`);
  const tagOf = (item: StandInItem) => {
    // A tag per distinct image bytes, unless `retag` gave these bytes another.
    const key = `${item.Id}:${createHash('md5').update(item.image!.bytes).digest('hex')}`;
    return tags.get(key) ?? imageTag(item);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      ...(req.headers.range ? { range: req.headers.range } : {}),
    });
    if (!authorised(req)) return send(res, 401, { message: 'unauthorised' });
    if (url.pathname === '/Items') {
      const types = (url.searchParams.get('IncludeItemTypes') ?? '').split(',').filter(Boolean);
      const fields = (url.searchParams.get('Fields') ?? '').split(',');
      const all = [...items.values()].filter((i) => types.length === 0 || types.includes(i.Type));
      const start = Number(url.searchParams.get('StartIndex') ?? 0);
      const limit = Number(url.searchParams.get('Limit') ?? 100);
      const page = all.slice(start, start + limit).map((i) => ({
        Id: i.Id,
        Name: i.Name,
        Type: i.Type,
        ImageTags: i.image ? { Primary: tagOf(i) } : {},
        ...(fields.includes('Etag') && i.Etag ? { Etag: i.Etag } : {}),
      }));
      return send(res, 200, { Items: page, TotalRecordCount: all.length, StartIndex: start });
    }
    const image = /^\/Items\/([^/]+)\/Images\/Primary$/.exec(url.pathname);
    if (image) {
      const item = items.get(decodeURIComponent(image[1]!));
      inFlight++;
      state.maxImagesInFlight = Math.max(state.maxImagesInFlight, inFlight);
      try {
        if (state.imageDelayMs) await new Promise((r) => setTimeout(r, state.imageDelayMs));
        const status = item ? state.failImage.get(item.Id) : undefined;
        if (!item?.image || status) return send(res, status ?? 404, { message: 'no image' });
        res
          .writeHead(200, { 'content-type': item.image.type, 'content-length': item.image.bytes.length })
          .end(item.image.bytes);
      } finally {
        inFlight--;
      }
      return;
    }
    const video = /^\/Videos\/([^/]+)\/stream$/.exec(url.pathname);
    if (video) {
      const item = items.get(decodeURIComponent(video[1]!));
      if (!item?.videoPath) return send(res, 404, { message: 'no video' });
      const body = await readFile(item.videoPath);
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (!m) {
        res
          .writeHead(200, {
            'content-type': 'video/mp4',
            'content-length': body.length,
            'accept-ranges': 'bytes',
          })
          .end(body);
        return;
      }
      const from = Number(m[1]);
      const to = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      if (from >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-type': 'video/mp4',
        'content-length': to - from + 1,
        'content-range': `bytes ${from}-${to}/${body.length}`,
        'accept-ranges': 'bytes',
      });
      res.end(body.subarray(from, to + 1));
      return;
    }
    send(res, 404, { message: `stand-in: no route ${url.pathname}` });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return state;
}
