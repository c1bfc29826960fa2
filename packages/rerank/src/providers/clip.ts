// `clip`: scores the query text against each candidate's image with CLIP (cosine, −1..1).
// @pmoves/clip is loaded on demand (dynamic import), so @pmoves/rerank does not pull in
// onnxruntime unless this provider is used; with an endpoint it uses the remote client instead.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { ClipEmbedder, ImageInput } from '@pmoves/clip';
import type { ImageFetcher, ImageFetchOptions } from '@pmoves/clip/fetch';
import { bulkhead } from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { RerankError } from '../errors';
import type { BestMatch, Candidate, ProviderScores, RerankProvider } from '../types';

/** Options of {@link createClipProvider}. */
export const ClipProviderOptionsSchema = z.object({
  /** An embedder to use (local or remote); when absent one is created on first use. */
  embedder: z
    .custom<ClipEmbedder>((v) => typeof v === 'object' && v !== null && 'embedImages' in v)
    .optional(),
  /** Remote embedding server (`CLIP_ENDPOINT`); when set the remote client is used. */
  endpoint: z.url().optional(),
  /** Model id (`CLIP_MODEL`), passed to the local embedder. */
  model: z.string().optional(),
  /** Local model directory (`CLIP_MODEL_PATH`). */
  modelPath: z.string().optional(),
  /** Further options for `createClipEmbedder` (device, dtype…). */
  embedderOptions: z.record(z.string(), z.unknown()).default({}),
  /** Per-call timeout, ms (`CLIP_TIMEOUT` is in seconds). Includes loading the model on first use. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Image fetch options (SSRF policy, limits); see `@pmoves/clip/fetch`. */
  fetchOptions: z.record(z.string(), z.unknown()).default({}),
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
export type ClipProviderOptions = z.input<typeof ClipProviderOptionsSchema> & {
  fetchOptions?: ImageFetchOptions;
};

/** A CLIP rerank provider, with its cache exposed for inspection. */
export interface ClipRerankProvider extends RerankProvider {
  /** Cache statistics: hits and misses since creation, entries held. */
  cacheStats(): { hits: number; misses: number; size: number };
  /** Close the image fetcher and dispose the embedder this provider created (an injected one is left alone). */
  dispose(): Promise<void>;
}

/** An image reference resolved to its cache key: a cached vector, or the input still to embed. */
interface Resolved {
  key: string;
  vector?: Vector;
  input?: ImageInput;
}

interface UrlState {
  key: string;
  etag?: string;
  lastModified?: string;
  checkedAt: number;
}

type Vector = Float32Array;

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

const clampCos = (c: number) => Math.max(-1, Math.min(1, c));

/** Cosine of a unit query against any vector (precomputed embeddings may not be normalised). */
function cosine(unitQuery: Vector, v: Vector): number {
  const d = dot(unitQuery, v);
  const norm = Math.sqrt(dot(v, v));
  return norm > 0 ? Math.max(-1, Math.min(1, d / norm)) : 0;
}

function unit(v: Vector): Vector {
  const n = Math.sqrt(dot(v, v));
  if (n === 0 || Math.abs(n - 1) < 1e-6) return v;
  return v.map((x) => x / n);
}

/** Load an embedder from @pmoves/clip on demand (remote when an endpoint is set). */
async function loadEmbedder(o: z.output<typeof ClipProviderOptionsSchema>): Promise<ClipEmbedder> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@pmoves/clip')) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new RerankError('config', 'the clip provider needs the optional peer dependency @pmoves/clip', {
      cause: err,
    });
  }
  if (o.endpoint) {
    const create = mod.createRemoteClipEmbedder as ((opts: object) => ClipEmbedder) | undefined;
    if (!create) throw new RerankError('config', '@pmoves/clip does not export createRemoteClipEmbedder');
    return create({ endpoint: o.endpoint, timeoutMs: o.timeoutMs });
  }
  const create = mod.createClipEmbedder as
    ((opts: object) => ClipEmbedder | Promise<ClipEmbedder>) | undefined;
  if (!create) throw new RerankError('config', '@pmoves/clip does not export createClipEmbedder');
  return create({
    ...(o.model ? { model: o.model } : {}),
    ...(o.modelPath ? { modelPath: o.modelPath } : {}),
    ...o.embedderOptions,
  });
}

/**
 * The CLIP provider: query text against candidate images (URL via the SSRF-safe fetcher, file
 * path, bytes, or a precomputed `embedding`), CLIP text-text similarity for candidates without an
 * image. A broken, unreachable or refused image gives that candidate a warning and no score.
 */
export function createClipProvider(options: ClipProviderOptions = {}): ClipRerankProvider {
  const parsed = ClipProviderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RerankError('config', `clip provider option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const o = parsed.data;
  const cache = new LRUCache<string, Vector>({ max: o.cacheSize });
  const urls = new LRUCache<string, UrlState>({ max: o.cacheSize });
  const fetchLimit = bulkhead(o.fetchConcurrency, Infinity);
  let hits = 0;
  let misses = 0;
  let embedderPromise: Promise<ClipEmbedder> | null = o.embedder ? Promise.resolve(o.embedder) : null;
  let loaded: ClipEmbedder | null = o.embedder ?? null;
  let fetcherPromise: Promise<ImageFetcher> | null = null;

  const embedder = () => {
    embedderPromise ??= loadEmbedder(o).then((e) => (loaded = e));
    embedderPromise.catch(() => (embedderPromise = null));
    return embedderPromise;
  };
  const fetcher = () => {
    fetcherPromise ??= import('@pmoves/clip/fetch').then((m) =>
      m.createImageFetcher(o.fetchOptions as ImageFetchOptions),
    );
    return fetcherPromise;
  };
  const cached = (key: string) => {
    const v = cache.get(key);
    if (v) hits++;
    else misses++;
    return v;
  };

  // In-flight work shared by concurrent windows, so a query or an image is fetched and embedded once.
  const textInflight = new Map<string, Promise<Vector>>();
  const urlInflight = new Map<string, Promise<Resolved>>();
  const embedInflight = new Map<string, Promise<Vector | Error>>();

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

  async function textVectors(texts: string[], signal: AbortSignal): Promise<Vector[]> {
    const need = [...new Set(texts)].filter((t) => !cache.has(`text:${t}`) && !textInflight.has(t));
    if (need.length) {
      const batch = embedder().then((e) => e.embedTexts(need, { signal }));
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
    const f = await fetcher();
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
    return { key, input: got.bytes };
  }

  /** Turn an image reference into a cache key and either its cached vector or the input to embed. */
  async function resolveRef(ref: string | Uint8Array, signal: AbortSignal): Promise<Resolved> {
    if (typeof ref !== 'string') return { key: `sha256:${sha256(ref)}`, input: ref };
    if (!isUrl(ref)) {
      const st = await stat(ref);
      return { key: `file:${ref}:${st.mtimeMs}:${st.size}`, input: ref };
    }
    const known = urls.get(ref);
    if (known && Date.now() - known.checkedAt < o.revalidateAfterMs) {
      const vector = cache.get(known.key);
      if (vector) return { key: known.key, vector };
    }
    return share(urlInflight, ref, () => fetchUrl(ref, known, signal));
  }

  async function imageVectors(
    refs: (string | Uint8Array)[],
    signal: AbortSignal,
  ): Promise<(Vector | Error)[]> {
    // Fast path without promises: URLs whose embedding is cached and fresh (the common repeat query).
    const now = Date.now();
    const pending: Promise<void>[] = [];
    const resolved = refs.map((ref, i): Resolved | Error | undefined => {
      if (typeof ref === 'string') {
        const known = urls.get(ref);
        if (known && now - known.checkedAt < o.revalidateAfterMs) {
          const vector = cache.get(known.key);
          if (vector) return { key: known.key, vector };
        }
      }
      pending.push(
        resolveRef(ref, signal).then(
          (r) => void (resolved[i] = r),
          (err: unknown) => void (resolved[i] = err instanceof Error ? err : new Error(String(err))),
        ),
      );
      return undefined;
    });
    if (pending.length) await Promise.all(pending);
    const batch = new Map<string, ImageInput>();
    for (const r of resolved) {
      if (!r || r instanceof Error || r.vector || !r.input) continue;
      if (!cache.has(r.key) && !embedInflight.has(r.key)) batch.set(r.key, r.input);
    }
    if (batch.size) {
      const keys = [...batch.keys()];
      const run = embedder().then((e) => e.embedImages([...batch.values()], { signal }));
      keys.forEach((key, i) =>
        share(embedInflight, key, () =>
          run.then(
            (out) => {
              const r = out[i];
              const value = r?.embedding ?? r?.error ?? new Error('embedder returned no result');
              if (!(value instanceof Float32Array)) return value;
              const u = unit(value); // cached vectors are unit length, so scoring is a dot product
              cache.set(key, u);
              return u;
            },
            (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
          ),
        ),
      );
    }
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

  async function rerank({
    query,
    candidates,
    signal,
  }: {
    query: unknown;
    candidates: Candidate[];
    signal: AbortSignal;
  }) {
    const q =
      typeof query === 'string' ? { text: query } : (query as { text?: string; image?: string | Uint8Array });
    let qvec: Vector;
    if (q.text) {
      qvec = (await textVectors([q.text], signal))[0]!;
    } else {
      const r = (await imageVectors([q.image!], signal))[0]!;
      if (r instanceof Error)
        throw new RerankError('provider', `clip could not embed the query image: ${r.message}`);
      qvec = r;
    }
    qvec = unit(qvec);
    const scores: (number | null)[] = new Array(candidates.length).fill(null);
    const candidateWarnings = new Map<number, string>();
    const imageSlots: number[] = [];
    const textSlots: number[] = [];
    let best: BestMatch | undefined;
    const considerBest = (c: Candidate, score: number) => {
      if (!best || score > best.score) {
        const asset = c.metadata?.asset_id;
        best = {
          asset_id: typeof asset === 'string' || typeof asset === 'number' ? String(asset) : c.id,
          score,
        };
      }
    };
    candidates.forEach((c, i) => {
      if (c.embedding) {
        const v = c.embedding instanceof Float32Array ? c.embedding : Float32Array.from(c.embedding);
        if (v.length !== qvec.length) {
          candidateWarnings.set(i, `embedding has ${v.length} dimensions, the model ${qvec.length}`);
        } else {
          scores[i] = cosine(qvec, v);
          considerBest(c, scores[i]!);
        }
      } else if (c.image !== undefined) imageSlots.push(i);
      else if (c.text) textSlots.push(i);
      else candidateWarnings.set(i, 'no image, embedding or text to score');
    });
    const [imageVecs, textVecs] = await Promise.all([
      imageSlots.length
        ? imageVectors(
            imageSlots.map((i) => candidates[i]!.image!),
            signal,
          )
        : [],
      textSlots.length
        ? textVectors(
            textSlots.map((i) => candidates[i]!.text!),
            signal,
          )
        : [],
    ]);
    signal.throwIfAborted();
    imageSlots.forEach((slot, j) => {
      const r = imageVecs[j]!;
      if (r instanceof Error) {
        const code = (r as { code?: string }).code;
        candidateWarnings.set(slot, `image not scored (${code ?? 'error'}): ${r.message}`);
      } else {
        scores[slot] = clampCos(dot(qvec, r));
        considerBest(candidates[slot]!, scores[slot]!);
      }
    });
    textSlots.forEach((slot, j) => (scores[slot] = clampCos(dot(qvec, textVecs[j]!))));
    const out: ProviderScores = {
      scores,
      scoreKind: 'similarity',
      model: loaded?.info().model ?? o.model ?? o.modelPath ?? o.endpoint ?? null,
      candidateWarnings,
    };
    if (best) out.bestMatch = out.model ? { ...best, model: out.model } : best;
    return out;
  }

  return {
    id: 'clip',
    modalities: ['text', 'image'],
    pointwise: true,
    maxCandidatesPerCall: o.maxCandidatesPerCall,
    get model() {
      return loaded?.info().model ?? o.model ?? o.modelPath ?? null;
    },
    timeoutMs: o.timeoutMs,
    rerank,
    status: () => ({
      device: o.endpoint ? 'remote' : loaded ? loaded.info().provider : null,
      loaded: loaded !== null,
    }),
    cacheStats: () => ({ hits, misses, size: cache.size }),
    async dispose() {
      const f = fetcherPromise;
      fetcherPromise = null;
      await (await f)?.close();
      // Only dispose an embedder this provider created; an injected one belongs to the caller.
      if (!o.embedder && loaded) await loaded.dispose();
      loaded = o.embedder ?? null;
      embedderPromise = o.embedder ? Promise.resolve(o.embedder) : null;
    },
  };
}
