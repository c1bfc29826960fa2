// The SQL behind the pgvector stores: the migration (table, HNSW cosine index, match function) and
// the statements of the store, shared by PGlite (in process) and node-postgres. Searches go through
// the same `match_…` function supabase-js calls with `rpc`, so all three run the same query.
import { ClipError } from '../errors';
import { entryFromRow, spaceOfRow, toRow } from './row';
import type { ClipVectorStore, EmbeddingSpace, StoredVector, StoreHit, StoreSearch } from './types';

/** Table name used when none is configured. */
export const DEFAULT_TABLE = 'clip_embeddings';
/** Vector length of the shipped migration (ViT-B/32 and ViT-B/16 embed in 512 dimensions). */
export const DEFAULT_DIMS = 512;
/** HNSW candidate list searched per query (pgvector's `hnsw.ef_search`; its default is 40). */
export const DEFAULT_EF_SEARCH = 100;

/** Where the SQL lives: table name and vector length. */
export interface SqlLayout {
  /** Table name (a plain identifier: lowercase letters, digits, `_`). Default `clip_embeddings`. */
  table?: string;
  /** Vector length of the `embedding` column (1–2000, pgvector's HNSW limit). Default 512. */
  dims?: number;
}

/** The table name and function name of a layout, validated. */
export function sqlNames(layout: SqlLayout = {}): { table: string; fn: string; dims: number } {
  const table = layout.table ?? DEFAULT_TABLE;
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(table)) {
    throw new ClipError(
      'invalid-input',
      `index table name ${JSON.stringify(table)} must match [a-z_][a-z0-9_]*`,
    );
  }
  const dims = layout.dims ?? DEFAULT_DIMS;
  if (!Number.isSafeInteger(dims) || dims < 1 || dims > 2000) {
    throw new ClipError(
      'invalid-input',
      `index dims must be an integer from 1 to 2000 (pgvector HNSW), got ${dims}`,
    );
  }
  return { table, fn: `match_${table}`, dims };
}

/** Name of a table's HNSW index. */
const hnswName = (table: string) => `${table}_embedding_hnsw`;

/** The HNSW cosine index, as the migration creates it and a bulk load builds it again. */
function hnswIndexSql(table: string): string {
  return `create index if not exists ${hnswName(table)} on ${table}
  using hnsw (embedding vector_cosine_ops);`;
}

/**
 * The migration: `vector` extension, the table (one row per namespace and asset, with model, dtype
 * and preprocessing), an HNSW cosine index, a (namespace, model) index, and the `match_…` function
 * that supabase-js calls through `rpc`. Idempotent. `migrations/001_clip_embeddings.sql` in the
 * package is this text for the defaults.
 */
export function clipIndexMigrationSql(layout: SqlLayout = {}): string {
  const { table, fn, dims } = sqlNames(layout);
  return `-- CLIP embeddings of library assets (@pmoves/clip): one row per (namespace, asset_id).
-- Vectors are L2-normalised; model, dtype and preprocessing say which embedding space a row is in,
-- and @pmoves/clip never compares rows of different models. Idempotent.
create extension if not exists vector;

create table if not exists ${table} (
  namespace text not null,
  asset_id text not null,
  model text not null,
  dtype text not null,
  preprocessing text not null,
  content_hash text,
  metadata jsonb not null default '{}'::jsonb,
  embedding vector(${dims}) not null,
  updated_at timestamptz not null default now(),
  primary key (namespace, asset_id)
);

${hnswIndexSql(table)}
create index if not exists ${table}_namespace_model on ${table} (namespace, model);

-- Nearest rows by cosine similarity (score = 1 - cosine distance, -1..1), for supabase-js:
--   supabase.rpc('${fn}', { query_embedding, match_count, match_namespace, match_model, match_filter })
-- Iterative index scans keep filtered searches from coming back short.
create or replace function ${fn}(
  query_embedding vector(${dims}),
  match_count integer default 10,
  match_namespace text default 'default',
  match_model text default null,
  match_filter jsonb default '{}'::jsonb,
  ef_search integer default ${DEFAULT_EF_SEARCH}
) returns table (
  asset_id text,
  score double precision,
  model text,
  dtype text,
  preprocessing text,
  content_hash text,
  metadata jsonb
)
language plpgsql stable
-- Plan the search with the actual vector and count: a cached generic plan sorts the whole table.
set plan_cache_mode = force_custom_plan
as $$
begin
  perform set_config('hnsw.ef_search', least(greatest(ef_search, match_count), 1000)::text, true);
  perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
  return query
    select r.asset_id, r.score, r.model, r.dtype, r.preprocessing, r.content_hash, r.metadata
    from (
      select e.asset_id, 1 - (e.embedding <=> query_embedding) as score, e.model, e.dtype,
             e.preprocessing, e.content_hash, e.metadata, e.embedding <=> query_embedding as distance
      from ${table} e
      where e.namespace = match_namespace
        and (match_model is null or e.model = match_model)
        and e.metadata @> coalesce(match_filter, '{}'::jsonb)
      order by e.embedding <=> query_embedding
      limit match_count
    ) r
    order by r.distance;
end;
$$;
`;
}

/** pgvector's text form of a vector; 9 significant digits round-trip a float32 exactly. */
export function vectorText(v: ArrayLike<number>): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + Number(v[i]).toPrecision(9);
  return s + ']';
}

/** Parse pgvector's text form (`[1,2,3]`) or a JSON array. */
export function parseVector(value: unknown, dims: number, where: string): Float32Array {
  const arr =
    typeof value === 'string' ? (JSON.parse(value) as unknown) : Array.isArray(value) ? value : undefined;
  if (!Array.isArray(arr) || arr.length !== dims || arr.some((x) => typeof x !== 'number')) {
    throw new ClipError('store', `${where}: a stored vector is not ${dims} numbers`);
  }
  return Float32Array.from(arr as number[]);
}

/** A SQL connection: node-postgres and PGlite both answer `{ rows }`. */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /**
   * Run several statements (the migration, an index build) on one connection; defaults to `query`
   * without parameters. `long` marks a statement that may run for minutes (an index build).
   */
  exec?(text: string, long?: boolean): Promise<unknown>;
  close(): Promise<void>;
}

/** Options of the pgvector stores (PGlite and Postgres). */
export interface SqlStoreOptions extends SqlLayout {
  /** HNSW candidates per query. Default 100. */
  efSearch?: number;
  /** Run the migration first (needs the right to create the extension, table and function). Default true. */
  migrate?: boolean;
  /**
   * Refresh the planner's statistics (ANALYZE) after writes change a fifth of the table. PGlite runs
   * no autovacuum: with stale statistics the planner sorts the whole namespace instead of using the
   * HNSW index. Default: on for PGlite, off for Postgres (autovacuum does it).
   */
  analyze?: boolean;
}

const UPSERT_BATCH = 500;

/**
 * `maintenance_work_mem` for an index build, MB: enough for the graph of `rows` vectors
 * (pgvector's build slows several-fold once the graph no longer fits), at least the default 64 MB,
 * at most 1 GB. Per element: the vector plus about 1 KB of neighbour lists (m = 16).
 */
export function buildMemoryMB(rows: number, dims: number): number {
  return Math.min(1024, Math.max(64, Math.ceil((rows * (dims * 4 + 1024) * 1.25) / 2 ** 20)));
}

/** Wrap a driver error as a `store` ClipError saying what failed. */
export function storeError(kind: string, what: string, err: unknown): ClipError {
  if (err instanceof ClipError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClipError('store', `${kind} index store: ${what} failed: ${message}`, { cause: err });
}

/**
 * A {@link ClipVectorStore} over SQL (PGlite or node-postgres). Runs the migration unless told not
 * to, and checks that the table's vector length is the configured one.
 */
export async function createSqlStore(
  kind: 'pglite' | 'postgres',
  client: SqlClient,
  options: SqlStoreOptions = {},
): Promise<ClipVectorStore> {
  const { table, fn, dims } = sqlNames(options);
  const efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
  if (!Number.isSafeInteger(efSearch) || efSearch < 1 || efSearch > 1000) {
    throw new ClipError('invalid-input', `index efSearch must be an integer from 1 to 1000, got ${efSearch}`);
  }
  const run = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw storeError(kind, what, err);
    }
  };
  if (options.migrate ?? true) {
    const sql = clipIndexMigrationSql({ table, dims });
    await run('migration', () => (client.exec ? client.exec(sql) : client.query(sql)));
  }
  const found = await run('table check', () =>
    client.query(
      `select atttypmod as dims from pg_attribute where attrelid = to_regclass($1) and attname = 'embedding'`,
      [table],
    ),
  );
  const have = found.rows[0]?.dims;
  if (have === undefined) {
    throw new ClipError(
      'store',
      `${kind} index store: table ${table} does not exist; apply migrations/001_clip_embeddings.sql (or clipIndexMigrationSql())`,
    );
  }
  if (Number(have) !== dims) {
    throw new ClipError(
      'invalid-input',
      `${kind} index store: table ${table} holds ${have}-dimension vectors, but the index is configured for ${dims} (CLIP_INDEX_DIMS)`,
    );
  }

  // Statistics: refreshed when never taken, then once writes have touched a fifth of the table.
  const analyze = options.analyze ?? kind === 'pglite';
  let changed = 0;
  let analyzedRows = 0;
  const refreshStats = async (force = false) => {
    if (!analyze || (!force && changed < Math.max(1000, analyzedRows / 5))) return;
    await run('analyze', () => client.query(`analyze ${table}`));
    const { rows } = await run('analyze', () =>
      client.query(`select reltuples::float8 as n from pg_class where oid = to_regclass($1)`, [table]),
    );
    analyzedRows = Math.max(0, Number(rows[0]?.n ?? 0));
    changed = 0;
  };
  if (analyze) {
    const { rows } = await run('statistics check', () =>
      client.query(`select reltuples::float8 as n from pg_class where oid = to_regclass($1)`, [table]),
    );
    const n = Number(rows[0]?.n ?? -1);
    if (n < 0) await refreshStats(true);
    else analyzedRows = n;
  }

  const exec = (text: string, long = false) => (client.exec ? client.exec(text, long) : client.query(text));
  const write = async (rows: readonly StoredVector[]) => {
    for (let at = 0; at < rows.length; at += UPSERT_BATCH) {
      const json = JSON.stringify(
        rows.slice(at, at + UPSERT_BATCH).map((r) => ({ ...toRow(r), embedding: vectorText(r.embedding) })),
      );
      await run('upsert', () =>
        client.query(
          `insert into ${table} (namespace, asset_id, model, dtype, preprocessing, content_hash, metadata, embedding, updated_at)
             select r.namespace, r.asset_id, r.model, r.dtype, r.preprocessing, r.content_hash,
                    coalesce(r.metadata, '{}'::jsonb), r.embedding::vector, now()
             from jsonb_to_recordset($1::jsonb) as r(namespace text, asset_id text, model text, dtype text,
                  preprocessing text, content_hash text, metadata jsonb, embedding text)
             on conflict (namespace, asset_id) do update set
               model = excluded.model, dtype = excluded.dtype, preprocessing = excluded.preprocessing,
               content_hash = excluded.content_hash, metadata = excluded.metadata,
               embedding = excluded.embedding, updated_at = now()`,
          [json],
        ),
      );
    }
  };

  return {
    kind,
    dims,
    async upsert(rows, o = {}) {
      if (!o.bulk) {
        await write(rows);
        changed += rows.length;
        await refreshStats();
        return;
      }
      await run('bulk load (dropping the HNSW index)', () => exec(`drop index if exists ${hnswName(table)}`));
      let failure: unknown;
      try {
        await write(rows);
      } catch (err) {
        failure = err;
      }
      // The index comes back whatever happened to the rows.
      const { rows: count } = await run('bulk load (counting rows)', () =>
        client.query(`select count(*)::float8 as n from ${table}`),
      );
      const mb = buildMemoryMB(Number(count[0]?.n ?? 0), dims);
      await run('bulk load (building the HNSW index)', () =>
        exec(
          // One query string is one implicit transaction: the setting ends with it, also on failure.
          `set local maintenance_work_mem = '${mb}MB';\n${hnswIndexSql(table)}`,
          true,
        ),
      );
      if (failure) throw failure;
      changed += rows.length;
      await refreshStats(true);
    },
    async remove(namespace, ids) {
      if (ids.length === 0) return;
      await run('remove', () =>
        client.query(
          `delete from ${table} where namespace = $1 and asset_id in (select jsonb_array_elements_text($2::jsonb))`,
          [namespace, JSON.stringify(ids)],
        ),
      );
      changed += ids.length;
      await refreshStats();
    },
    async get(namespace, ids) {
      if (ids.length === 0) return [];
      const { rows } = await run('get', () =>
        client.query(
          `select asset_id, model, dtype, preprocessing, content_hash, metadata, embedding::text as embedding
           from ${table} where namespace = $1 and asset_id in (select jsonb_array_elements_text($2::jsonb))`,
          [namespace, JSON.stringify(ids)],
        ),
      );
      return rows.map((r) => ({
        ...entryFromRow(namespace, r),
        embedding: parseVector(r.embedding, dims, kind),
      }));
    },
    async search(query: Float32Array, s: StoreSearch): Promise<StoreHit[]> {
      const { rows } = await run('search', () =>
        client.query(
          `select * from ${fn}($1::vector, $2::integer, $3::text, $4::text, $5::jsonb, $6::integer)`,
          [vectorText(query), s.k, s.namespace, s.model, JSON.stringify(s.filter ?? {}), efSearch],
        ),
      );
      return rows.map((r) => ({ ...entryFromRow(s.namespace, r), score: Number(r.score) }));
    },
    async spaceOf(namespace): Promise<EmbeddingSpace | undefined> {
      const { rows } = await run('space lookup', () =>
        client.query(`select model, dtype, preprocessing from ${table} where namespace = $1 limit 1`, [
          namespace,
        ]),
      );
      const r = rows[0];
      return r ? spaceOfRow(r) : undefined;
    },
    async *list(namespace) {
      let after = '';
      for (;;) {
        const { rows } = await run('list', () =>
          client.query(
            `select asset_id, model, dtype, preprocessing, content_hash, metadata from ${table}
             where namespace = $1 and asset_id > $2 order by asset_id limit 1000`,
            [namespace, after],
          ),
        );
        for (const r of rows) yield entryFromRow(namespace, r);
        if (rows.length < 1000) return;
        after = String(rows[rows.length - 1]!.asset_id);
      }
    },
    close: () => client.close(),
  };
}
