// PGlite with pgvector for tests. Creating a PGlite runs initdb in WebAssembly (seconds, tens of
// seconds on a loaded machine), so the global setup initialises one database once and dumps it to
// .cache/ (keyed by the PGlite version); each test loads a fresh copy of that dump.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const here = dirname(fileURLToPath(import.meta.url));
// The package pins PGlite exactly (pglite-pgvector's peer), so its declared version names the dump.
const version = (
  JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')) as { dependencies: Record<string, string> }
).dependencies['@electric-sql/pglite'];
/** The dumped data directory of an initialised database with `create extension vector` run. */
export const PGLITE_TEMPLATE = resolve(here, '..', '.cache', `pglite-${version}-vector.tar`);

/** Write the template dump unless it exists (global setup). */
export async function ensurePgliteTemplate(): Promise<void> {
  if (existsSync(PGLITE_TEMPLATE)) return;
  const db = await PGlite.create('memory://', { extensions: { vector } });
  await db.exec('create extension if not exists vector');
  const dump = await db.dumpDataDir('none');
  await db.close();
  mkdirSync(dirname(PGLITE_TEMPLATE), { recursive: true });
  writeFileSync(`${PGLITE_TEMPLATE}.tmp`, Buffer.from(await dump.arrayBuffer()));
  const { renameSync } = await import('node:fs');
  renameSync(`${PGLITE_TEMPLATE}.tmp`, PGLITE_TEMPLATE);
}

/** A fresh in-memory PGlite with the `vector` extension created. Close it when done. */
export async function freshPglite(): Promise<PGlite> {
  await ensurePgliteTemplate();
  return PGlite.create('memory://', {
    extensions: { vector },
    loadDataDir: new Blob([readFileSync(PGLITE_TEMPLATE)]),
  });
}
