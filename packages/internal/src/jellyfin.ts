// A small Jellyfin client shared by the packages that read a Jellyfin library (qwen-audio's
// backfill lists audio items; clip's indexer lists images and videos). Errors are plain
// JellyfinError; each package wraps them in its own typed error.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { describeZodIssues } from './zod';
import { envString, envUrl } from './env';
import type { EnvReader } from './env';

/** Connection settings for a Jellyfin server. */
export interface JellyfinOptions {
  /** Base URL, e.g. `http://jellyfin:8096` (`JELLYFIN_URL`). */
  url: string;
  /** API key (`JELLYFIN_API_KEY`); sent as a header, never in URLs or logs. */
  apiKey: string;
  /** Items per `/Items` page; default 100. */
  pageSize?: number;
  /** Per metadata request, ms; default 15000. */
  timeoutMs?: number;
  /** Per download, ms; default 600000. */
  downloadTimeoutMs?: number;
  /** Client name sent in the `Authorization` header; default `pmoves`. */
  client?: string;
}

/** A Jellyfin request failed (connection, HTTP status or an invalid reply). */
export class JellyfinError extends Error {
  /** @param message - what failed, naming the path (never the API key) */
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message, options);
    this.name = 'JellyfinError';
  }
}

/** The fields of a Jellyfin item the packages use. */
export const jellyfinItemSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().optional(),
  Type: z.string().optional(),
  Path: z.string().optional(),
  DateCreated: z.string().optional(),
  RunTimeTicks: z.number().optional(),
  /** Image type (`Primary`, `Backdrop`, …) → a tag that changes whenever that image changes. */
  ImageTags: z.record(z.string(), z.string()).optional(),
  /** Changes whenever the item's media or metadata changes (asked for with `Fields=Etag`). */
  Etag: z.string().optional(),
  /** Item kind for videos (`Video`, `Audio`, …). */
  MediaType: z.string().optional(),
});

/** See {@link jellyfinItemSchema}. */
export type JellyfinItem = z.infer<typeof jellyfinItemSchema>;

const pageSchema = z.object({
  Items: z.array(z.unknown()),
  TotalRecordCount: z.number().int().nonnegative(),
});

/** Jellyfin's documented auth header (`Authorization: MediaBrowser …, Token="…"`) plus the legacy X-Emby-Token. */
export function jellyfinHeaders(apiKey: string, client = 'pmoves'): Record<string, string> {
  return {
    Authorization: `MediaBrowser Client="${client}", Device="${client}", DeviceId="${client}", Version="0.0.0", Token="${apiKey}"`,
    'X-Emby-Token': apiKey,
    Accept: 'application/json',
  };
}

/**
 * GET with one retry on a connection-level failure (e.g. a kept-alive socket the server closed while
 * we were busy decoding); HTTP error statuses are returned, not retried.
 */
async function getWithRetry(
  opts: JellyfinOptions,
  url: URL,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const t = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, {
        headers: jellyfinHeaders(opts.apiKey, opts.client),
        signal: signal ? AbortSignal.any([signal, t]) : t,
      });
    } catch (err) {
      if (attempt >= 2 || t.aborted || signal?.aborted) {
        const cause = (err as { cause?: { message?: string } }).cause?.message;
        throw new JellyfinError(
          `Jellyfin ${url.pathname} failed: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
          { cause: err },
        );
      }
    }
  }
}

/** Which items {@link listJellyfinItems} asks for. */
export interface JellyfinQuery {
  /** `IncludeItemTypes`, e.g. `['Audio']` or `['Movie', 'Episode', 'Video']`. */
  types: readonly string[];
  /** Extra `Fields` (Path and DateCreated are always asked for). */
  fields?: readonly string[];
}

/**
 * All items of the given types (`/Items?Recursive=true&IncludeItemTypes=…`, paged by
 * `StartIndex`/`Limit`, oldest first). Items that fail validation are reported through `onInvalid`
 * and skipped.
 */
export async function listJellyfinItems(
  opts: JellyfinOptions,
  query: JellyfinQuery,
  onInvalid: (problem: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<JellyfinItem[]> {
  const pageSize = opts.pageSize ?? 100;
  const fields = [...new Set(['Path', 'DateCreated', ...(query.fields ?? [])])];
  const items: JellyfinItem[] = [];
  for (let start = 0; ; start += pageSize) {
    const url = new URL('/Items', opts.url);
    url.search = new URLSearchParams({
      Recursive: 'true',
      IncludeItemTypes: query.types.join(','),
      Fields: fields.join(','),
      SortBy: 'DateCreated,SortName',
      SortOrder: 'Ascending',
      StartIndex: String(start),
      Limit: String(pageSize),
    }).toString();
    const res = await getWithRetry(opts, url, opts.timeoutMs ?? 15_000, signal);
    if (!res.ok)
      throw new JellyfinError(`Jellyfin /Items answered HTTP ${res.status}`, undefined, res.status);
    const page = pageSchema.safeParse(await res.json().catch(() => null));
    if (!page.success)
      throw new JellyfinError(`Jellyfin /Items reply is invalid: ${describeZodIssues(page.error.issues)}`);
    page.data.Items.forEach((raw, i) => {
      const item = jellyfinItemSchema.safeParse(raw);
      if (item.success) items.push(item.data);
      else onInvalid(`item ${start + i}: ${describeZodIssues(item.error.issues)}`);
    });
    if (page.data.Items.length === 0 || start + pageSize >= page.data.TotalRecordCount) return items;
  }
}

/** Downloads an item's original file (`/Items/{id}/Download`) to `dest`. */
export async function downloadJellyfinItem(
  opts: JellyfinOptions,
  itemId: string,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  const url = new URL(`/Items/${encodeURIComponent(itemId)}/Download`, opts.url);
  try {
    const res = await getWithRetry(opts, url, opts.downloadTimeoutMs ?? 600_000, signal);
    if (!res.ok || !res.body)
      throw new JellyfinError(
        `Jellyfin download of ${itemId} answered HTTP ${res.status}`,
        undefined,
        res.status,
      );
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
  } catch (cause) {
    if (cause instanceof JellyfinError) throw cause;
    throw new JellyfinError(`Jellyfin download of ${itemId} failed: ${(cause as Error).message}`, { cause });
  }
}

/** The Jellyfin variables every package reads the same way (`JELLYFIN_URL`, `JELLYFIN_API_KEY`). */
export const jellyfinEnvFields = {
  url: envUrl('JELLYFIN_URL', 'Jellyfin base URL (items are listed from its /Items API)'),
  apiKey: envString('JELLYFIN_API_KEY', 'Jellyfin API key, sent as a header and never logged', {
    form: 'secret',
    secret: true,
  }),
} as const;

/**
 * The Jellyfin variables as set (either may be missing: whether that is an error depends on
 * whether the caller needs Jellyfin; see {@link requireJellyfin}).
 */
export function readJellyfinEnv(reader: EnvReader): { url?: string; apiKey?: string } {
  const url = reader.get(jellyfinEnvFields.url);
  const apiKey = reader.get(jellyfinEnvFields.apiKey);
  return { ...(url ? { url } : {}), ...(apiKey ? { apiKey } : {}) };
}

/**
 * Both Jellyfin settings, or an issue on `reader` naming what is missing (`url` may come from a
 * flag instead of `JELLYFIN_URL`; `urlName` names it).
 */
export function requireJellyfin(
  reader: EnvReader,
  found: { url?: string; apiKey?: string },
  urlName = 'JELLYFIN_URL',
): Pick<JellyfinOptions, 'url' | 'apiKey'> | undefined {
  if (!found.url) reader.issue(urlName, 'must be set to list items from Jellyfin');
  if (!found.apiKey) reader.issue('JELLYFIN_API_KEY', 'must be set to list items from Jellyfin');
  return found.url && found.apiKey ? { url: found.url, apiKey: found.apiKey } : undefined;
}

/** An image downloaded from Jellyfin. */
export interface JellyfinImage {
  /** The encoded image. */
  bytes: Uint8Array;
  /** Its `Content-Type`. */
  contentType: string;
}

/**
 * Downloads one image of an item (`GET /Items/{id}/Images/{type}`, `Primary` by default), at most
 * `maxBytes` (default 20 MiB). `tag` (from `ImageTags`) is sent so caches serve the right version.
 */
export async function fetchJellyfinImage(
  opts: JellyfinOptions,
  itemId: string,
  options: { type?: string; tag?: string; maxBytes?: number; signal?: AbortSignal } = {},
): Promise<JellyfinImage> {
  const type = options.type ?? 'Primary';
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const url = new URL(`/Items/${encodeURIComponent(itemId)}/Images/${encodeURIComponent(type)}`, opts.url);
  if (options.tag) url.searchParams.set('tag', options.tag);
  const what = `Jellyfin ${type} image of ${itemId}`;
  const res = await getWithRetry(opts, url, opts.timeoutMs ?? 15_000, options.signal);
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new JellyfinError(`${what} answered HTTP ${res.status}`, undefined, res.status);
  }
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('image/')) {
    await res.body.cancel().catch(() => undefined);
    throw new JellyfinError(`${what} has content type ${JSON.stringify(contentType)}, not an image`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new JellyfinError(`${what} is ${declared} bytes (limit ${maxBytes})`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) throw new JellyfinError(`${what} exceeds ${maxBytes} bytes`);
      chunks.push(chunk);
    }
  } catch (cause) {
    await res.body.cancel().catch(() => undefined);
    if (cause instanceof JellyfinError) throw cause;
    throw new JellyfinError(`${what} failed: ${(cause as Error).message}`, { cause });
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks, total)), contentType };
}

/** The URL that streams an item's original video file (`/Videos/{id}/stream?static=true`, seekable). */
export function jellyfinVideoUrl(opts: JellyfinOptions, itemId: string): string {
  const url = new URL(`/Videos/${encodeURIComponent(itemId)}/stream`, opts.url);
  url.searchParams.set('static', 'true');
  return url.href;
}
