// Reading Hugging Face `preprocessor_config.json` (CLIPImageProcessor / CLIPFeatureExtractor) with the
// same defaults and size rules as transformers, so that an integer `size` means "shortest edge" (the
// case transformers.js gets wrong) and a missing field falls back to what CLIPImageProcessor uses.
import { z } from 'zod';
import { ClipError } from '../errors';

/** OpenAI CLIP's per-channel mean, CLIPImageProcessor's default `image_mean`. */
export const OPENAI_CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** OpenAI CLIP's per-channel standard deviation, CLIPImageProcessor's default `image_std`. */
export const OPENAI_CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/**
 * Pillow resampling filters that the exact resampler reproduces: 1 = LANCZOS, 2 = BILINEAR,
 * 3 = BICUBIC, 4 = BOX, 5 = HAMMING. 0 (NEAREST) takes another code path in Pillow and is refused.
 */
export const SUPPORTED_RESAMPLE = [1, 2, 3, 4, 5] as const;

const positiveInt = z.int().positive().max(65_535);
const heightWidth = z.object({ height: positiveInt, width: positiveInt });

const sizeSchema = z.union([
  // transformers' get_size_dict(size, default_to_square=False): an integer is the shortest edge.
  positiveInt.transform((n) => ({ shortest_edge: n })),
  // `longest_edge` may sit beside it; CLIPImageProcessor.resize ignores it, and so do we.
  z.object({ shortest_edge: positiveInt }),
  heightWidth,
]);

const cropSchema = z.union([positiveInt.transform((n) => ({ height: n, width: n })), heightWidth]);

const perChannel = z
  .union([z.number().finite(), z.array(z.number().finite()).length(3)])
  .transform((v): [number, number, number] => (typeof v === 'number' ? [v, v, v] : [v[0]!, v[1]!, v[2]!]));

/** zod schema of the preprocessing fields of `preprocessor_config.json`, normalised to one shape. */
export const preprocessorConfigSchema = z
  .looseObject({
    size: sizeSchema.default({ shortest_edge: 224 }),
    crop_size: cropSchema.default({ height: 224, width: 224 }),
    do_resize: z.boolean().default(true),
    do_center_crop: z.boolean().default(true),
    do_rescale: z.boolean().default(true),
    rescale_factor: z
      .number()
      .finite()
      .positive()
      .default(1 / 255),
    do_normalize: z.boolean().default(true),
    image_mean: perChannel.default([...OPENAI_CLIP_MEAN]),
    image_std: perChannel
      .refine((s) => s.every((v) => v !== 0), 'must not contain 0')
      .default([...OPENAI_CLIP_STD]),
    // Always RGB here: the model takes three channels, and Pillow's convert('RGB') is what we reproduce.
    do_convert_rgb: z.boolean().default(true),
    resample: z.int().default(3),
  })
  .transform((c) => ({
    size: c.size,
    crop_size: c.crop_size,
    do_resize: c.do_resize,
    do_center_crop: c.do_center_crop,
    do_rescale: c.do_rescale,
    rescale_factor: c.rescale_factor,
    do_normalize: c.do_normalize,
    image_mean: c.image_mean,
    image_std: c.image_std,
    do_convert_rgb: c.do_convert_rgb,
    resample: c.resample as (typeof SUPPORTED_RESAMPLE)[number],
  }));

/** Preprocessing parameters, normalised from `preprocessor_config.json` (see {@link parsePreprocessorConfig}). */
export type PreprocessorConfig = z.output<typeof preprocessorConfigSchema>;

/** The configuration of OpenAI's CLIP ViT-B/32 (shortest edge 224, centre crop 224, bicubic). */
export const DEFAULT_PREPROCESSOR_CONFIG: PreprocessorConfig = Object.freeze(
  preprocessorConfigSchema.parse({}),
) as PreprocessorConfig;

/**
 * Validate a parsed `preprocessor_config.json` and normalise it: `size` as an integer or
 * `{shortest_edge}` becomes `{shortest_edge}`, `{height,width}` stays; `crop_size` as an integer becomes
 * `{height,width}`; missing fields take CLIPImageProcessor's defaults.
 *
 * @param json - the parsed JSON object
 * @returns the normalised configuration
 * @throws ClipError `invalid-input` naming the bad field, or `unsupported` for a resampling filter
 *   other than Pillow's LANCZOS/BILINEAR/BICUBIC/BOX/HAMMING (1–5)
 */
export function parsePreprocessorConfig(json: unknown): PreprocessorConfig {
  const parsed = preprocessorConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    throw new ClipError(
      'invalid-input',
      `preprocessor_config.json: field "${field}" is invalid: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  const config = parsed.data;
  if (!(SUPPORTED_RESAMPLE as readonly number[]).includes(config.resample)) {
    throw new ClipError(
      'unsupported',
      `preprocessor_config.json: field "resample" is ${config.resample}; supported Pillow filters are ` +
        '1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC), 4 (BOX), 5 (HAMMING)',
    );
  }
  return config;
}
