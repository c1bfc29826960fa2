// Generates the tiny CLIP test model once (deterministic test weights from @pmoves/clip's
// generator, cached under .models/, gitignored) for the CLIP provider's real-embedder tests.
import { ensureModels, TINY_DIMS } from '../../clip/scripts/generate-models';
import { TINY_MODEL_ROOT, CLIP_FIXTURES } from './helpers/paths';

export default function setup(): void {
  ensureModels({
    outDir: TINY_MODEL_ROOT,
    dims: TINY_DIMS,
    fixturesDir: CLIP_FIXTURES,
    layouts: ['xenova-split'],
    dtypes: ['fp32'],
  });
}
