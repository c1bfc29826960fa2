// Qdrant (what PMOVES already runs) through @qdrant/js-client-rest, in a collection of its own with
// a named vector. Never `pmoves_chunks`: upstream hi-rag recreates that collection whenever its
// vector size differs, which would wipe it or us. An existing collection whose vector does not fit
// is refused, never recreated. The client is an optional peer dependency, loaded on first use.
import { createHash } from 'node:crypto';
import { ClipError } from '../../errors';
import { entryFromRow, optionalPeer, toRow } from '../row';
import { DEFAULT_DIMS, DEFAULT_EF_SEARCH, storeError } from '../sql';
import type { ClipFilter, ClipMetadata, ClipVectorStore, StoredEntry, StoreHit } from '../types';

/** Collection used when none is configured. */
export const DEFAULT_QDRANT_COLLECTION = 'pmoves_clip';
/** Collections this store refuses: hi-rag's text chunks (recreated by upstream on a size change). */
export const RESERVED_QDRANT_COLLECTIONS: readonly string[] = ['pmoves_chunks'];

/** Options of {@link createQdrantClipStore}. */
export interface QdrantClipStoreOptions {
  /** Qdrant REST URL (`QDRANT_URL`), e.g. `http://qdrant:6333`. */
  url: string;
  /** API key (`QDRANT_API_KEY`); never logged. */
  apiKey?: string;
  /** Collection (`CLIP_INDEX_QDRANT_COLLECTION`). Default `pmoves_clip`; `pmoves_chunks` is refused. */
  collection?: string;
  /** Name of the vector in the collection. Default `clip`. */
  vectorName?: string;
  /** Vector length. Default 512. */
  dims?: number;
  /** HNSW candidates per query (`hnsw_ef`). Default 100. */
  efSearch?: number;
  /** Per-request timeout, ms. Default 30000. */
  timeoutMs?: number;
}

/** Qdrant ids are integers or UUIDs: a name-based UUID of (namespace, id), stable across runs. */
export function qdrantPointId(namespace: string, id: string): string {
  const h = createHash('sha256').update(namespace).update('\u0000').update(id).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version 5 (name-based)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface Payload {
  namespace: string;
  asset_id: string;
  model: string;
  dtype: string;
  preprocessing: string;
  content_hash?: string | null;
  metadata?: ClipMetadata;
}

type Condition = { key: string; match: { value: string | number | boolean } };

function filterOf(namespace: string, extra: ClipFilter = {}, model?: string): { must: Condition[] } {
  const must: Condition[] = [{ key: 'namespace', match: { value: namespace } }];
  if (model !== undefined) must.push({ key: 'model', match: { value: model } });
  for (const [k, v] of Object.entries(extra)) must.push({ key: `metadata.${k}`, match: { value: v } });
  return { must };
}

const toEntry = (p: Payload): StoredEntry =>
  entryFromRow(p.namespace, p as unknown as Record<string, unknown>);

/**
 * Qdrant store. On open, creates the collection (named vector, cosine) with keyword payload indexes
 * on `namespace`, `model` and `asset_id` when it is missing; checks its vector when it exists.
 *
 * @throws ClipError `invalid-input` (a reserved collection), `store` (unreachable, or the existing
 *   collection's vector has another size or distance), `not-found` (client not installed)
 */
export async function createQdrantClipStore(options: QdrantClipStoreOptions): Promise<ClipVectorStore> {
  const collection = options.collection ?? DEFAULT_QDRANT_COLLECTION;
  const vectorName = options.vectorName ?? 'clip';
  const dims = options.dims ?? DEFAULT_DIMS;
  const efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
  if (RESERVED_QDRANT_COLLECTIONS.includes(collection)) {
    throw new ClipError(
      'invalid-input',
      `Qdrant collection ${collection} is hi-rag's text chunks (upstream recreates it on a vector-size change); give the CLIP index its own (default ${DEFAULT_QDRANT_COLLECTION})`,
    );
  }
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(collection) || !/^[A-Za-z0-9_-]{1,64}$/.test(vectorName)) {
    throw new ClipError(
      'invalid-input',
      'Qdrant collection and vector names may hold letters, digits, _ and -',
    );
  }
  if (!Number.isSafeInteger(dims) || dims < 1 || dims > 65_536) {
    throw new ClipError('invalid-input', `index dims must be a positive integer, got ${dims}`);
  }
  if (!/^https?:\/\//.test(options.url ?? '')) {
    throw new ClipError('invalid-input', 'Qdrant index store needs an http(s) URL (QDRANT_URL)');
  }
  const { QdrantClient } = await optionalPeer(
    () => import('@qdrant/js-client-rest'),
    '@qdrant/js-client-rest',
    'Qdrant',
  );
  const client = new QdrantClient({
    url: options.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    timeout: options.timeoutMs ?? 30_000,
    // The version check only prints a warning to the console; a library keeps quiet.
    checkCompatibility: false,
  });
  const run = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      const data = (err as { data?: { status?: { error?: string } } }).data;
      const detail = data?.status?.error ? new Error(data.status.error) : err;
      throw storeError('qdrant', `${what} on collection ${collection}`, detail);
    }
  };

  const { exists } = await run('exists check', () => client.collectionExists(collection));
  if (!exists) {
    await run('create', () =>
      client.createCollection(collection, { vectors: { [vectorName]: { size: dims, distance: 'Cosine' } } }),
    );
    for (const field of ['namespace', 'model', 'asset_id']) {
      await run('payload index', () =>
        client.createPayloadIndex(collection, { field_name: field, field_schema: 'keyword', wait: true }),
      );
    }
  } else {
    const info = await run('describe', () => client.getCollection(collection));
    const vectors = info.config?.params?.vectors as
      Record<string, { size?: number; distance?: string }> | undefined;
    const v = vectors?.[vectorName];
    if (!v || v.size !== dims || v.distance !== 'Cosine') {
      const have = v ? `${v.size}-dimension ${v.distance}` : 'no such';
      throw new ClipError(
        'store',
        `Qdrant collection ${collection} has ${have} vector "${vectorName}", not ${dims}-dimension Cosine; it is left as it is (choose another CLIP_INDEX_QDRANT_COLLECTION)`,
      );
    }
  }

  const payloadOf = (p: unknown): Payload => p as Payload;

  return {
    kind: 'qdrant',
    dims,
    async upsert(rows) {
      for (let at = 0; at < rows.length; at += 256) {
        const points = rows.slice(at, at + 256).map((r) => ({
          id: qdrantPointId(r.namespace, r.id),
          vector: { [vectorName]: Array.from(r.embedding) },
          payload: { ...toRow(r) },
        }));
        await run('upsert', () => client.upsert(collection, { wait: true, points }));
      }
    },
    async remove(namespace, ids) {
      if (ids.length === 0) return;
      await run('delete', () =>
        client.delete(collection, { wait: true, points: ids.map((id) => qdrantPointId(namespace, id)) }),
      );
    },
    async get(namespace, ids) {
      if (ids.length === 0) return [];
      const points = await run('retrieve', () =>
        client.retrieve(collection, {
          ids: ids.map((id) => qdrantPointId(namespace, id)),
          with_payload: true,
          with_vector: [vectorName],
        }),
      );
      return points.map((p) => {
        const vec = (p.vector as Record<string, number[]> | undefined)?.[vectorName];
        if (!Array.isArray(vec) || vec.length !== dims) {
          throw new ClipError(
            'store',
            `qdrant index store: point ${String(p.id)} has no ${dims}-number "${vectorName}" vector`,
          );
        }
        return { ...toEntry(payloadOf(p.payload)), embedding: Float32Array.from(vec) };
      });
    },
    async search(query, s): Promise<StoreHit[]> {
      const res = await run('query', () =>
        client.query(collection, {
          query: Array.from(query),
          using: vectorName,
          limit: s.k,
          filter: filterOf(s.namespace, s.filter, s.model),
          with_payload: true,
          params: { hnsw_ef: Math.max(efSearch, s.k) },
        }),
      );
      return res.points.map((p) => ({ ...toEntry(payloadOf(p.payload)), score: p.score }));
    },
    async spaceOf(namespace) {
      const res = await run('scroll', () =>
        client.scroll(collection, {
          filter: filterOf(namespace),
          limit: 1,
          with_payload: true,
          with_vector: false,
        }),
      );
      const p = res.points[0];
      return p ? toEntry(payloadOf(p.payload)).space : undefined;
    },
    async *list(namespace) {
      let offset: string | number | undefined;
      do {
        const res = await run('scroll', () =>
          client.scroll(collection, {
            filter: filterOf(namespace),
            limit: 512,
            with_payload: true,
            with_vector: false,
            ...(offset !== undefined ? { offset } : {}),
          }),
        );
        for (const p of res.points) yield toEntry(payloadOf(p.payload));
        const next = res.next_page_offset;
        offset = typeof next === 'string' || typeof next === 'number' ? next : undefined;
      } while (offset !== undefined);
    },
    async close() {
      // The REST client holds no connection that must be closed.
    },
  };
}
