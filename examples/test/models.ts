// The generated tiny CLIP model the example tests run on: the real CLIP architecture, tensor
// contracts and tokenizer (from ../shared/fixtures), deterministic weights. Its scores mean
// nothing; tests compare them with the embedder's own cosines, never with expectations about
// what the images show.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModels, TINY_DIMS } from '../../packages/clip/scripts/generate-models';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The repository's shared fixtures (read in place). */
export const SHARED_FIXTURES = resolve(here, '../../../shared/fixtures');

/** Generates (once) and returns the directory of the tiny model in the Xenova split layout, fp32. */
export function tinyClipModel(): string {
  const root = resolve(here, '../.models/tiny');
  ensureModels({
    outDir: root,
    dims: TINY_DIMS,
    fixturesDir: join(SHARED_FIXTURES, 'clip-vit-b32'),
    layouts: ['xenova-split'],
    dtypes: ['fp32'],
  });
  return join(root, 'xenova-split');
}

/** Environment for a CLIP reranker on the tiny model. */
export const tinyClipEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  CLIP_MODEL_PATH: tinyClipModel(),
  CLIP_DEVICE: 'cpu',
  CLIP_DTYPE: 'fp32',
  ...extra,
});

/** Generates (once) the tiny model in the Xenova combined and Immich layouts, fp32; returns their root. */
export function tinyClipLayouts(): string {
  const root = resolve(here, '../.models/tiny-layouts');
  ensureModels({
    outDir: root,
    dims: TINY_DIMS,
    fixturesDir: join(SHARED_FIXTURES, 'clip-vit-b32'),
    layouts: ['xenova-combined', 'immich'],
    dtypes: ['fp32'],
  });
  return root;
}
