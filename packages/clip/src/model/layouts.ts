// The model file layouts, as repo-relative names (no file-system access): shared by the Node build
// (sources.ts, which looks for them on disk) and the browser build (which fetches them by URL).
import { ClipError } from '../errors';
import type { ClipDtype } from '../types';

/** The file layouts this package loads. */
export type ModelLayout = 'xenova-split' | 'xenova-combined' | 'immich';

/** Model roles: the vision and text towers, or one combined graph. */
export type Role = 'vision' | 'text' | 'combined';

/** Base name (without precision suffix and `.onnx`) of each role's graph, per layout. */
export const LAYOUT_BASES: Record<ModelLayout, { vision?: string; text?: string; combined?: string }> = {
  'xenova-split': { vision: 'onnx/vision_model', text: 'onnx/text_model' },
  'xenova-combined': { combined: 'onnx/model' },
  immich: { vision: 'visual/model', text: 'textual/model' },
};

/** Roles a layout needs for the requested modalities. */
export function rolesFor(layout: ModelLayout, modalities: readonly ('image' | 'text')[]): Role[] {
  if (layout === 'xenova-combined') return ['combined'];
  return modalities.map((m) => (m === 'image' ? 'vision' : 'text'));
}

/**
 * The side files of a layout: tokenizer.json / tokenizer_config.json (in `textual/` for Immich) and
 * the preprocessing configuration (`preprocessor_config.json`, or Immich's `visual/preprocess_cfg.json`).
 */
export function sideFiles(layout: ModelLayout): {
  tokenizer: string;
  tokenizerConfig: string;
  preprocessor: string;
  config: string;
} {
  const side = layout === 'immich' ? 'textual/' : '';
  return {
    tokenizer: `${side}tokenizer.json`,
    tokenizerConfig: `${side}tokenizer_config.json`,
    preprocessor: layout === 'immich' ? 'visual/preprocess_cfg.json' : 'preprocessor_config.json',
    config: 'config.json',
  };
}

/**
 * Precision suffixes the browser build tries, first match wins (transformers.js naming; `quantizeModel`
 * writes `_int8` / `_uint8`). The WASM kernels run uint8 weights fastest, so uint8 comes first for q8.
 */
export function webDtypeSuffixes(dtype: ClipDtype): readonly string[] {
  if (dtype === 'fp32') return [''];
  if (dtype === 'fp16') return ['_fp16'];
  return ['_quantized', '_uint8', '_int8', '_q8'];
}

/** Immich/open_clip `preprocess_cfg.json` → the fields of an HF `preprocessor_config.json`. */
export function immichPreprocessToHf(cfg: Record<string, unknown>, path: string): Record<string, unknown> {
  const size = Array.isArray(cfg.size) ? Number(cfg.size[0]) : Number(cfg.size ?? 224);
  const interpolation = String(cfg.interpolation ?? 'bicubic');
  const resample = { bicubic: 3, bilinear: 2, lanczos: 1, box: 4, hamming: 5 }[interpolation];
  if (resample === undefined) {
    throw new ClipError('unsupported', `${path}: interpolation "${interpolation}" is not supported`);
  }
  const mode = String(cfg.resize_mode ?? 'shortest');
  if (mode !== 'shortest') {
    throw new ClipError('unsupported', `${path}: resize_mode "${mode}" is not supported (only "shortest")`);
  }
  return {
    size: { shortest_edge: size },
    crop_size: { height: size, width: size },
    image_mean: cfg.mean,
    image_std: cfg.std,
    resample,
  };
}
