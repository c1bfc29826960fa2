// Postgres (or Supabase's database, directly) with pgvector, through node-postgres. `pg` is an
// optional peer dependency, loaded on first use.
import { ClipError } from '../../errors';
import { optionalPeer } from '../row';
import { createSqlStore, type SqlClient, type SqlStoreOptions } from '../sql';
import type { ClipVectorStore } from '../types';

/** A node-postgres `Pool` or `Client`, or anything with the same `query` (what the store needs). */
export interface PgQueryable {
  /** Run one statement with positional parameters; node-postgres's `Pool#query` / `Client#query`. */
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Options of {@link createPostgresClipStore}: a connection string, or a pool you own. */
export interface PostgresClipStoreOptions extends SqlStoreOptions {
  /** `postgres://…` (`CLIP_INDEX_DATABASE_URL`, else `DATABASE_URL`); never logged. */
  connectionString?: string;
  /** A pool (or client) to use instead; the store does not end it on close. */
  pool?: PgQueryable;
  /** Per-query timeout, ms, for a pool the store creates. Default 30000. */
  timeoutMs?: number;
  /** Timeout of the index build that ends a bulk upsert, ms, for a pool the store creates. Default 3600000. */
  buildTimeoutMs?: number;
  /** Connections of a pool the store creates. Default 4. */
  maxConnections?: number;
}

/**
 * Postgres + pgvector store. By default the migration runs on open (it needs the right to create
 * the `vector` extension, the table and the function; pass `migrate: false` when an administrator
 * applied `migrations/001_clip_embeddings.sql`).
 *
 * @throws ClipError `store` (cannot connect, migration failed, table missing), `invalid-input`
 */
export async function createPostgresClipStore(options: PostgresClipStoreOptions): Promise<ClipVectorStore> {
  const {
    connectionString,
    pool,
    timeoutMs = 30_000,
    buildTimeoutMs = 3_600_000,
    maxConnections = 4,
    ...sql
  } = options ?? {};
  let client: SqlClient;
  if (pool) {
    if (typeof pool.query !== 'function')
      throw new ClipError('invalid-input', 'Postgres index option "pool" has no query()');
    client = { query: (t, p) => pool.query(t, p), close: async () => undefined };
  } else {
    if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
      throw new ClipError(
        'invalid-input',
        'Postgres index store needs a postgres:// connection string or a pool',
      );
    }
    const { default: pg } = await optionalPeer(() => import('pg'), 'pg', 'Postgres');
    const own = new pg.Pool({
      connectionString,
      max: maxConnections,
      query_timeout: timeoutMs,
      connectionTimeoutMillis: timeoutMs,
    });
    own.on('error', () => undefined); // an idle client's error surfaces on the next query instead
    client = {
      query: (t, p) => own.query(t, p),
      // node-postgres reads a per-query `query_timeout` (client.js); its types do not declare it.
      exec: (text, long) =>
        own.query({ text, query_timeout: long ? buildTimeoutMs : timeoutMs } as { text: string }),
      close: () => own.end(),
    };
  }
  try {
    return await createSqlStore('postgres', client, sql);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
