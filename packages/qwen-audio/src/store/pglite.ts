import { PGlite } from '@electric-sql/pglite';
import { createSqlStore } from './sql.js';
import type { AudioAnalysisStore } from './types.js';

/** Options for {@link createPgliteStore}. */
export interface PgliteStoreOptions {
  /** Data directory; omit for an in-memory database. */
  dataDir?: string;
}

/**
 * Embedded default store: PGlite (Postgres compiled to WASM, in-process), running the same
 * migration as the server stores. Good for local use and the CLI without a database server.
 */
export function createPgliteStore(opts: PgliteStoreOptions = {}): AudioAnalysisStore {
  const db = new PGlite(opts.dataDir);
  return createSqlStore({
    query: async (text, params) => ({ rows: (await db.query<Record<string, unknown>>(text, params)).rows }),
    exec: async (text) => {
      await db.exec(text);
    },
    close: () => db.close(),
  });
}
