// Indexing a Jellyfin library: each item's Primary image (and, when asked, its video's keyframes)
// goes into the CLIP index. Idempotent and resumable: every batch is written as soon as it is
// embedded; an image whose Jellyfin tag is unchanged is not downloaded again, one whose bytes hash
// the same is not embedded again, and vectors of items that left the library are removed. A video
// is marked done (its pooled row) only after its frames are written, so an interrupted one is redone.
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import {
  fetchJellyfinImage,
  jellyfinHeaders,
  jellyfinVideoUrl,
  JellyfinError,
  listJellyfinItems,
  type JellyfinItem,
  type JellyfinOptions,
} from '@pmoves/internal';
import { ClipError } from '../errors';
import type { ClipEmbedder } from '../types';
import type { ClipIndex, ClipIndexEntry, ClipIndexItem } from '../library/clip-index';
import type { ClipMetadata, EmbeddingSpace } from '../library/types';
import { embedVideo } from '../video/embed-video';
import type { VideoSampling } from '../video/sampling';
import type { VideoFetchOptions } from '../video/url-source';

/** Item types whose Primary image is indexed by default. */
export const DEFAULT_JELLYFIN_TYPES: readonly string[] = [
  'Movie',
  'Series',
  'Season',
  'Episode',
  'Video',
  'MusicVideo',
  'MusicAlbum',
  'BoxSet',
];
/** Item types that have a video file (for keyframes). */
export const JELLYFIN_VIDEO_TYPES: readonly string[] = ['Movie', 'Episode', 'Video', 'MusicVideo'];

/** Progress of a run, reported after every item. */
export interface IndexProgress {
  /** Items to look at (images, plus videos when keyframes are on). */
  total: number;
  /** Items looked at so far. */
  done: number;
  /** Embedded (new or changed). */
  embedded: number;
  /** Unchanged, skipped. */
  unchanged: number;
  /** Failed. */
  failed: number;
}

/** What {@link indexJellyfinLibrary} did. */
export interface IndexReport extends IndexProgress {
  /** Items Jellyfin listed. */
  listed: number;
  /** Vectors removed because their item (or its image) left the library. */
  removed: number;
  /** The run was stopped by its signal; what was done is saved, and the next run resumes. */
  interrupted: boolean;
  /** Each failed item and why. */
  failures: { id: string; error: ClipError }[];
}

/** Options of {@link indexJellyfinLibrary}. */
export interface IndexJellyfinOptions {
  /** The Jellyfin server (`JELLYFIN_URL`, `JELLYFIN_API_KEY`). */
  jellyfin: JellyfinOptions;
  /** The index written to; it must have been created with an embedder (images are embedded by it). */
  index: ClipIndex;
  /** Namespace of the library's vectors. Default `jellyfin`. */
  namespace?: string;
  /** Item types whose Primary image is indexed. Default {@link DEFAULT_JELLYFIN_TYPES}. */
  types?: readonly string[];
  /**
   * Also embed the videos of {@link JELLYFIN_VIDEO_TYPES} items: frames chosen by this sampling
   * (e.g. `{ keyframes: true, minGapSeconds: 10 }`) as rows `ID@t=SECONDS`, and their pooled vector
   * as `ID@video`. Needs `embedder`.
   */
  keyframes?: VideoSampling & { minGapSeconds?: number; maxFrames?: number };
  /** Embeds video frames (the index's embedder; local or remote). Needed with `keyframes`. */
  embedder?: ClipEmbedder;
  /** Image downloads in flight. Default 4. */
  concurrency?: number;
  /** Images per embedding batch. Default 16. */
  batchSize?: number;
  /** Largest image accepted, bytes. Default 20 MiB. */
  maxImageBytes?: number;
  /** ffmpeg for keyframes (`FFMPEG_PATH`). */
  ffmpegPath?: string;
  /** Extra address policy for video URLs; the Jellyfin host is always allowed. */
  videoFetch?: VideoFetchOptions;
  /** Stops the run after the work in flight; the report says `interrupted`. */
  signal?: AbortSignal;
  /** Called after each item. */
  onProgress?: (progress: IndexProgress) => void;
}

const sameSpace = (a: EmbeddingSpace, b: EmbeddingSpace | undefined) =>
  !!b && a.model === b.model && a.dtype === b.dtype && a.preprocessing === b.preprocessing;

function asClipError(err: unknown, what: string): ClipError {
  if (err instanceof ClipError) return err;
  if (err instanceof JellyfinError) {
    return new ClipError('fetch', `${what}: ${err.message}`, { cause: err });
  }
  return new ClipError('fetch', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

const frameId = (itemId: string, t: number) => `${itemId}@t=${t.toFixed(3)}`;
const videoId = (itemId: string) => `${itemId}@video`;

/**
 * Index a Jellyfin library's Primary images (and video keyframes when asked) into `index`.
 *
 * @throws ClipError `fetch` when the library cannot be listed; per-item failures are in the report
 */
export async function indexJellyfinLibrary(options: IndexJellyfinOptions): Promise<IndexReport> {
  const { index, jellyfin, signal } = options;
  const namespace = options.namespace ?? 'jellyfin';
  const concurrency = options.concurrency ?? 4;
  const batchSize = options.batchSize ?? 16;
  for (const [name, v, max] of [
    ['concurrency', concurrency, 64],
    ['batchSize', batchSize, 1024],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > max) {
      throw new ClipError('invalid-input', `indexer option "${name}" must be an integer from 1 to ${max}`);
    }
  }
  const space = index.space;
  if (!space) throw new ClipError('invalid-input', 'the indexer needs an index created with an embedder');
  if (options.keyframes && !options.embedder) {
    throw new ClipError(
      'invalid-input',
      'indexer option "keyframes" needs "embedder" (it embeds the frames)',
    );
  }

  const report: IndexReport = {
    total: 0,
    done: 0,
    embedded: 0,
    unchanged: 0,
    failed: 0,
    listed: 0,
    removed: 0,
    interrupted: false,
    failures: [],
  };
  const progress = () =>
    options.onProgress?.({
      total: report.total,
      done: report.done,
      embedded: report.embedded,
      unchanged: report.unchanged,
      failed: report.failed,
    });
  const fail = (id: string, error: ClipError) => {
    report.failed++;
    report.failures.push({ id, error });
  };

  // What the index holds for this library, by id.
  const stored = new Map<string, ClipIndexEntry>();
  for await (const e of index.entries({ namespace })) stored.set(e.id, e);

  let items: JellyfinItem[];
  try {
    items = await listJellyfinItems(
      jellyfin,
      { types: options.types ?? DEFAULT_JELLYFIN_TYPES, fields: ['Etag'] },
      () => undefined,
      signal,
    );
  } catch (err) {
    if (signal?.aborted) return { ...report, interrupted: true };
    throw asClipError(err, 'listing the Jellyfin library');
  }
  report.listed = items.length;
  const withImage = items.filter((i) => i.ImageTags?.Primary);
  const videos = options.keyframes ? items.filter((i) => JELLYFIN_VIDEO_TYPES.includes(i.Type ?? '')) : [];
  report.total = withImage.length + videos.length;

  // Vectors whose item left the library, or lost its Primary image, go (after a complete listing).
  const listedIds = new Set(items.map((i) => i.Id));
  const imageIds = new Set(withImage.map((i) => i.Id));
  const videoIds = new Set(videos.map((i) => i.Id));
  const gone = [...stored.values()]
    .filter((e) => {
      const item = String(e.metadata.item_id ?? e.id);
      if (e.metadata.kind === 'primary' || e.metadata.kind === undefined) return !imageIds.has(item);
      return options.keyframes ? !videoIds.has(item) : !listedIds.has(item);
    })
    .map((e) => e.id);
  if (gone.length > 0) {
    await index.remove(gone, { namespace });
    report.removed = gone.length;
  }

  // Primary images: tag unchanged → skip without downloading; bytes unchanged → skip embedding.
  const changed = withImage.filter((item) => {
    const e = stored.get(item.Id);
    if (e && sameSpace(e.space, space) && e.metadata.image_tag === item.ImageTags!.Primary) {
      report.unchanged++;
      report.done++;
      return false;
    }
    return true;
  });
  progress();
  const limit = pLimit(concurrency);
  type Downloaded = { item: JellyfinItem; bytes?: Uint8Array; hash?: string };
  const download = (chunk: JellyfinItem[]): Promise<Downloaded[]> =>
    Promise.all(
      chunk.map((item) =>
        limit(async (): Promise<Downloaded> => {
          if (signal?.aborted) return { item };
          try {
            const img = await fetchJellyfinImage(jellyfin, item.Id, {
              tag: item.ImageTags!.Primary!,
              ...(options.maxImageBytes ? { maxBytes: options.maxImageBytes } : {}),
              ...(signal ? { signal } : {}),
            });
            return { item, bytes: img.bytes, hash: createHash('sha256').update(img.bytes).digest('hex') };
          } catch (err) {
            if (!signal?.aborted) {
              fail(item.Id, asClipError(err, `Primary image of ${item.Id}`));
              report.done++;
              progress();
            }
            return { item };
          }
        }),
      ),
    );
  const metadataOf = (item: JellyfinItem): ClipMetadata => ({
    source: 'jellyfin',
    kind: 'primary',
    item_id: item.Id,
    image_tag: item.ImageTags!.Primary!,
    ...(item.Name !== undefined ? { name: item.Name } : {}),
    ...(item.Type !== undefined ? { type: item.Type } : {}),
  });

  const chunks: JellyfinItem[][] = [];
  for (let at = 0; at < changed.length; at += batchSize) chunks.push(changed.slice(at, at + batchSize));
  let next = chunks.length > 0 ? download(chunks[0]!) : undefined;
  for (let c = 0; c < chunks.length; c++) {
    const got = await next!;
    // The next chunk downloads while this one is embedded.
    next = c + 1 < chunks.length && !signal?.aborted ? download(chunks[c + 1]!) : undefined;
    if (signal?.aborted) break;
    const toEmbed: ClipIndexItem[] = [];
    const sameBytes: Downloaded[] = [];
    for (const d of got) {
      if (!d.bytes) continue;
      const e = stored.get(d.item.Id);
      if (e && sameSpace(e.space, space) && e.contentHash === d.hash) sameBytes.push(d);
      else
        toEmbed.push({ id: d.item.Id, image: d.bytes, contentHash: d.hash!, metadata: metadataOf(d.item) });
    }
    if (sameBytes.length > 0) {
      // A new tag on the same bytes: keep the vector, record the tag so the next run skips the download.
      const vectors = await index.store.get(
        namespace,
        sameBytes.map((d) => d.item.Id),
      );
      const byId = new Map(vectors.map((v) => [v.id, v]));
      const rewrite = sameBytes.flatMap((d) => {
        const v = byId.get(d.item.Id);
        return v
          ? [
              {
                id: d.item.Id,
                namespace,
                embedding: v.embedding,
                space: v.space,
                contentHash: d.hash!,
                metadata: metadataOf(d.item),
              },
            ]
          : [];
      });
      await index.upsert(rewrite, { ...(signal ? { signal } : {}) });
      report.unchanged += sameBytes.length;
      report.done += sameBytes.length;
    }
    if (toEmbed.length > 0) {
      let result;
      try {
        result = await index.upsert(
          toEmbed.map((i) => ({ ...i, namespace })),
          signal ? { signal } : {},
        );
      } catch (err) {
        if (signal?.aborted) break;
        throw err;
      }
      const failed = new Set(result.failed.map((f) => f.id));
      for (const f of result.failed) fail(f.id, f.error);
      report.embedded += toEmbed.filter((i) => !failed.has(i.id)).length;
      report.done += toEmbed.length;
    }
    progress();
  }
  await next?.catch(() => undefined);
  if (signal?.aborted) return { ...report, interrupted: true };

  // Video keyframes, one video at a time (ffmpeg and the embedder are the bottleneck).
  for (const item of videos) {
    if (signal?.aborted) return { ...report, interrupted: true };
    const key = item.Etag ?? `${item.RunTimeTicks ?? ''}:${item.DateCreated ?? ''}:${item.Path ?? ''}`;
    const done = stored.get(videoId(item.Id));
    if (done && sameSpace(done.space, space) && done.contentHash === key) {
      report.unchanged++;
      report.done++;
      progress();
      continue;
    }
    try {
      const host = new URL(jellyfin.url).hostname;
      const auth = jellyfinHeaders(jellyfin.apiKey, jellyfin.client);
      const video = await embedVideo(jellyfinVideoUrl(jellyfin, item.Id), {
        ...options.keyframes!,
        embedder: options.embedder!,
        ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
        ...(signal ? { signal } : {}),
        fetch: {
          ...options.videoFetch,
          allowedHosts: [...(options.videoFetch?.allowedHosts ?? []), host],
          headers: { Authorization: auth.Authorization!, 'X-Emby-Token': auth['X-Emby-Token']! },
        },
      });
      const base = {
        source: 'jellyfin',
        item_id: item.Id,
        ...(item.Name !== undefined ? { name: item.Name } : {}),
      };
      const frames = video.frames.map((f) => ({
        id: frameId(item.Id, f.timestamp),
        namespace,
        embedding: f.embedding,
        space,
        metadata: { ...base, kind: 'frame', timestamp: f.timestamp },
      }));
      const written = await index.upsert(frames);
      for (const f of written.failed) fail(f.id, f.error);
      const keep = new Set(frames.map((f) => f.id));
      const stale = [...stored.values()]
        .filter((e) => e.metadata.item_id === item.Id && e.metadata.kind === 'frame' && !keep.has(e.id))
        .map((e) => e.id);
      if (stale.length > 0) {
        await index.remove(stale, { namespace });
        report.removed += stale.length;
      }
      const pooled = await index.upsert([
        {
          id: videoId(item.Id),
          namespace,
          embedding: video.embedding,
          space,
          contentHash: key,
          metadata: { ...base, kind: 'video', frames: frames.length },
        },
      ]);
      for (const f of pooled.failed) fail(f.id, f.error);
      if (pooled.upserted === 1) report.embedded++;
    } catch (err) {
      if (signal?.aborted) return { ...report, interrupted: true };
      fail(videoId(item.Id), asClipError(err, `video of ${item.Id}`));
    }
    report.done++;
    progress();
  }
  return report;
}
