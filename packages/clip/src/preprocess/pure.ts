// The part of preprocessing that is pure TypeScript (no Node or browser API): CLIPImageProcessor's
// geometry, Pillow's resampler (`exact` mode) and the rescale/normalise tables. The Node build runs
// it on pixels sharp decoded, the browser build on pixels the browser decoded; both import this
// module, so the two give the same bytes for the same decoded pixels.
import { ClipError } from '../errors';
import type { PreprocessorConfig } from './config';
import { planCrop } from './geometry';
import { resampleCrop, type Pixels } from './pillow-resample';

export { parsePreprocessorConfig, DEFAULT_PREPROCESSOR_CONFIG, type PreprocessorConfig } from './config';
export { normalisationTables, writeChw } from './normalize';
export type { Pixels } from './pillow-resample';

/** Default pixel limit (width × height from the header): 100 megapixels. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
/** Default limit on encoded size: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The fixed output size of a configuration (the crop), or an `unsupported` error when it varies. */
export function outputSize(config: PreprocessorConfig): { width: number; height: number } {
  if (config.do_center_crop) return { ...config.crop_size };
  if (config.do_resize && 'height' in config.size) return { ...config.size };
  throw new ClipError(
    'unsupported',
    'preprocessor_config.json: without do_center_crop the output size varies per image; a CLIP model ' +
      'needs a fixed input size (set do_center_crop, or size as {height, width})',
  );
}

/**
 * The 8-bit RGB crop (HWC) of decoded pixels, as Pillow's `convert('RGB')` + CLIPImageProcessor's
 * resize and centre crop make it: Pillow's filter in fixed point, alpha dropped without compositing,
 * grey replicated, zero padding where the resized image is smaller than the crop.
 */
export async function exactCrop(pixels: Pixels, config: PreprocessorConfig): Promise<Uint8Array> {
  const plan = planCrop(config, pixels.width, pixels.height);
  const out = new Uint8Array(plan.outWidth * plan.outHeight * 3);
  await resampleCrop(pixels, plan, out, { filter: config.resample });
  return out;
}
