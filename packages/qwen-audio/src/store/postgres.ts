import pg from 'pg';
import { createSqlStore } from './sql.js';
import type { AudioAnalysisStore } from './types.js';

/** Options for {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`. */
  connectionString: string;
  /** Schema holding the table; default the connection's search_path (usually `public`). */
  schema?: string;
  /** Connection and statement timeout in ms; default 10000. */
  timeoutMs?: number;
  /** Most pooled connections; default 4. */
  maxConnections?: number;
}

/** `AudioAnalysisStore` on PostgreSQL through a `pg` pool (services that talk SQL directly). */
export function createPostgresStore(opts: PostgresStoreOptions): AudioAnalysisStore {
  const timeout = opts.timeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.maxConnections ?? 4,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout,
  });
  return createSqlStore(
    {
      query: async (text, params) => ({ rows: (await pool.query(text, params)).rows }),
      exec: async (text) => {
        await pool.query(text);
      },
      close: () => pool.end(),
    },
    opts.schema,
  );
}
