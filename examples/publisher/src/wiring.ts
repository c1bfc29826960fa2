// Opening what the publisher's configuration names: the CLIP reranker and, when a CLIP index is
// configured, the index and the image fetcher of the library lookup (one embedder shared by the
// reranker and the index), and the audio store with its lookup by content hash.
import { createClipEmbedderFromEnv, type ClipEmbedder } from '@pmoves/clip';
import { createImageFetcher, imageFetchOptionsFromEnv } from '@pmoves/clip/fetch';
import { createClipIndex, createClipStore } from '@pmoves/clip/library';
import type { Env } from '@pmoves/internal';
import { createPostgresStore, createSupabaseStore, type AudioAnalysisStore } from '@pmoves/qwen-audio';
import {
  createProvider,
  createReranker,
  type ClipEmbedderLike,
  type ProviderConfig,
  type Reranker,
} from '@pmoves/rerank';
import pg from 'pg';
import {
  sqlContentHashLookup,
  supabaseContentHashLookup,
  type ContentHashLookup,
} from '../../common/src/audio-store';
import type { PublisherConfig, StoreConfig } from './config';
import type { ClipLibrary } from './enrichment';

/** The CLIP side of the publisher, opened. */
export interface OpenedClip {
  /** The CLIP-only reranker (best of the item's own images), when CLIP is on. */
  reranker?: Reranker;
  /** The library lookup, when a CLIP index is configured. */
  library?: ClipLibrary;
  /** Disposes the reranker, closes the index and the fetcher, disposes the shared embedder. */
  close(): Promise<void>;
}

/**
 * Opens the reranker of `cfg.rerank` and, with `cfg.clipIndex`, the index (`CLIP_INDEX_*`), an
 * embedder from `CLIP_*` (remote with `CLIP_ENDPOINT`) that the reranker's CLIP provider shares,
 * and the SSRF-safe fetcher (`CLIP_IMAGE_FETCH_*`) that loads the item's image for the query.
 */
export async function openClip(cfg: PublisherConfig, env: Env): Promise<OpenedClip> {
  let embedder: ClipEmbedder | undefined;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    let library: ClipLibrary | undefined;
    if (cfg.clipIndex) {
      embedder = await createClipEmbedderFromEnv({ ...env });
      const e = embedder;
      closers.push(() => e.dispose());
      const store = await createClipStore(cfg.clipIndex.store);
      const index = await createClipIndex({
        store,
        embedder,
        namespace: cfg.clipIndex.namespace,
        ...(cfg.clipIndex.model ? { space: { model: cfg.clipIndex.model } } : {}),
      }).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
      closers.push(() => index.close());
      const fetcher = createImageFetcher(imageFetchOptionsFromEnv({ ...env }));
      closers.push(() => fetcher.close());
      library = { index, k: cfg.similarK, fetcher };
    }
    let reranker: Reranker | undefined;
    if (cfg.rerank) {
      const shared = embedder as ClipEmbedderLike | undefined;
      const providers = cfg.rerank.providers.map((p: ProviderConfig) =>
        createProvider(
          p.provider === 'clip' && shared
            ? { provider: 'clip', options: { ...p.options, embedder: shared } }
            : p,
        ),
      );
      const r = createReranker({ ...cfg.rerank, providers });
      reranker = r;
      closers.push(() => r.dispose());
    }
    return { ...(reranker ? { reranker } : {}), ...(library ? { library } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The audio store of the configuration, with its lookup by content hash. */
export interface OpenedAudioStore {
  /** `media_audio_analysis`, when DATABASE_URL or Supabase is set. */
  store?: AudioAnalysisStore;
  /** Finds a stored analysis of the same bytes under any item id. */
  findByContentHash?: ContentHashLookup;
  /** Closes the store and the lookup's connection. */
  close(): Promise<void>;
}

/** Opens the store `cfg` names (nothing for `none`); `schema`: the PostgreSQL schema of the table (default: the search path). */
export function openAudioStore(cfg: StoreConfig, opts: { schema?: string } = {}): OpenedAudioStore {
  if (cfg.kind === 'postgres') {
    const store = createPostgresStore({
      connectionString: cfg.connectionString,
      source: 'DATABASE_URL',
      ...(opts.schema ? { schema: opts.schema } : {}),
    });
    // One connection for the lookups (the store's pool is its own).
    const pool = new pg.Pool({ connectionString: cfg.connectionString, max: 1, statement_timeout: 10_000 });
    pool.on('error', () => undefined);
    return {
      store,
      findByContentHash: sqlContentHashLookup((text, params) => pool.query(text, params), store, opts),
      async close() {
        await store.close();
        await pool.end();
      },
    };
  }
  if (cfg.kind === 'supabase') {
    const store = createSupabaseStore({ url: cfg.url, key: cfg.key });
    return {
      store,
      findByContentHash: supabaseContentHashLookup({ url: cfg.url, key: cfg.key }, store),
      close: () => store.close(),
    };
  }
  return { close: async () => undefined };
}
