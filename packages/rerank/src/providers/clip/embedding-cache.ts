// The CLIP provider's embedding cache: unit vectors in an LRU keyed by what identifies the
// content (URL + validator, content hash, file path + mtime + size, text), URL validators
// revalidated with conditional GETs, and in-flight maps so concurrent windows fetch and embed a
// query or an image once.
import { createHash } from 'node:crypto';
import { bulkhead } from 'cockatiel';
import { LRUCache } from 'lru-cache';
import type { ClipEmbedderLike, ImageFetcherLike } from './clip-types';
import type { MediaReader } from './media-roots';
import { unit, type Vector } from './vectors';

/** What the cache needs: the embedder and fetcher (created on first use), the local-file policy, limits. */
export interface EmbeddingCacheOptions {
  embedder: () => Promise<ClipEmbedderLike>;
  fetcher: () => Promise<ImageFetcherLike>;
  media: MediaReader;
  /** Entries kept (vectors and URL validators each). */
  cacheSize: number;
  /** How long a fetched URL is trusted before it is revalidated, ms. */
  revalidateAfterMs: number;
  /** Image fetches in flight at once. */
  fetchConcurrency: number;
}

/** The cache: vectors for texts and image references, and hit/miss counts. */
export interface EmbeddingCache {
  /** Unit text vectors, in order. */
  textVectors(texts: string[], signal: AbortSignal): Promise<Vector[]>;
  /** Unit image vectors, in order; an image that could not be had is its error (with clip's `code`). */
  imageVectors(refs: (string | Uint8Array)[], signal: AbortSignal): Promise<(Vector | Error)[]>;
  /** Hits and misses since creation, entries held. */
  stats(): { hits: number; misses: number; size: number };
}

/** An image reference resolved to its cache key: a cached vector, or what is still to embed. */
interface Resolved {
  key: string;
  vector?: Vector;
  read?: () => Promise<Uint8Array>;
}

interface UrlState {
  key: string;
  etag?: string;
  lastModified?: string;
  checkedAt: number;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/** Share one promise per key while it is in flight. */
function share<K, V>(map: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let p = map.get(key);
  if (!p) {
    p = make();
    map.set(key, p);
    const drop = () => map.delete(key);
    p.then(drop, drop);
  }
  return p;
}

/** Create the cache. */
export function createEmbeddingCache(o: EmbeddingCacheOptions): EmbeddingCache {
  const cache = new LRUCache<string, Vector>({ max: o.cacheSize });
  const urls = new LRUCache<string, UrlState>({ max: o.cacheSize });
  const fetchLimit = bulkhead(o.fetchConcurrency, Infinity);
  let hits = 0;
  let misses = 0;
  const textInflight = new Map<string, Promise<Vector>>();
  const urlInflight = new Map<string, Promise<Resolved>>();
  const embedInflight = new Map<string, Promise<Vector | Error>>();

  const cached = (key: string) => {
    const v = cache.get(key);
    if (v) hits++;
    else misses++;
    return v;
  };

  /** A URL's vector while it is trusted (fresh), without a fetch. */
  const fresh = (ref: string, now: number): Resolved | undefined => {
    const known = urls.get(ref);
    if (!known || now - known.checkedAt >= o.revalidateAfterMs) return undefined;
    const vector = cache.get(known.key);
    return vector ? { key: known.key, vector } : undefined;
  };

  async function textVectors(texts: string[], signal: AbortSignal): Promise<Vector[]> {
    const need = [...new Set(texts)].filter((t) => !cache.has(`text:${t}`) && !textInflight.has(t));
    if (need.length) {
      const batch = o.embedder().then((e) => e.embedTexts(need, { signal }));
      need.forEach((t, i) =>
        share(textInflight, t, () =>
          batch.then((vecs) => {
            const u = unit(vecs[i]!);
            cache.set(`text:${t}`, u);
            return u;
          }),
        ),
      );
    }
    return Promise.all(texts.map((t) => cached(`text:${t}`) ?? textInflight.get(t)!));
  }

  /** Fetch a URL (conditionally when validators are known) and derive its cache key. */
  async function fetchUrl(ref: string, known: UrlState | undefined, signal: AbortSignal): Promise<Resolved> {
    const f = await o.fetcher();
    const got = await fetchLimit.execute(() =>
      f.fetch(ref, {
        signal,
        ...(known?.etag ? { ifNoneMatch: known.etag } : {}),
        ...(known?.lastModified ? { ifModifiedSince: known.lastModified } : {}),
      }),
    );
    if (got.notModified && known) {
      const vector = cache.get(known.key);
      if (vector) {
        urls.set(ref, { ...known, checkedAt: Date.now() });
        return { key: known.key, vector };
      }
      // Evicted meanwhile: fetch unconditionally.
      return fetchUrl(ref, undefined, signal);
    }
    // Key by URL + validator when the server sends one, else by content hash.
    const validator = got.etag ?? got.lastModified;
    const key = validator ? `url:${ref}#${validator}` : `sha256:${sha256(got.bytes)}`;
    urls.set(ref, {
      key,
      checkedAt: Date.now(),
      ...(got.etag ? { etag: got.etag } : {}),
      ...(got.lastModified ? { lastModified: got.lastModified } : {}),
    });
    return { key, read: async () => got.bytes };
  }

  /** Turn an image reference into a cache key and either its cached vector or how to read it. */
  async function resolveRef(ref: string | Uint8Array, signal: AbortSignal): Promise<Resolved> {
    if (typeof ref !== 'string') return { key: `sha256:${sha256(ref)}`, read: async () => ref };
    if (!isUrl(ref)) return o.media.resolve(ref);
    const hit = fresh(ref, Date.now());
    if (hit) return hit;
    return share(urlInflight, ref, () => fetchUrl(ref, urls.get(ref), signal));
  }

  /** Embed the references not cached yet, once per key across concurrent calls. */
  function embedMissing(resolved: (Resolved | Error | undefined)[], signal: AbortSignal): void {
    const batch = new Map<string, () => Promise<Uint8Array>>();
    for (const r of resolved) {
      if (!r || r instanceof Error || r.vector || !r.read) continue;
      if (!cache.has(r.key) && !embedInflight.has(r.key)) batch.set(r.key, r.read);
    }
    if (!batch.size) return;
    const keys = [...batch.keys()];
    // A read that fails (a local file that changed since it was checked) fails that image alone.
    const inputs = Promise.all([...batch.values()].map((read) => read().catch(asError)));
    const run = inputs.then(async (items) => {
      const ok = items.flatMap((x) => (x instanceof Error ? [] : [x]));
      const out = ok.length ? await (await o.embedder()).embedImages(ok, { signal }) : [];
      let j = 0;
      return items.map((x) => (x instanceof Error ? { error: x } : out[j++]));
    });
    keys.forEach((key, i) =>
      share(embedInflight, key, () =>
        run.then((out) => {
          const r = out[i];
          const value = r?.embedding ?? r?.error ?? new Error('embedder returned no result');
          if (!(value instanceof Float32Array)) return value;
          const u = unit(value); // cached vectors are unit length, so scoring is a dot product
          cache.set(key, u);
          return u;
        }, asError),
      ),
    );
  }

  async function imageVectors(
    refs: (string | Uint8Array)[],
    signal: AbortSignal,
  ): Promise<(Vector | Error)[]> {
    // Fast path without promises: URLs whose embedding is cached and fresh (the common repeat query).
    const now = Date.now();
    const pending: Promise<void>[] = [];
    const resolved = refs.map((ref, i): Resolved | Error | undefined => {
      const hit = typeof ref === 'string' && isUrl(ref) ? fresh(ref, now) : undefined;
      if (hit) return hit;
      pending.push(
        resolveRef(ref, signal).then(
          (r) => void (resolved[i] = r),
          (err: unknown) => void (resolved[i] = asError(err)),
        ),
      );
      return undefined;
    });
    if (pending.length) await Promise.all(pending);
    embedMissing(resolved, signal);
    const out = resolved.map((r): Vector | Error | Promise<Vector | Error> => {
      if (!r || r instanceof Error) return r ?? new Error('image reference was not resolved');
      if (r.vector) {
        hits++;
        return r.vector;
      }
      return cached(r.key) ?? embedInflight.get(r.key) ?? new Error('image embedding was evicted before use');
    });
    return out.some((x) => x instanceof Promise) ? Promise.all(out) : (out as (Vector | Error)[]);
  }

  return { textVectors, imageVectors, stats: () => ({ hits, misses, size: cache.size }) };
}
