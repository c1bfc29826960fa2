// The embedded default store: PGlite (PostgreSQL compiled to WebAssembly, in this process) with the
// real pgvector extension, file-backed or in memory. PGlite and pgvector load on first use only.
import type { PGlite } from '@electric-sql/pglite';
import { ClipError } from '../../errors';
import { createSqlStore, type SqlClient, type SqlStoreOptions } from '../sql';
import type { ClipVectorStore } from '../types';

/** Options of {@link createPgliteClipStore}. */
export interface PgliteClipStoreOptions extends Omit<SqlStoreOptions, 'migrate'> {
  /** Data directory (`CLIP_INDEX_PATH`); omitted: in memory, gone when closed. One process at a time. */
  path?: string;
  /**
   * An open PGlite to use instead of opening one (it must load `@electric-sql/pglite-pgvector`'s
   * `vector` extension); the store does not close it. Typed by what the store calls, so that this
   * package's declarations never name PGlite's (whose own need `@types/emscripten`).
   */
  db?: {
    /** Runs one statement with parameters. */
    query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
    /** Runs several statements (the migration). */
    exec(text: string): Promise<unknown>;
    /** Closes the database (never called on a database given here). */
    close(): Promise<void>;
  };
}

/**
 * PGlite + pgvector store: the migration runs on open (table, HNSW cosine index, match function).
 *
 * @throws ClipError `store` (PGlite could not open the directory or run the migration)
 */
export async function createPgliteClipStore(options: PgliteClipStoreOptions = {}): Promise<ClipVectorStore> {
  const { path, db: given, ...sql } = options;
  if (path !== undefined && (typeof path !== 'string' || path.length === 0)) {
    throw new ClipError('invalid-input', 'PGlite index option "path" must be a directory path');
  }
  if (given) return createSqlStore('pglite', pgliteClient(given, false), { ...sql, migrate: true });
  let db: PGlite;
  try {
    const [{ PGlite: Pg }, { vector }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-pgvector'),
    ]);
    db = await Pg.create(path ?? 'memory://', { extensions: { vector } });
  } catch (err) {
    throw new ClipError(
      'store',
      `PGlite index store: cannot open ${path ?? 'an in-memory database'}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    return await createSqlStore('pglite', pgliteClient(db, true), { ...sql, migrate: true });
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

function pgliteClient(db: NonNullable<PgliteClipStoreOptions['db']>, owned: boolean): SqlClient {
  return {
    query: async (text, params) => ({ rows: (await db.query<Record<string, unknown>>(text, params)).rows }),
    exec: (text) => db.exec(text),
    close: async () => {
      if (owned) await db.close();
    },
  };
}
