import pg from 'pg';
import { QwenAudioError } from '../errors';
import { createSqlStore } from './sql';
import type { AudioAnalysisStore } from './types';

/** Options for {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` (`DATABASE_URL`). */
  connectionString: string;
  /** Schema holding the table; default the connection's search_path (usually `public`). */
  schema?: string;
  /** Connection and statement timeout in ms; default 10000. */
  timeoutMs?: number;
  /** Most pooled connections; default 4. */
  maxConnections?: number;
  /** Where the connection string came from, named in errors (e.g. `DATABASE_URL`). */
  source?: string;
}

/**
 * Checks a PostgreSQL connection string: a `postgres://` or `postgresql://` URL with a host (or a
 * `host` parameter for a Unix socket). Returns it parsed; the message never repeats the value.
 */
export function parsePostgresUrl(raw: string): URL {
  const expected = 'must be a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/db';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(expected);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(expected);
  if (!url.hostname && !url.searchParams.get('host')) throw new Error(`${expected} (it names no host)`);
  return url;
}

/** `postgres://user@host:port/db`: the connection string without its password, for messages. */
export function describePostgresUrl(raw: string, schema?: string): string {
  try {
    const url = parsePostgresUrl(raw);
    url.password = '';
    url.search = '';
    return `${url.toString()}${schema ? ` (schema ${schema})` : ''}`;
  } catch {
    return 'postgres (invalid connection string)';
  }
}

/** `AudioAnalysisStore` on PostgreSQL through a `pg` pool (services that talk SQL directly). */
export function createPostgresStore(opts: PostgresStoreOptions): AudioAnalysisStore {
  try {
    parsePostgresUrl(opts.connectionString);
  } catch (e) {
    throw new QwenAudioError('invalid-input', `${opts.source ?? 'connectionString'} ${(e as Error).message}`);
  }
  const timeout = opts.timeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.maxConnections ?? 4,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return createSqlStore(
    {
      query: async (text, params) => ({ rows: (await pool.query(text, params)).rows }),
      exec: async (text) => {
        // One client, so that a failed multi-statement transaction is rolled back on the connection
        // it left aborted before the pool hands that connection out again.
        const client = await pool.connect();
        try {
          await client.query(text);
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    },
    {
      identity: describePostgresUrl(opts.connectionString, opts.schema),
      ...(opts.schema ? { schema: opts.schema } : {}),
    },
  );
}
