// The CLIP similarity index over a store: validates items one by one (one bad item never fails a
// batch), embeds images and texts with the embedder it was given, keeps every namespace to one
// model, and refuses to compare a query with vectors of another model.
import { ClipError } from '../errors';
import type { ClipEmbedder, ImageInput } from '../types';
import { embeddingSpaceOf } from './space';
import type {
  ClipFilter,
  ClipMetadata,
  ClipVectorStore,
  EmbeddingSpace,
  StoredEntry,
  StoredVector,
  StoreHit,
} from './types';

/** Namespace used when none is given. */
export const DEFAULT_NAMESPACE = 'default';

/** One asset to index: a ready embedding, or an image the index's embedder embeds. */
export interface ClipIndexItem {
  /** Asset id, unique within its namespace (1–512 characters). */
  id: string;
  /** A ready embedding (normalised on the way in); give this or `image`. */
  embedding?: ArrayLike<number>;
  /** An image (bytes, a file path, raw pixels) for the index's embedder; give this or `embedding`. */
  image?: ImageInput;
  /** Namespace (default: the index's). */
  namespace?: string;
  /** JSON metadata, filterable by top-level key (at most 64 KiB as JSON). */
  metadata?: ClipMetadata;
  /** Hash of the content the vector came from (the indexer skips content whose hash is unchanged). */
  contentHash?: string;
  /** Space of a ready embedding, when it is not the index's (model, dtype, preprocessing). */
  space?: Partial<EmbeddingSpace>;
}

/** What {@link ClipIndex.upsert} did: how many were written, and each item refused with why. */
export interface UpsertReport {
  /** Items written. */
  upserted: number;
  /** Items refused (invalid, not embeddable, another model in their namespace), each with its error. */
  failed: { id: string; error: ClipError }[];
}

/** A query: an embedding (of the index's model, or the one named), a text, or an image. */
export type ClipQuery =
  | ArrayLike<number>
  | { embedding: ArrayLike<number>; model?: string }
  | { text: string }
  | { image: ImageInput };

/** Options of {@link ClipIndex.nearest} and {@link ClipIndex.similar}. */
export interface NearestOptions {
  /** Matches wanted, 1–1000. Default 10. */
  k?: number;
  /** Namespace searched (default: the index's). */
  namespace?: string;
  /** Only assets whose metadata has these top-level values. */
  filter?: ClipFilter;
  /** Cancels embedding the query. */
  signal?: AbortSignal;
}

/** One match: the asset, its cosine similarity (−1..1) to the query, the model, and its metadata. */
export interface ClipMatch {
  /** The matching asset's id. */
  asset_id: string;
  /** Cosine similarity, −1..1 (the raw CLIP cosine, as `meta.clip_best_match.score`). */
  score: number;
  /** Model of the stored vector (the query's model: other models are never compared). */
  model: string;
  /** The asset's metadata. */
  metadata: ClipMetadata;
}

/** The best match in the publisher's `meta.clip_best_match` shape. */
export interface ClipBestMatch {
  /** The matching asset's id. */
  asset_id: string;
  /** Cosine similarity, −1..1. */
  score: number;
  /** CLIP model that produced both vectors. */
  model: string;
}

/** A stored entry as the index reports it. */
export interface ClipIndexEntry {
  /** Asset id. */
  id: string;
  /** Namespace. */
  namespace: string;
  /** The vector's space. */
  space: EmbeddingSpace;
  /** Content hash given when it was indexed. */
  contentHash?: string;
  /** Metadata. */
  metadata: ClipMetadata;
}

/** A CLIP similarity index over one store (see {@link createClipIndex}). */
export interface ClipIndex {
  /** The store underneath. */
  readonly store: ClipVectorStore;
  /** The space of the index's own vectors and queries; undefined without an embedder or `space`. */
  readonly space: EmbeddingSpace | undefined;
  /**
   * Insert or replace assets; each bad item is reported, the others are written. With `bulk`, a
   * pgvector store builds its HNSW index once after the rows instead of inserting into it (see
   * {@link StoreUpsertOptions.bulk}): for loading thousands of vectors in one call.
   */
  upsert(
    items: readonly ClipIndexItem[],
    options?: { signal?: AbortSignal; bulk?: boolean },
  ): Promise<UpsertReport>;
  /** Delete assets by id (unknown ids are ignored). */
  remove(ids: readonly string[], options?: { namespace?: string }): Promise<void>;
  /** Stored entries of these ids (without vectors). */
  get(ids: readonly string[], options?: { namespace?: string }): Promise<ClipIndexEntry[]>;
  /** Every entry of a namespace. */
  entries(options?: { namespace?: string }): AsyncIterable<ClipIndexEntry>;
  /**
   * The `k` assets nearest to `query`, best first.
   *
   * @throws ClipError `invalid-input` when the namespace holds vectors of another model (naming both)
   */
  nearest(query: ClipQuery, options?: NearestOptions): Promise<ClipMatch[]>;
  /** The `k` assets nearest to a stored asset, without the asset itself. */
  similar(id: string, options?: NearestOptions): Promise<ClipMatch[]>;
  /** The nearest asset, as `meta.clip_best_match` wants it; undefined when the namespace has none. */
  bestMatch(query: ClipQuery, options?: Omit<NearestOptions, 'k'>): Promise<ClipBestMatch | undefined>;
  /** Close the store (the embedder is the caller's to dispose). */
  close(): Promise<void>;
}

/** Options of {@link createClipIndex}. */
export interface ClipIndexOptions {
  /** Where vectors live (e.g. `createPgliteClipStore()`). */
  store: ClipVectorStore;
  /** Embeds `{ text }` / `{ image }` queries and image items; sets the index's space. */
  embedder?: ClipEmbedder;
  /** The index's space, or parts of it overriding the embedder's (e.g. a stable `model` id). */
  space?: Partial<EmbeddingSpace>;
  /** Default namespace. Default `default`. */
  namespace?: string;
}

const MAX_ID = 512;
const MAX_METADATA = 64 * 1024;

function checkNamespace(ns: unknown, where: string): string {
  if (typeof ns !== 'string' || ns.length === 0 || ns.length > 200) {
    throw new ClipError('invalid-input', `${where}: namespace must be a string of 1 to 200 characters`);
  }
  return ns;
}

function checkK(k: unknown): number {
  const n = k ?? 10;
  if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > 1000) {
    throw new ClipError('invalid-input', `option "k" must be an integer from 1 to 1000, got ${String(k)}`);
  }
  return n as number;
}

function checkFilter(filter: unknown): ClipFilter | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw new ClipError('invalid-input', 'option "filter" must be an object of metadata values');
  }
  for (const [k, v] of Object.entries(filter)) {
    if (
      !['string', 'number', 'boolean'].includes(typeof v) ||
      (typeof v === 'number' && !Number.isFinite(v))
    ) {
      throw new ClipError('invalid-input', `filter key "${k}" must be a string, finite number or boolean`);
    }
  }
  return filter as ClipFilter;
}

/** Copy `v` as a unit-length Float32Array of `dims`, or say why not. */
function unitVector(v: unknown, dims: number, where: string): Float32Array {
  const ok =
    (Array.isArray(v) || ArrayBuffer.isView(v)) && typeof (v as ArrayLike<number>).length === 'number';
  if (!ok) throw new ClipError('invalid-input', `${where}: embedding must be an array of numbers`);
  const arr = v as ArrayLike<number>;
  if (arr.length !== dims) {
    throw new ClipError(
      'invalid-input',
      `${where}: embedding has ${arr.length} dimensions; the index holds ${dims}`,
    );
  }
  const out = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = Number(arr[i]);
    if (!Number.isFinite(x))
      throw new ClipError('invalid-input', `${where}: embedding value ${i} is not a finite number`);
    out[i] = x;
    norm += x * x;
  }
  if (!(norm > 0)) throw new ClipError('invalid-input', `${where}: embedding is all zeros`);
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) out[i]! *= inv;
  return out;
}

function describeSpace(s: EmbeddingSpace): string {
  return `${s.model} (${s.dtype}, ${s.preprocessing})`;
}

function mismatch(namespace: string, stored: EmbeddingSpace, other: string, what: string): ClipError {
  return new ClipError(
    'invalid-input',
    `namespace "${namespace}" holds vectors of model ${describeSpace(stored)}; ${what} is from model ${other}: embeddings of different models cannot be compared (use another namespace, or re-embed)`,
  );
}

const toEntry = (e: StoredEntry): ClipIndexEntry => ({
  id: e.id,
  namespace: e.namespace,
  space: e.space,
  ...(e.contentHash !== undefined ? { contentHash: e.contentHash } : {}),
  metadata: e.metadata,
});

const toMatch = (h: StoreHit): ClipMatch => ({
  asset_id: h.id,
  score: h.score,
  model: h.space.model,
  metadata: h.metadata,
});

/**
 * Create a CLIP index over a store. With an embedder, the index's space (model, dtype,
 * preprocessing) is the embedder's; a remote embedder is asked first.
 *
 * ```ts
 * const index = await createClipIndex({ store: await createPgliteClipStore({ path: '.clip-index' }), embedder });
 * await index.upsert([{ id: 'item-1', image: jpegBytes, metadata: { kind: 'primary' } }]);
 * await index.bestMatch({ text: 'a red car' }); // { asset_id: 'item-1', score: 0.31, model: '…' }
 * ```
 */
export async function createClipIndex(options: ClipIndexOptions): Promise<ClipIndex> {
  const { store, embedder } = options ?? ({} as ClipIndexOptions);
  if (!store || typeof store.search !== 'function') {
    throw new ClipError('invalid-input', 'createClipIndex needs a store (e.g. createPgliteClipStore())');
  }
  const defaultNamespace = checkNamespace(options.namespace ?? DEFAULT_NAMESPACE, 'createClipIndex');
  let space: EmbeddingSpace | undefined;
  if (embedder) space = await embeddingSpaceOf(embedder, options.space);
  else if (options.space?.model) {
    space = {
      model: options.space.model,
      dtype: options.space.dtype ?? 'fp32',
      preprocessing: options.space.preprocessing ?? 'unknown',
    };
  }
  const dims = store.dims;

  const needEmbedder = (what: string): ClipEmbedder => {
    if (!embedder) throw new ClipError('invalid-input', `${what} needs an index created with an embedder`);
    return embedder;
  };

  /** The query as a unit vector with the model it came from. */
  async function queryVector(
    query: ClipQuery,
    signal?: AbortSignal,
  ): Promise<{ vector: Float32Array; model: string }> {
    if (typeof query === 'object' && query !== null && 'text' in query) {
      if (typeof query.text !== 'string')
        throw new ClipError('invalid-input', 'query "text" must be a string');
      const [v] = await needEmbedder('a text query').embedTexts(
        [query.text],
        signal ? { signal } : undefined,
      );
      return { vector: unitVector(v, dims, 'text query'), model: space!.model };
    }
    if (typeof query === 'object' && query !== null && 'image' in query) {
      const [r] = await needEmbedder('an image query').embedImages(
        [query.image],
        signal ? { signal } : undefined,
      );
      if (!r?.embedding) throw r?.error ?? new ClipError('decode', 'the query image could not be embedded');
      return { vector: unitVector(r.embedding, dims, 'image query'), model: space!.model };
    }
    if (typeof query === 'object' && query !== null && 'embedding' in query) {
      const model = query.model ?? space?.model;
      if (!model)
        throw new ClipError('invalid-input', 'an embedding query needs "model" (the index has no space)');
      return { vector: unitVector(query.embedding, dims, 'query'), model };
    }
    if (!space)
      throw new ClipError(
        'invalid-input',
        'an embedding query needs { embedding, model } (the index has no space)',
      );
    return { vector: unitVector(query, dims, 'query'), model: space.model };
  }

  async function search(
    vector: Float32Array,
    model: string,
    o: NearestOptions,
    k: number,
  ): Promise<StoreHit[]> {
    const namespace = checkNamespace(o.namespace ?? defaultNamespace, 'search');
    const filter = checkFilter(o.filter);
    const stored = await store.spaceOf(namespace);
    if (!stored) return [];
    if (stored.model !== model) throw mismatch(namespace, stored, model, 'the query');
    return store.search(vector, { namespace, model, k, ...(filter ? { filter } : {}) });
  }

  const index: ClipIndex = {
    store,
    space,
    async upsert(items, o = {}) {
      if (!Array.isArray(items)) throw new ClipError('invalid-input', 'upsert expects an array of items');
      const failed: UpsertReport['failed'] = [];
      const ready: StoredVector[] = [];
      const images: { at: number; item: ClipIndexItem }[] = [];
      const prepared: (StoredVector | undefined)[] = new Array(items.length);
      items.forEach((item, at) => {
        const id = typeof item?.id === 'string' ? item.id : String(item?.id);
        try {
          if (typeof item?.id !== 'string' || item.id.length === 0 || item.id.length > MAX_ID) {
            throw new ClipError(
              'invalid-input',
              `item ${at}: "id" must be a string of 1 to ${MAX_ID} characters`,
            );
          }
          const namespace = checkNamespace(item.namespace ?? defaultNamespace, `item ${id}`);
          const metadata = item.metadata ?? {};
          if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
            throw new ClipError('invalid-input', `item ${id}: metadata must be a JSON object`);
          }
          const json = JSON.stringify(metadata);
          if (json.length > MAX_METADATA)
            throw new ClipError('invalid-input', `item ${id}: metadata is over 64 KiB as JSON`);
          if (
            item.contentHash !== undefined &&
            (typeof item.contentHash !== 'string' || item.contentHash.length > 256)
          ) {
            throw new ClipError(
              'invalid-input',
              `item ${id}: contentHash must be a string of at most 256 characters`,
            );
          }
          const hasVector = item.embedding !== undefined;
          if (hasVector === (item.image !== undefined)) {
            throw new ClipError('invalid-input', `item ${id}: give exactly one of "embedding" and "image"`);
          }
          const s: EmbeddingSpace | undefined = item.space?.model
            ? {
                model: item.space.model,
                dtype: item.space.dtype ?? space?.dtype ?? 'fp32',
                preprocessing: item.space.preprocessing ?? space?.preprocessing ?? 'unknown',
              }
            : space;
          if (!s)
            throw new ClipError(
              'invalid-input',
              `item ${id}: no model known for it (give "space", or create the index with an embedder)`,
            );
          if (!hasVector) needEmbedder(`item ${id} (an image)`);
          prepared[at] = {
            namespace,
            id: item.id,
            embedding: hasVector ? unitVector(item.embedding, dims, `item ${id}`) : new Float32Array(0),
            space: { ...s },
            ...(item.contentHash !== undefined ? { contentHash: item.contentHash } : {}),
            metadata: JSON.parse(json) as ClipMetadata,
          };
          if (!hasVector) images.push({ at, item });
        } catch (err) {
          failed.push({
            id,
            error: err instanceof ClipError ? err : new ClipError('invalid-input', String(err)),
          });
        }
      });
      if (images.length > 0) {
        const results = await needEmbedder('image items').embedImages(
          images.map((i) => i.item.image!),
          o.signal ? { signal: o.signal } : undefined,
        );
        images.forEach(({ at, item }, i) => {
          const r = results[i];
          try {
            if (!r?.embedding)
              throw r?.error ?? new ClipError('decode', `item ${item.id}: the image could not be embedded`);
            prepared[at]!.embedding = unitVector(r.embedding, dims, `item ${item.id}`);
          } catch (err) {
            prepared[at] = undefined;
            failed.push({ id: item.id, error: err as ClipError });
          }
        });
      }
      // One model per namespace: the stored one, else the first of this batch.
      const owner = new Map<string, EmbeddingSpace | undefined>();
      for (const row of prepared) {
        if (!row) continue;
        if (!owner.has(row.namespace))
          owner.set(row.namespace, (await store.spaceOf(row.namespace)) ?? row.space);
        const own = owner.get(row.namespace)!;
        if (own.model !== row.space.model) {
          failed.push({ id: row.id, error: mismatch(row.namespace, own, row.space.model, `item ${row.id}`) });
          continue;
        }
        ready.push(row);
      }
      // The last of two items with the same id wins, as it would in two calls.
      const unique = [...new Map(ready.map((r) => [`${r.namespace}\u0000${r.id}`, r])).values()];
      if (unique.length > 0) await store.upsert(unique, o.bulk ? { bulk: true } : undefined);
      return { upserted: unique.length, failed };
    },
    async remove(ids, o = {}) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
        throw new ClipError('invalid-input', 'remove expects an array of id strings');
      }
      await store.remove(checkNamespace(o.namespace ?? defaultNamespace, 'remove'), ids);
    },
    async get(ids, o = {}) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
        throw new ClipError('invalid-input', 'get expects an array of id strings');
      }
      const rows = await store.get(checkNamespace(o.namespace ?? defaultNamespace, 'get'), ids);
      return rows.map(toEntry);
    },
    async *entries(o = {}) {
      for await (const e of store.list(checkNamespace(o.namespace ?? defaultNamespace, 'entries')))
        yield toEntry(e);
    },
    async nearest(query, o = {}) {
      const k = checkK(o.k);
      const { vector, model } = await queryVector(query, o.signal);
      return (await search(vector, model, o, k)).map(toMatch);
    },
    async similar(id, o = {}) {
      const k = checkK(o.k);
      const namespace = checkNamespace(o.namespace ?? defaultNamespace, 'similar');
      const [row] = await store.get(namespace, [id]);
      if (!row)
        throw new ClipError('not-found', `no asset ${JSON.stringify(id)} in namespace "${namespace}"`);
      const hits = await search(row.embedding, row.space.model, { ...o, namespace }, k + 1);
      return hits
        .filter((h) => h.id !== id)
        .slice(0, k)
        .map(toMatch);
    },
    async bestMatch(query, o = {}) {
      const [best] = await index.nearest(query, { ...o, k: 1 });
      return best ? { asset_id: best.asset_id, score: best.score, model: best.model } : undefined;
    },
    close: () => store.close(),
  };
  return index;
}
