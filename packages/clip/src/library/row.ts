// One row layout for every store: the SQL table's columns, PostgREST's JSON rows and Qdrant's
// payload all carry the same names (namespace, asset_id, model, dtype, preprocessing,
// content_hash, metadata), so a vector is written and read back the same way everywhere.
import { ClipError } from '../errors';
import type { ClipMetadata, EmbeddingSpace, StoredEntry, StoredVector } from './types';

/** The columns of a row, without the vector (whose form each store chooses). */
export interface RowColumns {
  namespace: string;
  asset_id: string;
  model: string;
  dtype: string;
  preprocessing: string;
  content_hash: string | null;
  metadata: ClipMetadata;
}

/** A stored vector's columns. */
export function toRow(v: StoredVector): RowColumns {
  return {
    namespace: v.namespace,
    asset_id: v.id,
    model: v.space.model,
    dtype: v.space.dtype,
    preprocessing: v.space.preprocessing,
    content_hash: v.contentHash ?? null,
    metadata: v.metadata,
  };
}

/** The space of a row (or payload). */
export function spaceOfRow(r: Record<string, unknown>): EmbeddingSpace {
  return { model: String(r.model), dtype: String(r.dtype), preprocessing: String(r.preprocessing) };
}

/** A row read back (metadata as JSON text or already parsed). */
export function entryFromRow(namespace: string, r: Record<string, unknown>): StoredEntry {
  return {
    namespace,
    id: String(r.asset_id),
    space: spaceOfRow(r),
    ...(r.content_hash != null ? { contentHash: String(r.content_hash) } : {}),
    metadata: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : (r.metadata ?? {})) as ClipMetadata,
  };
}

/** Import an optional peer dependency, or say which package to install. */
export async function optionalPeer<T>(load: () => Promise<T>, pkg: string, store: string): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    throw new ClipError('not-found', `the ${store} index store needs "${pkg}": npm install ${pkg}`, {
      cause,
    });
  }
}
