// Generates the tiny test models once (cached under .models/tiny, keyed by a stamp of the options),
// and the PGlite + pgvector template the index tests start from (cached under .cache/).
import { ensureModels, TINY_DIMS } from '../scripts/generate-models';
import { CLIP_FIXTURES, TINY_MODELS } from './models';
import { ensurePgliteTemplate } from './pglite';

export default async function setup(): Promise<void> {
  ensureModels({ outDir: TINY_MODELS, dims: TINY_DIMS, fixturesDir: CLIP_FIXTURES, hiddenOnly: true });
  await ensurePgliteTemplate();
}
