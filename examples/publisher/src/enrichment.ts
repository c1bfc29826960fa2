// The publisher's enrichment hooks over the SDK packages.
//
// - CLIP: which of the item's thumbnails/frames best matches its title and description, via
//   @pmoves/rerank's clip provider. Only http(s) URLs are offered: a path in an approval event is
//   never read from this machine's disk. With a CLIP similarity index (@pmoves/clip/library), the
//   best match and `clip_similarity` come from the library instead: the assets nearest to the item
//   (its own stored vector, else its best image, else its title), the item itself left out.
// - Audio: the item's analysis from `media_audio_analysis` when the audio processor stored one
//   (by item id, or by the file's content hash); otherwise, with JELLYFIN_AUDIO_QWEN_ENABLE on, the
//   published file is analysed here (and the result stored), at most once per content hash. The
//   speech transcript, when the analysis has one, goes along (publisher-meta keeps an excerpt).
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ImageFetcher } from '@pmoves/clip/fetch';
import type { ClipFilter, ClipIndex, ClipMatch } from '@pmoves/clip/library';
import {
  CLIP_SIMILARITY_MAX_ASSETS,
  type AudioEnrichment,
  type ClipEnrichment,
  type PublishedPayload,
} from '@pmoves/publisher-meta';
import {
  processItem,
  type AudioAnalysisStore,
  type QwenAudioAdapter,
  type StoredAudioAnalysis,
} from '@pmoves/qwen-audio';
import { clipBestMatch, type Candidate, type Reranker } from '@pmoves/rerank';
import type { ContentHashLookup } from '../../common/src/audio-store';
import { sha256File } from '../../common/src/hash';
import { errorMessage, type Logger } from '../../common/src/log';
import type { EnrichmentHook } from './service';

const isHttpUrl = (s: string) => /^https?:\/\//i.test(s);

/**
 * The images a published item offers for matching: `meta.frames` / `meta.thumbnails`
 * (`[{ id, url }]` or URL strings, e.g. video frames) and the item's own thumbnail — http(s) URLs only.
 */
export function imageCandidates(payload: PublishedPayload): Candidate[] {
  const meta = (payload.meta ?? {}) as Record<string, unknown>;
  const out: Candidate[] = [];
  const push = (id: string, url: unknown) => {
    if (typeof url === 'string' && isHttpUrl(url) && !out.some((c) => c.image === url))
      out.push({ id, image: url });
  };
  for (const key of ['frames', 'thumbnails'] as const) {
    const list = meta[key];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      if (typeof item === 'string') push(`${key}[${i}]`, item);
      else if (item && typeof item === 'object') {
        const { id, url } = item as { id?: unknown; url?: unknown };
        push(typeof id === 'string' && id ? id : `${key}[${i}]`, url);
      }
    });
  }
  push('thumbnail', payload.thumbnail_url);
  return out;
}

/** The text a published item is matched against: title, then description. */
export const matchQuery = (p: PublishedPayload): string =>
  [p.title, p.description].filter((s): s is string => typeof s === 'string' && s.length > 0).join('. ');

/** A CLIP similarity index the CLIP hook asks for `clip_best_match` and `clip_similarity`. */
export interface ClipLibrary {
  /** The index (e.g. `createClipIndexFromEnv(env, { embedder })`); it needs an embedder for image and text queries. */
  index: ClipIndex;
  /** Entries of `meta.clip_similarity` (default 5, at most 100). */
  k?: number;
  /** Namespace searched (default: the index's, `CLIP_INDEX_NAMESPACE`). */
  namespace?: string;
  /** Only assets whose metadata has these values (e.g. `{ kind: 'primary' }`). */
  filter?: ClipFilter;
  /**
   * Fetches the item's image for an image query (SSRF-safe: `createImageFetcher` of
   * `@pmoves/clip/fetch`); absent, only the item's stored vector or its title are used.
   */
  fetcher?: ImageFetcher;
}

/** Options of {@link clipHook}. */
export interface ClipHookOptions {
  /** The library: when given, the best match and the similar assets come from it. */
  library?: ClipLibrary;
  /** Logs which query answered, and a library lookup that failed. */
  log?: Logger;
}

/** The item's own ids in a library (Jellyfin item id, published path): never listed as similar to itself. */
const ownIds = (payload: PublishedPayload): Set<string> => new Set(itemKeys(payload));

/**
 * The library's answer for an item: the assets nearest to its stored vector (when the library
 * holds the item under one of its ids), else to its image (the reranker's best frame, else its
 * first image), else to its title and description. The item itself is left out.
 */
async function libraryMatches(
  lib: ClipLibrary,
  payload: PublishedPayload,
  preferredImage: string | undefined,
  signal: AbortSignal,
): Promise<{ matches: ClipMatch[]; query: string } | undefined> {
  const k = Math.min(Math.max(1, lib.k ?? 5), CLIP_SIMILARITY_MAX_ASSETS);
  const own = ownIds(payload);
  const base = {
    ...(lib.namespace ? { namespace: lib.namespace } : {}),
    ...(lib.filter ? { filter: lib.filter } : {}),
  };
  const stored = await lib.index.get([...own], base.namespace ? { namespace: base.namespace } : {});
  if (stored[0]) {
    const matches = await lib.index.similar(stored[0].id, { ...base, k: k + own.size, signal });
    return { matches: matches.filter((m) => !own.has(m.asset_id)).slice(0, k), query: 'stored vector' };
  }
  let query: Parameters<ClipIndex['nearest']>[0] | undefined;
  let described = '';
  const image = preferredImage ?? imageCandidates(payload)[0]?.image;
  if (lib.fetcher && typeof image === 'string') {
    const fetched = await lib.fetcher.fetch(image, { signal });
    query = { image: fetched.bytes };
    described = 'image';
  } else {
    const text = matchQuery(payload);
    if (text) {
      query = { text };
      described = 'title';
    }
  }
  if (!query) return undefined;
  const matches = await lib.index.nearest(query, { ...base, k: k + own.size, signal });
  return { matches: matches.filter((m) => !own.has(m.asset_id)).slice(0, k), query: described };
}

/**
 * CLIP hook. Over a reranker whose chain is the CLIP provider (see `clipRerankerEnv`): the best of
 * the item's own images for its title. With `library`: `best_match` and `similarity` (the top-k
 * `[{ asset_id, score }]`) from the CLIP similarity index, the item itself excluded; the
 * reranker, when given, only picks which of the item's images is the query.
 */
export function clipHook(
  reranker: Reranker | undefined,
  opts: ClipHookOptions = {},
): EnrichmentHook<ClipEnrichment> {
  const { library, log } = opts;
  return async (payload, signal) => {
    const candidates = imageCandidates(payload);
    const query = matchQuery(payload);
    let own: ClipEnrichment | undefined;
    let bestImage: string | undefined;
    if (reranker && candidates.length > 0 && query) {
      const res = await reranker.rerank({ query, candidates, signal });
      const best = res.provider === 'clip' ? clipBestMatch(res) : undefined; // CLIP did not score: nothing to claim
      if (best) {
        const model = best.model ?? res.model;
        own = { best_match: { ...best, ...(model ? { model } : {}) } };
        bestImage = candidates.find((c) => c.id === best.asset_id)?.image as string | undefined;
      }
    }
    if (!library) return own;
    try {
      const found = await libraryMatches(library, payload, bestImage, signal);
      const top = found?.matches[0];
      if (!found || !top) return own;
      log?.('info', 'clip library matches', {
        query: found.query,
        best: top.asset_id,
        n: found.matches.length,
      });
      return {
        best_match: { asset_id: top.asset_id, score: top.score, model: top.model },
        similarity: found.matches.map(({ asset_id, score }) => ({ asset_id, score })),
        model: top.model,
      };
    } catch (err) {
      if (signal.aborted) throw err;
      // The library is an addition: without it the item's own best match still stands.
      log?.('warn', 'clip library lookup failed', { error: errorMessage(err) });
      return own;
    }
  };
}

/** Extensions worth decoding for audio (ffmpeg takes the first audio track of a video). */
const MEDIA_EXTENSIONS = new Set(
  'mp3 flac wav ogg oga opus m4a aac wma aiff aif alac mka mp4 m4v mkv webm mov avi mpg mpeg ts'.split(' '),
);

/** Whether the published file may have audio. */
export function mayHaveAudio(payload: PublishedPayload): boolean {
  const meta = (payload.meta ?? {}) as Record<string, unknown>;
  const ext = (
    typeof meta.extension === 'string' ? meta.extension : extname(payload.published_path).slice(1)
  ).toLowerCase();
  return MEDIA_EXTENSIONS.has(ext);
}

/** Options of {@link audioHook}. */
export interface AudioHookOptions {
  /** `media_audio_analysis`; absent: nothing is looked up or stored. */
  store?: AudioAnalysisStore;
  /**
   * Looks a stored analysis up by content hash (another item with the same bytes, e.g. the
   * audio processor's row under its Jellyfin id), so the same bytes are never analysed twice.
   */
  findByContentHash?: ContentHashLookup;
  /** Analyses items with no stored analysis; absent or disabled: never analyse here. */
  adapter?: QwenAudioAdapter;
  /** Results remembered per content hash (default 1000). */
  memo?: number;
  log: Logger;
}

/** The enrichment a stored row gives: a successful analysis with a summary, its transcript included. */
export const enrichmentFromRow = (row: StoredAudioAnalysis): AudioEnrichment | undefined =>
  row.status === 'ok' && row.summary
    ? {
        summary: row.summary,
        tags: row.tags,
        mood: row.mood,
        confidence: row.confidence,
        model: row.model,
        ...(row.transcript ? { transcript: row.transcript } : {}),
      }
    : undefined;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The ids an item's analysis may be stored under, in order: its Jellyfin item id (from the
 * publisher's Jellyfin lookup, or `meta.jellyfin_item_id` of the approval), then its published
 * path (the id the backfill CLI uses for files).
 */
export function itemKeys(payload: PublishedPayload): string[] {
  const meta = (payload.meta ?? {}) as Record<string, unknown>;
  const ids = [payload.jellyfin_item_id, meta.jellyfin_item_id, payload.published_path];
  return [...new Set(ids.filter((k): k is string => typeof k === 'string' && k.length > 0))];
}

/**
 * Audio hook: the stored analysis of the item — looked up by Jellyfin item id, then by published
 * path (used when its audio hash matches the file, or when either hash is unknown), then, with
 * the file here, by its content hash under any item — otherwise, toggle on and file here, an
 * analysis of the file, stored under the item's id. One model run per content hash: concurrent
 * and later approvals of the same bytes share it. The transcript travels with the analysis.
 */
export function audioHook(opts: AudioHookOptions): EnrichmentHook<AudioEnrichment> {
  const { store, adapter, log } = opts;
  const byHash = new Map<string, Promise<AudioEnrichment | undefined>>();
  const remember = (sha: string, p: Promise<AudioEnrichment | undefined>) => {
    byHash.set(sha, p);
    p.then(
      (v) => (v === undefined ? byHash.delete(sha) : undefined), // a failure may be retried later
      () => byHash.delete(sha),
    );
    while (byHash.size > (opts.memo ?? 1000)) byHash.delete(byHash.keys().next().value!);
  };

  return async (payload, signal) => {
    const keys = itemKeys(payload);
    const path = payload.published_path;
    const here = mayHaveAudio(payload) && (await isFile(path));
    const sha = here ? await sha256File(path, signal) : null;

    if (sha && byHash.has(sha)) return byHash.get(sha);
    for (const key of keys) {
      const row = store ? await store.get(key) : null;
      const stored = row ? enrichmentFromRow(row) : undefined;
      if (stored && (sha === null || row!.audioSha256 === null || row!.audioSha256 === sha)) {
        log('info', 'audio analysis from media_audio_analysis', { item: key, model: row!.model });
        return stored;
      }
    }
    if (sha && opts.findByContentHash) {
      const row = await opts.findByContentHash(sha, signal);
      const stored = row && row.audioSha256 === sha ? enrichmentFromRow(row) : undefined;
      if (stored) {
        log('info', 'audio analysis from media_audio_analysis (same content hash)', {
          item: keys[0],
          stored_as: row!.itemId,
          model: row!.model,
        });
        return stored;
      }
    }
    if (!here || !sha || !adapter?.enabled) return undefined;
    // Checked again with no await before `remember`: a concurrent call for the same bytes may
    // have started the run while this one read the store.
    const running = byHash.get(sha);
    if (running) return running;

    const run = (async (): Promise<AudioEnrichment | undefined> => {
      if (store) {
        const out = await processItem({
          adapter,
          store,
          itemId: keys[0]!,
          path,
          signal,
          ...(payload.namespace ? { namespace: payload.namespace } : {}),
        });
        if (out.outcome === 'processed') return out.result;
        if (out.outcome === 'failed') throw new Error(`audio analysis failed (${out.code}): ${out.error}`);
        const row = await store.get(keys[0]!);
        return row ? enrichmentFromRow(row) : undefined;
      }
      const res = await adapter.analyze(path, { signal, audioSha256: sha });
      return res.status === 'ok' ? res : undefined;
    })();
    remember(sha, run);
    const result = await run;
    if (result) log('info', 'audio analysed', { item: keys[0], model: result.model ?? null });
    return result;
  };
}
