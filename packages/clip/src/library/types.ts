// The shapes shared by the CLIP index and its stores. A store keeps vectors with the embedding
// space they belong to (model, dtype, preprocessing) and answers nearest-neighbour searches; the
// index (./clip-index) validates, embeds and refuses comparisons across models.

/** A JSON value (metadata is stored as JSON by every store). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Free-form metadata stored with a vector (a JSON object), e.g. `{ kind: 'primary', name: '…' }`. */
export type ClipMetadata = { [key: string]: JsonValue };

/** Equality filter on top-level metadata keys; a vector matches when every key is equal. */
export type ClipFilter = Readonly<Record<string, string | number | boolean>>;

/** Which model made a vector: only vectors of one model can be compared. */
export interface EmbeddingSpace {
  /** Model id, e.g. `Xenova/clip-vit-base-patch32`. Vectors of different models are never compared. */
  model: string;
  /** Weight precision the vector was computed at (`fp32`, `fp16`, `q8`). */
  dtype: string;
  /** Preprocessing mode and revision, e.g. `fast@1` (see `PREPROCESSING_REVISION`). */
  preprocessing: string;
}

/** A vector as a store holds it (unit length; `embedding.length` is the store's `dims`). */
export interface StoredVector {
  /** Partition of the index; searches never cross namespaces. */
  namespace: string;
  /** The asset's id, unique within its namespace (what `asset_id` reports). */
  id: string;
  /** The vector, L2-normalised. */
  embedding: Float32Array;
  /** The space it belongs to. */
  space: EmbeddingSpace;
  /** Hash of the content it was computed from, so unchanged content is not embedded again. */
  contentHash?: string;
  /** Metadata (JSON object). */
  metadata: ClipMetadata;
}

/** A stored entry without its vector (listings). */
export type StoredEntry = Omit<StoredVector, 'embedding'>;

/** One search result from a store; `score` is the cosine similarity, −1..1. */
export interface StoreHit extends StoredEntry {
  /** Cosine similarity to the query, −1..1 (higher is closer). */
  score: number;
}

/** Search parameters a store receives (validated by the index). */
export interface StoreSearch {
  /** Namespace searched. */
  namespace: string;
  /** Only vectors of this model. */
  model: string;
  /** Hits wanted. */
  k: number;
  /** Metadata equality filter. */
  filter?: ClipFilter;
}

/** Options of {@link ClipVectorStore.upsert}. */
export interface StoreUpsertOptions {
  /**
   * A bulk load (thousands of vectors at once, e.g. a first fill or a migration from another
   * store). The pgvector stores (PGlite, Postgres) then drop the HNSW index, write the rows and
   * build the index once at the end, even when a write fails: pgvector builds an index several
   * times faster than it inserts into one. Searches during the load scan the table. The other
   * stores write as they always do.
   */
  bulk?: boolean;
}

/**
 * Where vectors live: the one small interface every store implements (PGlite, Postgres, Supabase,
 * Qdrant, memory). The index keeps each namespace to one model, so `spaceOf` can answer from any
 * one vector.
 */
export interface ClipVectorStore {
  /** Which store this is. */
  readonly kind: 'pglite' | 'postgres' | 'supabase' | 'qdrant' | 'memory';
  /** Vector length the store holds (fixed by its table or collection). */
  readonly dims: number;
  /** Insert or replace vectors (by namespace and id). */
  upsert(rows: readonly StoredVector[], options?: StoreUpsertOptions): Promise<void>;
  /** Delete vectors by id; unknown ids are ignored. */
  remove(namespace: string, ids: readonly string[]): Promise<void>;
  /** The stored vectors of these ids (those that exist, any order). */
  get(namespace: string, ids: readonly string[]): Promise<StoredVector[]>;
  /** The `k` nearest vectors by cosine similarity, best first. */
  search(query: Float32Array, search: StoreSearch): Promise<StoreHit[]>;
  /** The space of the namespace's vectors (any one of them), or undefined when it is empty. */
  spaceOf(namespace: string): Promise<EmbeddingSpace | undefined>;
  /** Every entry of a namespace (in no particular order), paged underneath. */
  list(namespace: string): AsyncIterable<StoredEntry>;
  /** Release connections (and close an embedded database). */
  close(): Promise<void>;
}
