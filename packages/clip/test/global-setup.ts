// Generates the tiny test models once (cached under .models/tiny, keyed by a stamp of the options).
import { ensureModels, TINY_DIMS } from '../scripts/generate-models';
import { CLIP_FIXTURES, TINY_MODELS } from './models';

export default function setup(): void {
  ensureModels({ outDir: TINY_MODELS, dims: TINY_DIMS, fixturesDir: CLIP_FIXTURES, hiddenOnly: true });
}
