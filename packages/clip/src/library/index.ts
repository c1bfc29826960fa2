/**
 * `@pmoves/clip/library` — a CLIP similarity index of a media library: vectors stored with their
 * model, dtype and preprocessing in PGlite + pgvector (embedded default, file-backed or in memory),
 * Postgres or Supabase with pgvector (a shipped migration), or Qdrant (its own collection); nearest,
 * similar and best-match queries by embedding, text or image, never across models; and the
 * Jellyfin indexer behind `pmoves-clip index`.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode } from '../errors';
export {
  createClipIndex,
  DEFAULT_NAMESPACE,
  type ClipBestMatch,
  type ClipIndex,
  type ClipIndexEntry,
  type ClipIndexItem,
  type ClipIndexOptions,
  type ClipMatch,
  type ClipQuery,
  type NearestOptions,
  type UpsertReport,
} from './clip-index';
export {
  CLIP_INDEX_ENV_VARS,
  clipIndexOptionsFromEnv,
  createClipIndexFromEnv,
  createClipStore,
  type ClipIndexEnvOptions,
  type ClipStoreConfig,
  type ClipStoreKind,
} from './env';
export { embeddingSpaceOf, modelId, PREPROCESSING_REVISION } from './space';
export {
  clipIndexMigrationSql,
  DEFAULT_DIMS,
  DEFAULT_EF_SEARCH,
  DEFAULT_TABLE,
  type SqlLayout,
  type SqlStoreOptions,
} from './sql';
export { createMemoryClipStore, type MemoryClipStoreOptions } from './stores/memory';
export { createPgliteClipStore, type PgliteClipStoreOptions } from './stores/pglite';
export { createPostgresClipStore, type PgQueryable, type PostgresClipStoreOptions } from './stores/postgres';
export {
  createQdrantClipStore,
  DEFAULT_QDRANT_COLLECTION,
  qdrantPointId,
  RESERVED_QDRANT_COLLECTIONS,
  type QdrantClipStoreOptions,
} from './stores/qdrant';
export { createSupabaseClipStore, type SupabaseClipStoreOptions } from './stores/supabase';
export type {
  ClipFilter,
  ClipMetadata,
  ClipVectorStore,
  EmbeddingSpace,
  JsonValue,
  StoredEntry,
  StoredVector,
  StoreHit,
  StoreSearch,
  StoreUpsertOptions,
} from './types';
export {
  DEFAULT_JELLYFIN_TYPES,
  indexJellyfinLibrary,
  JELLYFIN_VIDEO_TYPES,
  type IndexJellyfinOptions,
  type IndexProgress,
  type IndexReport,
} from '../indexer/jellyfin-indexer';
