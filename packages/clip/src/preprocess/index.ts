// CLIP image preprocessing that reproduces Hugging Face's reference pipeline (transformers `load_image`
// + CLIPImageProcessor on Pillow), in two modes: `exact` (Pillow's resampler, bit for bit on the
// kept pixels) and `fast` (libvips for the bulk, exact at the borders). See README "Preprocessing".
import { readFile } from 'node:fs/promises';
import { ClipError } from '../errors';
import type { ImageInput, PreprocessingMode } from '../types';
import type { PreprocessorConfig } from './config';
import type { InputLimits } from './decode';
import { checkInput, decodePixels, reasonLost, truncation } from './decode';
import { fastCrop } from './fast';
import { planCrop } from './geometry';
import { normalisationTables, writeChw } from './normalize';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, exactCrop, outputSize } from './pure';

export {
  DEFAULT_PREPROCESSOR_CONFIG,
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  parsePreprocessorConfig,
  preprocessorConfigSchema,
  type PreprocessorConfig,
} from './config';

export { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from './pure';

/** Options of {@link createPreprocessor}. */
export interface PreprocessorOptions {
  /** `exact` (≤ 1 level from the reference, Pillow's resampler) or `fast` (libvips); default `fast`. */
  mode?: PreprocessingMode;
  /** Refuse images with more pixels than this, read from the header before decoding. Default 100 M. */
  maxPixels?: number;
  /** Refuse encoded images (buffers or files) larger than this many bytes. Default 64 MiB. */
  maxBytes?: number;
}

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  /** `width * height * 3` bytes. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** Turns images into what a CLIP vision model receives (see {@link createPreprocessor}). */
export interface Preprocessor {
  /** Mode in use. */
  readonly mode: PreprocessingMode;
  /** The configuration it follows. */
  readonly config: PreprocessorConfig;
  /** Output width and height (the crop size), pixels. */
  readonly width: number;
  /** Output height, pixels. */
  readonly height: number;
  /** Length of one image's tensor: `3 * height * width`. */
  readonly tensorLength: number;
  /** The 8-bit RGB crop (HWC) before rescaling and normalisation. */
  toRgbCrop(input: ImageInput): Promise<RgbImage>;
  /** The normalised CHW float32 tensor the model receives, `tensorLength` long. */
  toTensor(input: ImageInput): Promise<Float32Array>;
  /** Write the tensor into `target` at `offset` (a batch buffer), without an intermediate copy. */
  toTensorInto(input: ImageInput, target: Float32Array, offset: number): Promise<void>;
}

function positiveLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new ClipError('invalid-input', `preprocessing option "${name}" must be a positive number`);
  }
  return value;
}

/**
 * Create a preprocessor for a CLIP vision model.
 *
 * Decoding follows transformers' `load_image`: EXIF orientation applied, embedded ICC profiles ignored,
 * alpha dropped without compositing, grey and palette expanded, first frame of an animation. Then
 * CLIPImageProcessor: resize (shortest edge or fixed size), centre crop, rescale, normalise.
 * Errors are {@link ClipError}s: `decode` (corrupt, truncated, not an image), `too-large` (over
 * `maxPixels`/`maxBytes`, checked before decoding), `unsupported` (format), `not-found` (missing file),
 * `invalid-input` (raw image with inconsistent fields).
 *
 * @param config - from {@link parsePreprocessorConfig}
 * @param options - mode and limits
 * @returns the preprocessor
 */
export function createPreprocessor(
  config: PreprocessorConfig,
  options: PreprocessorOptions = {},
): Preprocessor {
  const mode = options.mode ?? 'fast';
  if (mode !== 'exact' && mode !== 'fast') {
    throw new ClipError(
      'invalid-input',
      `preprocessing option "mode" must be "exact" or "fast", got ${String(mode)}`,
    );
  }
  const limits: InputLimits = {
    maxPixels: positiveLimit('maxPixels', options.maxPixels, DEFAULT_MAX_PIXELS),
    maxBytes: positiveLimit('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
  };
  const { width, height } = outputSize(config);
  const tables = normalisationTables(config);
  const tensorLength = 3 * width * height;

  const crop = async (input: ImageInput): Promise<Uint8Array> => {
    try {
      return await cropUnchecked(input);
    } catch (err) {
      if (reasonLost(err)) return await retryLostReason(input, err as ClipError);
      // Whatever sharp or the file system throws, the caller gets a ClipError.
      if (err instanceof ClipError) throw err;
      throw new ClipError('decode', `image could not be processed: ${String(err)}`, { cause: err });
    }
  };

  /**
   * libvips lost the reason of a failed decode to a concurrent one (see reasonLost): decode again,
   * one retry at a time in this thread, and if the reason is lost again say what the container
   * structure shows.
   */
  const retryLostReason = async (input: ImageInput, first: ClipError): Promise<Uint8Array> => {
    const attempt = retries.then(() => cropUnchecked(input));
    retries = attempt.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await attempt;
    } catch (err) {
      if (!reasonLost(err)) throw err;
      const bytes =
        input instanceof Uint8Array ? input : typeof input === 'string' ? await readFile(input) : undefined;
      const reason = (bytes && truncation(bytes)) ?? 'libvips reported no reason (twice)';
      throw new ClipError('decode', first.message.replace(/unknown error$/i, reason), { cause: err });
    }
  };
  let retries: Promise<void> = Promise.resolve();

  const cropUnchecked = async (input: ImageInput): Promise<Uint8Array> => {
    const checked = await checkInput(input, limits);
    const srcW = checked.kind === 'raw' ? checked.pixels.width : checked.width;
    const srcH = checked.kind === 'raw' ? checked.pixels.height : checked.height;
    // `exact`: the pure resampler the browser build shares (./pure).
    if (mode === 'exact') return exactCrop(await decodePixels(checked, limits), config);
    const plan = planCrop(config, srcW, srcH);
    const out = new Uint8Array(plan.outWidth * plan.outHeight * 3);
    await fastCrop(checked, plan, config.resample, limits, out);
    return out;
  };

  const toTensorInto = async (input: ImageInput, target: Float32Array, offset: number): Promise<void> => {
    if (!(target instanceof Float32Array)) {
      throw new ClipError('invalid-input', 'toTensorInto: "target" must be a Float32Array');
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + tensorLength > target.length) {
      throw new ClipError(
        'invalid-input',
        `toTensorInto: "offset" ${offset} leaves no room for ${tensorLength} values in a target of ${target.length}`,
      );
    }
    writeChw(await crop(input), width * height, tables, target, offset);
  };

  return {
    mode,
    config,
    width,
    height,
    tensorLength,
    async toRgbCrop(input) {
      return { data: await crop(input), width, height };
    },
    async toTensor(input) {
      const tensor = new Float32Array(tensorLength);
      await toTensorInto(input, tensor, 0);
      return tensor;
    },
    toTensorInto,
  };
}
