import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Generated tiny models for this package's tests. */
export const TINY_MODEL_ROOT = resolve(here, '..', '..', '.models', 'tiny');
/** The Xenova split layout of the tiny model. */
export const TINY_MODEL = join(TINY_MODEL_ROOT, 'xenova-split');
/** Real CLIP tokenizer/configs shared with the project. */
export const CLIP_FIXTURES = resolve(here, '../../../../../shared/fixtures/clip-vit-b32');
/** Real photos (and a corrupt file) shared with the project. */
export const IMAGE_FIXTURES = resolve(here, '../../../../../shared/fixtures/images');
