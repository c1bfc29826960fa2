// Paths shared by the tests: tiny generated models (written once by global-setup.ts into the
// gitignored .models/ directory) and the real CLIP tokenizer/config and photos in ../shared.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Root of the generated tiny models (one sub-directory per layout). */
export const TINY_MODELS = resolve(here, '..', '.models', 'tiny');
/** Directory of each generated layout. */
export const LAYOUT_DIR = {
  split: join(TINY_MODELS, 'xenova-split'),
  combined: join(TINY_MODELS, 'xenova-combined'),
  immich: join(TINY_MODELS, 'immich'),
  hiddenOnly: join(TINY_MODELS, 'hidden-only'),
};
/** Real CLIP ViT-B/32 tokenizer and configs (read in place). */
export const CLIP_FIXTURES = resolve(here, '../../../../shared/fixtures/clip-vit-b32');
/** Real photos and the preprocessing manifest. */
export const IMAGE_FIXTURES = resolve(here, '../../../../shared/fixtures/images');
