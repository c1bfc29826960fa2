// Where a worker thread's script is. Built: `<name>.js` / `<name>.cjs` next to the bundle (each
// worker is its own tsup entry). From the TypeScript sources (tests, benchmarks, tsx): the `.ts`
// file, loaded through tsx's loader registered inside the worker.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ClipError } from '../errors';

/** The workers this package starts, by entry name, with their source path under `src/`. */
const SOURCES = {
  'preprocess-worker': 'embedder/preprocess-worker.ts',
  'inference-worker': 'model/inference-worker.ts',
} as const;

/** What `new Worker(source, { eval })` needs for one of the package's workers. */
export function workerEntry(name: keyof typeof SOURCES): { source: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (/\.[cm]?ts$/.test(here)) {
    const tsx = pathToFileURL(
      createRequire(here)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
    const entry = new URL(`../${SOURCES[name]}`, here).href;
    const code = `(async () => { (await import(${JSON.stringify(tsx)})).register(); await import(${JSON.stringify(entry)}); })()`;
    return { source: code, eval: true };
  }
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  const url = new URL(`./${name}${ext}`, here);
  if (!existsSync(fileURLToPath(url))) {
    throw new ClipError('unsupported', `worker script not found at ${fileURLToPath(url)}`);
  }
  return { source: url, eval: false };
}
