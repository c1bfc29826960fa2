// SSRF-safe image fetching. The address check runs inside the undici connector: the connector
// resolves the host itself, refuses the connection when any resolved address is not allowed, and
// then connects to exactly the address it checked. A DNS answer cannot change between the check
// and the connect (no rebinding window), and every redirect hop goes through the same connector.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { z } from 'zod';
import { ClipError } from '../errors';
import {
  addressAllowed,
  classifyAddress,
  hostAllowed,
  metadataAddress,
  parseAllowList,
  type AllowList,
} from './address-policy';

/** One DNS answer. */
export interface ResolvedAddress {
  /** IPv4 or IPv6 address text. */
  address: string;
  /** 4 or 6. */
  family: number;
}

/** DNS resolver: every address a host name resolves to. Injectable for tests. */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** Where a connection is about to go, after the address policy accepted it. */
export interface ConnectTarget {
  /** Host name from the URL (brackets removed for IPv6). */
  hostname: string;
  /** The checked address the socket will connect to. */
  address: string;
  /** TCP port. */
  port: number;
  /** `http:` or `https:`. */
  protocol: string;
}

/** Called right before a socket is opened; throwing refuses the connection (a test hook). */
export type ConnectGuard = (target: ConnectTarget) => void;

const fn = <T>(name: string) =>
  z.custom<T>((v) => typeof v === 'function', { message: `${name} must be a function` });

/** Options of {@link fetchImage} / {@link createImageFetcher} (validated with zod). */
export const ImageFetchOptionsSchema = z.object({
  /** Whole-fetch deadline, ms (all redirect hops and the body). */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Largest body accepted, bytes; the download is aborted as soon as it is exceeded. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /** Redirects followed (each hop re-checked); more is a `fetch` error. */
  maxRedirects: z.number().int().min(0).max(20).default(3),
  /** Hosts (`name`, `*.suffix`) or addresses/CIDRs allowed even when private. */
  allowedHosts: z.array(z.string()).default([]),
  /** Allow private networks (RFC 1918, ULA, CGNAT, loopback, link-local); metadata addresses stay refused. */
  allowPrivate: z.boolean().default(false),
  /** Accepted `Content-Type` prefixes. */
  acceptContentTypes: z.array(z.string().min(1)).default(['image/']),
  /** `User-Agent` header sent. */
  userAgent: z.string().default('pmoves-clip-fetch/1'),
  /** DNS resolver (default: the system resolver, all addresses). */
  lookup: fn<HostLookup>('lookup').optional(),
  /** Hook called with the checked address right before connecting. */
  connectGuard: fn<ConnectGuard>('connectGuard').optional(),
});

/** Options accepted by {@link createImageFetcher}; every field is optional. */
export type ImageFetchOptions = z.input<typeof ImageFetchOptionsSchema>;

/** A fetched image. */
export interface FetchedImage {
  /** The body bytes (empty when `notModified`). */
  bytes: Uint8Array;
  /** `Content-Type` of the answer. */
  contentType: string;
  /** `ETag` validator, when sent. */
  etag?: string;
  /** `Last-Modified` validator, when sent. */
  lastModified?: string;
  /** URL after redirects. */
  finalUrl: string;
  /** True when a conditional request was answered 304 (bytes empty). */
  notModified?: boolean;
}

/** Per-call options of {@link ImageFetcher.fetch}. */
export interface FetchCallOptions {
  /** Cancels the fetch. */
  signal?: AbortSignal;
  /** Send `If-None-Match` with this validator. */
  ifNoneMatch?: string;
  /** Send `If-Modified-Since` with this validator. */
  ifModifiedSince?: string;
}

/** A reusable fetcher holding one connection pool; {@link ImageFetcher.close} releases it. */
export interface ImageFetcher {
  /** Fetch one image URL (http/https). Errors are {@link ClipError}s: `blocked`, `fetch`, `timeout`, `too-large`. */
  fetch(url: string, options?: FetchCallOptions): Promise<FetchedImage>;
  /** Close the pooled connections. */
  close(): Promise<void>;
}

const defaultLookup: HostLookup = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function parseOptions(options: ImageFetchOptions): ResolvedImageFetchOptions {
  const parsed = ImageFetchOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClipError(
      'invalid-input',
      `image fetch option ${issue?.path.join('.') || '?'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Resolve a host and check every address; returns the address to connect to. */
async function resolveChecked(
  hostname: string,
  lookup: HostLookup,
  allow: AllowList,
  allowPrivate: boolean,
): Promise<string> {
  const byName = hostAllowed(allow, hostname);
  const answers = isIP(hostname) ? [{ address: hostname, family: isIP(hostname) }] : await lookup(hostname);
  if (answers.length === 0) throw new ClipError('fetch', `${hostname} did not resolve to any address`);
  for (const { address } of answers) {
    const metadata = metadataAddress(address);
    if (metadata !== undefined) {
      // Checked before the allow-list by name or range: a name that resolves to a metadata address
      // (a misconfigured or hostile DNS record) must not reach it.
      if (allow.exact.has(metadata)) continue;
      throw new ClipError(
        'blocked',
        `refused ${hostname} (${address}): ${metadata} is a cloud metadata address; only an allow-list entry of exactly ${metadata} opens it`,
      );
    }
    if (byName || addressAllowed(allow, address)) continue;
    const verdict = classifyAddress(address, allowPrivate);
    // Refuse the host when ANY answer is disallowed: a mixed answer is how rebinding hides.
    if (!verdict.allowed)
      throw new ClipError('blocked', `refused ${hostname} (${address}): ${verdict.reason}`);
  }
  return answers[0]!.address;
}

/** Validated fetch options (defaults filled in). */
export type ResolvedImageFetchOptions = z.output<typeof ImageFetchOptionsSchema>;

/**
 * The fetcher's connection policy as an undici dispatcher: every connection (each redirect hop
 * too) resolves the host, refuses it when any answer is disallowed, and connects to the checked
 * address. Not part of the public API: the video URL source forwards through it.
 *
 * @internal
 */
export function createGuardedAgent(options: ImageFetchOptions = {}): {
  agent: Agent;
  options: ResolvedImageFetchOptions;
  lookup: HostLookup;
  allow: AllowList;
} {
  const opts = parseOptions(options);
  const allow = parseAllowList(opts.allowedHosts);
  const lookup = opts.lookup ?? defaultLookup;
  const base = buildConnector({ timeout: opts.timeoutMs });
  const agent = new Agent({
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: (connectOpts, callback) => {
      const hostname = connectOpts.hostname.replace(/^\[|\]$/g, '');
      const protocol = connectOpts.protocol;
      const port = Number(connectOpts.port) || (protocol === 'https:' ? 443 : 80);
      resolveChecked(hostname, lookup, allow, opts.allowPrivate)
        .then((address) => {
          opts.connectGuard?.({ hostname, address, port, protocol });
          // Pin: connect to the checked address; TLS still verifies the certificate for the name.
          const servername = connectOpts.servername || (isIP(hostname) ? undefined : hostname);
          base({ ...connectOpts, hostname: address, ...(servername ? { servername } : {}) }, callback);
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null));
    },
  });
  return { agent, options: opts, lookup, allow };
}

/**
 * Create a fetcher with its own connection pool. Use one per long-lived component (a reranker,
 * a server) so connections are reused; {@link fetchImage} is the one-shot form.
 */
export function createImageFetcher(options: ImageFetchOptions = {}): ImageFetcher {
  const { agent, options: opts, lookup, allow } = createGuardedAgent(options);

  async function fetchOne(url: string, call: FetchCallOptions = {}): Promise<FetchedImage> {
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new ClipError('invalid-input', `not a valid URL: ${JSON.stringify(url.slice(0, 200))}`);
    }
    for (let hop = 0; ; hop++) {
      checkUrlShape(current);
      // Fail fast on literal addresses (the connector checks them again before connecting).
      const host = current.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) await resolveChecked(host, lookup, allow, opts.allowPrivate);
      const headers: Record<string, string> = { 'user-agent': opts.userAgent, accept: 'image/*' };
      if (call.ifNoneMatch) headers['if-none-match'] = call.ifNoneMatch;
      if (call.ifModifiedSince) headers['if-modified-since'] = call.ifModifiedSince;
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(current, { dispatcher: agent, method: 'GET', headers, signal });
      } catch (err) {
        throw toClipError(err, current, signal, deadline);
      }
      const status = res.statusCode;
      if (status >= 300 && status < 400 && status !== 304) {
        await res.body.dump().catch(() => undefined);
        const location = header(res.headers, 'location');
        if (!location)
          throw new ClipError('fetch', `${redact(current)} answered ${status} without a Location`);
        if (hop >= opts.maxRedirects) {
          throw new ClipError('fetch', `${redact(current)}: more than ${opts.maxRedirects} redirects`);
        }
        current = new URL(location, current);
        continue;
      }
      const etag = header(res.headers, 'etag');
      const lastModified = header(res.headers, 'last-modified');
      const validators = { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
      if (status === 304) {
        await res.body.dump().catch(() => undefined);
        return {
          bytes: new Uint8Array(0),
          contentType: '',
          finalUrl: current.href,
          notModified: true,
          ...validators,
        };
      }
      if (status < 200 || status >= 300) {
        await res.body.dump().catch(() => undefined);
        throw new ClipError('fetch', `${redact(current)} answered HTTP ${status}`);
      }
      const contentType = (header(res.headers, 'content-type') ?? '').trim();
      const ct = contentType.toLowerCase();
      if (!opts.acceptContentTypes.some((prefix) => ct.startsWith(prefix.toLowerCase()))) {
        discard(res.body);
        throw new ClipError(
          'fetch',
          `${redact(current)} has content type ${JSON.stringify(contentType)}, not an image`,
        );
      }
      const declared = Number(header(res.headers, 'content-length'));
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        discard(res.body);
        throw new ClipError('too-large', `${redact(current)} is ${declared} bytes (limit ${opts.maxBytes})`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of res.body) {
          total += (chunk as Buffer).length;
          if (total > opts.maxBytes) {
            discard(res.body);
            throw new ClipError('too-large', `${redact(current)} exceeds ${opts.maxBytes} bytes`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        throw toClipError(err, current, signal, deadline);
      }
      const bytes = new Uint8Array(Buffer.concat(chunks, total));
      return { bytes, contentType, finalUrl: current.href, ...validators };
    }
  }

  return { fetch: fetchOne, close: () => agent.close() };
}

/** Fetch one image with a throw-away connection pool (see {@link createImageFetcher}). */
export async function fetchImage(
  url: string,
  options: ImageFetchOptions & FetchCallOptions = {},
): Promise<FetchedImage> {
  const { signal, ifNoneMatch, ifModifiedSince, ...fetchOptions } = options;
  const fetcher = createImageFetcher(fetchOptions);
  try {
    return await fetcher.fetch(url, { signal, ifNoneMatch, ifModifiedSince });
  } finally {
    await fetcher.close();
  }
}

/** Drop a body we will not read; its abort error must not become an unhandled 'error' event. */
function discard(body: { on(event: 'error', cb: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Refuses what the fetcher never follows: schemes other than http(s), credentials in the URL.
 *
 * @internal
 */
export function checkUrlShape(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClipError('blocked', `refused ${url.protocol} URL (only http and https are fetched)`);
  }
  if (url.username || url.password) {
    throw new ClipError('blocked', 'refused a URL with embedded credentials');
  }
}

/**
 * URL without query string (may carry signed tokens) for error messages.
 *
 * @internal
 */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * A fetch failure as a ClipError: the policy's own error, `timeout` (deadline or undici's timeouts),
 * else `fetch`.
 *
 * @internal
 */
export function toClipError(err: unknown, url: URL, signal: AbortSignal, deadline: AbortSignal): ClipError {
  if (err instanceof ClipError) return err;
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof ClipError) return cause;
  if (deadline.aborted) return new ClipError('timeout', `fetching ${redact(url)} timed out`, { cause: err });
  if (signal.aborted) return new ClipError('fetch', `fetching ${redact(url)} was aborted`, { cause: err });
  const code = (err as { code?: string })?.code;
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new ClipError('timeout', `fetching ${redact(url)} timed out`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ClipError('fetch', `fetching ${redact(url)} failed: ${message}`, { cause: err });
}
