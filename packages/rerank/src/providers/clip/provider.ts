// `clip`: scores the query text against each candidate's image with CLIP (cosine, −1..1). The
// factory reads as its steps: validate options, make the loaders (@pmoves/clip on demand), the
// local-file policy, the embedding cache, and score each window with it.
import { isAbsolute } from 'node:path';
import { parseOrThrow } from '@pmoves/internal';
import { z } from 'zod';
import { RerankError } from '../../errors';
import type { RerankProvider } from '../../types';
import type { ClipEmbedderLike, ClipImageFetchOptions, ImageFetcherLike } from './clip-types';
import { createEmbeddingCache } from './embedding-cache';
import { loadClipFetch, loadClipMain } from './load';
import { createMediaReader } from './media-roots';
import { mergeClipMetadata } from './metadata';
import { scoreWithClip } from './scoring';

const httpUrl = z.url({ protocol: /^https?$/ });

/** Options of {@link createClipProvider}. */
export const ClipProviderOptionsSchema = z.object({
  /** An embedder to use (local or remote); when absent one is created on first use. */
  embedder: z
    .custom<ClipEmbedderLike>((v) => typeof v === 'object' && v !== null && 'embedImages' in v, {
      message: 'must be a CLIP embedder (embedImages, embedTexts, info, dispose)',
    })
    .optional(),
  /**
   * Remote embedding server, or several (`CLIP_ENDPOINT`, comma-separated); when set the remote
   * client is used.
   */
  endpoint: z.union([httpUrl, z.array(httpUrl).min(1)]).optional(),
  /**
   * Further options for `@pmoves/clip`'s `createRemoteClipEmbedder` (retries, cool-down, batch size,
   * token, expected model…), used with `endpoint`; `timeoutMs` is this provider's.
   */
  remoteOptions: z.record(z.string(), z.unknown()).default({}),
  /** Model id (`CLIP_MODEL`), passed to the local embedder. */
  model: z.string().min(1).optional(),
  /** Local model directory (`CLIP_MODEL_PATH`). */
  modelPath: z.string().min(1).optional(),
  /** Further options for `@pmoves/clip`'s `createClipEmbedder` (device, dtype…). */
  embedderOptions: z.record(z.string(), z.unknown()).default({}),
  /** Per-call timeout, ms (`CLIP_TIMEOUT` is in seconds). Includes loading the model on first use. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Image fetch options (SSRF policy, limits) for `@pmoves/clip/fetch`. */
  fetchOptions: z
    .custom<ClipImageFetchOptions>((v) => typeof v === 'object' && v !== null, {
      message: 'must be an object',
    })
    .default({}),
  /**
   * Directories local image paths may be read from (`RERANK_MEDIA_ROOTS`); absolute. Default none:
   * an image given as a path (or `file:` URL) is refused. A path must resolve (realpath) to a file
   * inside a root; every refusal has the same message whether or not the file exists.
   */
  mediaRoots: z.array(z.string().refine(isAbsolute, 'must be an absolute directory')).default([]),
  /** Embeddings kept in the LRU cache (images and texts). */
  cacheSize: z.number().int().positive().default(10_000),
  /** How long a fetched URL is trusted before it is revalidated (conditional GET), ms. */
  revalidateAfterMs: z.number().int().min(0).default(300_000),
  /** Image fetches in flight at once. */
  fetchConcurrency: z.number().int().positive().default(8),
  /** Candidates per call (the chain windows bigger lists). */
  maxCandidatesPerCall: z.number().int().positive().default(64),
});

/** Options accepted by {@link createClipProvider}. */
export type ClipProviderOptions = z.input<typeof ClipProviderOptionsSchema>;

/** A CLIP rerank provider, with its cache exposed for inspection. */
export interface ClipRerankProvider extends RerankProvider {
  /** Cache statistics: hits and misses since creation, entries held. */
  cacheStats(): { hits: number; misses: number; size: number };
  /** Close the image fetcher and dispose the embedder this provider created (an injected one is left alone). */
  dispose(): Promise<void>;
}

const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * The CLIP provider: query text (or image) against candidate images — an http(s) URL through the
 * SSRF-safe fetcher, bytes, a precomputed `embedding`, or a local file inside `mediaRoots` — and
 * CLIP text-text similarity for candidates without an image. A broken, unreachable or refused
 * image gives that candidate a warning and no score. Its best image match is
 * `providerMetadata.clip.bestMatch` (see `clipBestMatch`).
 */
export function createClipProvider(options: ClipProviderOptions = {}): ClipRerankProvider {
  const o = parseOrThrow(
    ClipProviderOptionsSchema,
    options,
    (msg) => new RerankError('config', `clip provider options: ${msg}`),
  );

  // Step 1: the embedder and the fetcher, created from @pmoves/clip on first use.
  let loaded: ClipEmbedderLike | null = o.embedder ?? null;
  let embedderPromise: Promise<ClipEmbedderLike> | null = o.embedder ? Promise.resolve(o.embedder) : null;
  let fetcherPromise: Promise<ImageFetcherLike> | null = null;
  const embedder = () => {
    embedderPromise ??= loadClipMain()
      .then((clip) =>
        o.endpoint
          ? clip.createRemoteClipEmbedder({
              ...o.remoteOptions,
              endpoint: o.endpoint,
              timeoutMs: o.timeoutMs,
            })
          : clip.createClipEmbedder({
              ...(o.model ? { model: o.model } : {}),
              ...(o.modelPath ? { modelPath: o.modelPath } : {}),
              ...o.embedderOptions,
            }),
      )
      .then((e) => (loaded = e));
    embedderPromise.catch(() => (embedderPromise = null));
    return embedderPromise;
  };
  const fetcher = () => {
    fetcherPromise ??= loadClipFetch().then((m) => m.createImageFetcher(o.fetchOptions));
    fetcherPromise.catch(() => (fetcherPromise = null));
    return fetcherPromise;
  };

  // Step 2: local files only inside the media roots, with the fetcher's byte limit.
  const media = createMediaReader(o.mediaRoots, o.fetchOptions.maxBytes ?? DEFAULT_MAX_BYTES);

  // Step 3: the embedding cache over both.
  const cache = createEmbeddingCache({
    embedder,
    fetcher,
    media,
    cacheSize: o.cacheSize,
    revalidateAfterMs: o.revalidateAfterMs,
    fetchConcurrency: o.fetchConcurrency,
  });

  // Step 4: scoring, one window at a time.
  const endpoint = Array.isArray(o.endpoint) ? o.endpoint.join(',') : o.endpoint;
  const model = () => loaded?.info().model ?? o.model ?? o.modelPath ?? endpoint ?? null;
  return {
    id: 'clip',
    modalities: ['text', 'image'],
    pointwise: true,
    maxCandidatesPerCall: o.maxCandidatesPerCall,
    get model() {
      return model();
    },
    timeoutMs: o.timeoutMs,
    rerank: ({ query, candidates, signal }) => scoreWithClip(query, candidates, cache, signal, model),
    mergeMetadata: mergeClipMetadata,
    status: () => ({
      device: o.endpoint ? 'remote' : loaded ? loaded.info().provider : null,
      dtype: (!o.endpoint && loaded?.info().dtype) || null,
      loaded: loaded !== null,
    }),
    cacheStats: () => cache.stats(),
    async dispose() {
      const f = fetcherPromise;
      fetcherPromise = null;
      await (await f?.catch(() => null))?.close();
      // Only dispose an embedder this provider created; an injected one belongs to the caller.
      if (!o.embedder && loaded) await loaded.dispose();
      loaded = o.embedder ?? null;
      embedderPromise = o.embedder ? Promise.resolve(o.embedder) : null;
    },
  };
}
