// Video URLs keep the image fetcher's address policy. ffmpeg is never given the remote URL (its own
// http client would resolve the name itself, follow redirects anywhere, and let playlists open
// further URLs). Instead ffmpeg reads a one-URL proxy on 127.0.0.1 whose only upstream is the URL
// given, fetched through the fetcher's guarded dispatcher: every connection, redirect hops too,
// goes to an address the policy checked. Range requests pass through, so containers that need
// seeking (an MP4 whose index is at the end) work, nothing is written to disk, and memory stays
// at a socket buffer. Built on node:http: one route, streamed bodies, nothing a framework adds.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { ClipError } from '../errors';
import {
  checkUrlShape,
  createGuardedAgent,
  redact,
  toClipError,
  type ImageFetchOptions,
} from '../fetch/fetch-image';

/** Content types a video URL may answer with (ffmpeg, not the header, decides what it really is). */
export const VIDEO_CONTENT_TYPES = [
  'video/',
  'audio/',
  'application/octet-stream',
  'binary/octet-stream',
  'application/mp4',
  'application/x-matroska',
];

/**
 * How a video URL is fetched: the image fetcher's address policy (`allowedHosts`, `allowPrivate`,
 * `maxRedirects`, `lookup`, `connectGuard`), `timeoutMs` per connection, answer and idle body,
 * `maxBytes` per answer (default unlimited), and `headers` sent upstream (dropped on a redirect to
 * another origin, so a token never leaves its host).
 */
export interface VideoFetchOptions extends Omit<ImageFetchOptions, 'maxBytes'> {
  /** Largest answer accepted, bytes; default unlimited (a film is large). */
  maxBytes?: number;
  /** Request headers sent to the URL's own origin (e.g. a media server's token). */
  headers?: Record<string, string>;
}

/** The loopback URL ffmpeg reads, the first upstream failure, and how to stop it. */
export interface UrlSource {
  /** `http://127.0.0.1:PORT/TOKEN`: the only URL the proxy answers. */
  readonly url: string;
  /** The first upstream failure (blocked, HTTP status, timeout), which explains ffmpeg's error. */
  failure(): ClipError | undefined;
  /** Stop serving, end open transfers and release the upstream connections. */
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Start the proxy for `url` (http or https; validated here, checked again on every hop). */
export async function openUrlSource(url: string, options: VideoFetchOptions = {}): Promise<UrlSource> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ClipError('invalid-input', `not a valid URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  checkUrlShape(target);
  const { headers: extra = {}, maxBytes, ...policy } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    throw new ClipError('invalid-input', 'video fetch option "maxBytes" must be a positive integer');
  }
  const { agent, options: opts } = createGuardedAgent({
    acceptContentTypes: VIDEO_CONTENT_TYPES,
    userAgent: 'pmoves-clip-video/1',
    ...policy,
  });
  const path = `/${randomBytes(16).toString('hex')}`;
  let failure: ClipError | undefined;
  const fail = (err: ClipError) => (failure ??= err);

  async function forward(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const range = req.headers.range;
    let current = target;
    for (let hop = 0; ; hop++) {
      const sameOrigin = current.origin === target.origin;
      const headers: Record<string, string> = {
        ...(sameOrigin ? extra : {}),
        'user-agent': opts.userAgent,
        accept: '*/*',
        ...(range ? { range } : {}),
      };
      let up: Awaited<ReturnType<typeof request>>;
      try {
        up = await request(current, {
          dispatcher: agent,
          method: req.method === 'HEAD' ? 'HEAD' : 'GET',
          headers,
          signal,
        });
      } catch (err) {
        throw toClipError(err, current, signal, signal);
      }
      const status = up.statusCode;
      const header = (name: string) => {
        const v = up.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      if (REDIRECTS.has(status)) {
        await up.body.dump().catch(() => undefined);
        const location = header('location');
        if (!location)
          throw new ClipError('fetch', `${redact(current)} answered ${status} without a Location`);
        if (hop >= opts.maxRedirects) {
          throw new ClipError('fetch', `${redact(target)}: more than ${opts.maxRedirects} redirects`);
        }
        current = new URL(location, current);
        checkUrlShape(current);
        continue;
      }
      if (status === 416) {
        // ffmpeg asks past the end while probing; the answer is not a failure of the source.
        await up.body.dump().catch(() => undefined);
        res.writeHead(416, { 'content-range': header('content-range') ?? '' }).end();
        return;
      }
      if (status !== 200 && status !== 206) {
        await up.body.dump().catch(() => undefined);
        throw new ClipError('fetch', `${redact(current)} answered HTTP ${status}`);
      }
      const type = (header('content-type') ?? '').trim();
      if (!opts.acceptContentTypes.some((p) => type.toLowerCase().startsWith(p.toLowerCase()))) {
        await up.body.dump().catch(() => undefined);
        throw new ClipError(
          'fetch',
          `${redact(current)} has content type ${JSON.stringify(type)}, not a video`,
        );
      }
      const length = Number(header('content-length'));
      if (maxBytes !== undefined && Number.isFinite(length) && length > maxBytes) {
        await up.body.dump().catch(() => undefined);
        throw new ClipError('too-large', `${redact(current)} is ${length} bytes (limit ${maxBytes})`);
      }
      const out: Record<string, string> = { 'content-type': type };
      for (const name of ['content-length', 'content-range', 'accept-ranges']) {
        const v = header(name);
        if (v) out[name] = v;
      }
      res.writeHead(status, out);
      let seen = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          if (maxBytes !== undefined && seen > maxBytes) {
            done(new ClipError('too-large', `${redact(current)} exceeds ${maxBytes} bytes`));
          } else done(null, chunk);
        },
      });
      try {
        await pipeline(up.body, limit, res);
      } catch (err) {
        // ffmpeg closing a transfer it no longer needs (a seek) is normal; anything else is not.
        if (err instanceof ClipError) throw err;
        if (!signal.aborted && !res.destroyed) throw toClipError(err, current, signal, signal);
      }
      return;
    }
  }

  const server = createServer((req, res) => {
    if (req.url !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404).end();
      return;
    }
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    forward(req, res, ac.signal).catch((err: unknown) => {
      if (ac.signal.aborted) return;
      fail(err instanceof ClipError ? err : new ClipError('fetch', String(err), { cause: err }));
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    failure: () => failure,
    close: () =>
      (closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await agent.close();
      })()),
  };
}
