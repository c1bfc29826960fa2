import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { QwenAudioError, describeZodIssues } from '../errors.js';

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
}

/** The fields of a Jellyfin item this package uses. */
export const jellyfinItemSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().optional(),
  Path: z.string().optional(),
  DateCreated: z.string().optional(),
  RunTimeTicks: z.number().optional(),
});

/** See {@link jellyfinItemSchema}. */
export type JellyfinItem = z.infer<typeof jellyfinItemSchema>;

const pageSchema = z.object({
  Items: z.array(z.unknown()),
  TotalRecordCount: z.number().int().nonnegative(),
});

/**
 * GET with one retry on a connection-level failure (e.g. a kept-alive socket the server closed while
 * we were busy decoding); HTTP error statuses are returned, not retried.
 */
async function getWithRetry(
  url: URL,
  apiKey: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const t = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(url, {
        headers: jellyfinHeaders(apiKey),
        signal: signal ? AbortSignal.any([signal, t]) : t,
      });
    } catch (err) {
      if (attempt >= 2 || t.aborted || signal?.aborted) {
        const cause = (err as { cause?: { message?: string } }).cause?.message;
        throw new QwenAudioError(
          'source',
          `Jellyfin ${url.pathname} failed: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
          {
            cause: err,
          },
        );
      }
    }
  }
}

/** Jellyfin's documented auth header (`Authorization: MediaBrowser …, Token="…"`) plus the legacy X-Emby-Token. */
export function jellyfinHeaders(apiKey: string): Record<string, string> {
  return {
    Authorization: `MediaBrowser Client="pmoves-qwen-audio", Device="pmoves-qwen-audio", DeviceId="pmoves-qwen-audio", Version="0.0.0", Token="${apiKey}"`,
    'X-Emby-Token': apiKey,
    Accept: 'application/json',
  };
}

/**
 * All audio items (`/Items?Recursive=true&IncludeItemTypes=Audio`, paged by `StartIndex`/`Limit`,
 * oldest first). Items that fail validation are reported through `onInvalid` and skipped.
 */
export async function listJellyfinAudioItems(
  opts: JellyfinOptions,
  onInvalid: (problem: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<JellyfinItem[]> {
  const pageSize = opts.pageSize ?? 100;
  const items: JellyfinItem[] = [];
  for (let start = 0; ; start += pageSize) {
    const url = new URL('/Items', opts.url);
    url.search = new URLSearchParams({
      Recursive: 'true',
      IncludeItemTypes: 'Audio',
      Fields: 'Path,DateCreated',
      SortBy: 'DateCreated,SortName',
      SortOrder: 'Ascending',
      StartIndex: String(start),
      Limit: String(pageSize),
    }).toString();
    const res = await getWithRetry(url, opts.apiKey, opts.timeoutMs ?? 15_000, signal);
    if (!res.ok) throw new QwenAudioError('source', `Jellyfin /Items answered HTTP ${res.status}`);
    const page = pageSchema.safeParse(await res.json().catch(() => null));
    if (!page.success) {
      throw new QwenAudioError(
        'source',
        `Jellyfin /Items reply is invalid: ${describeZodIssues(page.error.issues)}`,
      );
    }
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
    const res = await getWithRetry(url, opts.apiKey, opts.downloadTimeoutMs ?? 600_000, signal);
    if (!res.ok || !res.body)
      throw new QwenAudioError('source', `Jellyfin download of ${itemId} answered HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
  } catch (cause) {
    if (cause instanceof QwenAudioError) throw cause;
    throw new QwenAudioError('source', `Jellyfin download of ${itemId} failed: ${(cause as Error).message}`, {
      cause,
    });
  }
}
