import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createSqlStore } from './sql';
import type { AudioAnalysisStore } from './types';

/** Options for {@link createPgliteStore}. */
export interface PgliteStoreOptions {
  /** Data directory; omit for an in-memory database. */
  dataDir?: string;
}

/** `pglite /abs/dir`; an in-memory database is a new one each time, so its identity never repeats. */
export function pgliteIdentity(dataDir?: string): string {
  return dataDir ? `pglite ${resolve(dataDir)}` : `pglite in memory (${randomUUID()})`;
}

/**
 * Embedded default store: PGlite (Postgres compiled to WASM, in-process), running the same
 * migration as the server stores. Good for local use and the CLI without a database server.
 */
export function createPgliteStore(opts: PgliteStoreOptions = {}): AudioAnalysisStore {
  const db = new PGlite(opts.dataDir);
  return createSqlStore(
    {
      query: async (text, params) => ({ rows: (await db.query<Record<string, unknown>>(text, params)).rows }),
      exec: async (text) => {
        try {
          await db.exec(text);
        } catch (err) {
          await db.exec('rollback').catch(() => undefined);
          throw err;
        }
      },
      close: () => db.close(),
    },
    { identity: pgliteIdentity(opts.dataDir) },
  );
}
