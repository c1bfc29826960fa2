// The demo's visual library: the sample index's thumbnails embedded into a CLIP similarity index
// (@pmoves/clip/library's ClipIndex over its embedded PGlite + pgvector store, a throwaway database
// in the demo's temporary directory). The publisher's own CLIP hook (its `library` option) answers
// `meta.clip_best_match` and `meta.clip_similarity` from it.
import type { ClipEmbedder } from '@pmoves/clip';
import { createClipIndex, createPgliteClipStore, type ClipIndex } from '@pmoves/clip/library';
import { readFile } from 'node:fs/promises';

/** Namespace the demo's library lives in. */
export const LIBRARY_NAMESPACE = 'pmoves-demo-library';

/** One library asset: its id, an image file, and what the demo prints for it. */
export interface LibraryAsset {
  id: string;
  file: string;
  title: string;
}

/**
 * Opens a PGlite + pgvector index for the embedder's model — in memory, or in `path` (the demo
 * passes a copy of an initialised database so that it does not run initdb twice) — and embeds
 * `assets` into it. A refused asset is an error: the demo's library is its own, every image must
 * embed.
 */
export async function buildLibraryIndex(
  embedder: ClipEmbedder,
  assets: readonly LibraryAsset[],
  path?: string,
): Promise<ClipIndex> {
  const dims = embedder.info().dims;
  const store = await createPgliteClipStore({ dims, ...(path ? { path } : {}) });
  const index = await createClipIndex({ store, embedder, namespace: LIBRARY_NAMESPACE });
  try {
    const items = await Promise.all(
      assets.map(async (a) => ({
        id: a.id,
        image: await readFile(a.file),
        metadata: { title: a.title, kind: 'thumbnail' },
      })),
    );
    const report = await index.upsert(items);
    if (report.failed.length > 0)
      throw new Error(
        `library: ${report.failed.length} asset(s) not indexed: ${report.failed.map((f) => `${f.id}: ${f.error.message}`).join('; ')}`,
      );
    return index;
  } catch (err) {
    await index.close();
    throw err;
  }
}
