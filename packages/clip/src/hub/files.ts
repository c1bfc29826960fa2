// Which files of a hub repo a CLIP model needs, for one precision and the modalities asked for:
// the ONNX graphs of the repo's layout (Xenova split or combined, Immich) and their side files.
import { ClipError } from '../errors';
import { dtypeSuffixes, layoutOf, type ModelLayout } from '../model/sources';
import type { ClipDtype } from '../types';

/** The files to pull, and what the repo looks like. */
export interface FilePlan {
  layout: ModelLayout;
  /** Repo-relative paths, graphs first. */
  files: string[];
}

const GRAPH_BASES: Record<ModelLayout, { image?: string; text?: string; both?: string }> = {
  'xenova-split': { image: 'onnx/vision_model', text: 'onnx/text_model' },
  'xenova-combined': { both: 'onnx/model' },
  immich: { image: 'visual/model', text: 'textual/model' },
};

/** Side files per layout: required ones must be in the repo, optional ones are pulled when present. */
const SIDE_FILES: Record<ModelLayout, { image: string[]; text: string[]; optional: string[] }> = {
  'xenova-split': {
    image: ['preprocessor_config.json'],
    text: ['tokenizer.json'],
    optional: ['config.json', 'tokenizer_config.json', 'special_tokens_map.json'],
  },
  'xenova-combined': {
    image: ['preprocessor_config.json'],
    text: ['tokenizer.json'],
    optional: ['config.json', 'tokenizer_config.json', 'special_tokens_map.json'],
  },
  immich: {
    image: ['visual/preprocess_cfg.json'],
    text: ['textual/tokenizer.json'],
    optional: ['config.json', 'textual/tokenizer_config.json', 'textual/special_tokens_map.json'],
  },
};

/** The graph file names a layout would use for each precision (for listings and error messages). */
export function graphCandidates(
  layout: ModelLayout,
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
): string[][] {
  const b = GRAPH_BASES[layout];
  const bases = b.both ? [b.both] : modalities.map((m) => (m === 'image' ? b.image! : b.text!));
  return bases.map((base) => dtypeSuffixes(dtype).map((s) => `${base}${s}.onnx`));
}

/** Every file a layout needs for a precision, as alternatives (for the offline error, where nothing is listed). */
export function neededFiles(
  layout: ModelLayout,
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
): string[] {
  const side = SIDE_FILES[layout];
  return [
    ...graphCandidates(layout, dtype, modalities).map((alts) => alts.join(' or ')),
    ...(modalities.includes('image') ? side.image : []),
    ...(modalities.includes('text') ? side.text : []),
  ];
}

/**
 * The files to pull from a repo listing: one graph per role in the precision asked (the weight type
 * that suits this CPU first for q8), external-data files next to them, and the side files.
 *
 * @throws ClipError `not-found` naming what the repo lacks and the precisions it has
 */
export function planFiles(
  repo: string,
  listing: readonly string[],
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
): FilePlan {
  const layout = layoutOf(listing);
  if (!layout) {
    throw new ClipError(
      'not-found',
      `${repo} has no CLIP ONNX files (onnx/vision_model*.onnx, onnx/model*.onnx or visual/model*.onnx)`,
    );
  }
  const present = new Set(listing);
  const missing: string[] = [];
  const files: string[] = [];
  for (const alternatives of graphCandidates(layout, dtype, modalities)) {
    const hit = alternatives.find((f) => present.has(f));
    if (!hit) {
      missing.push(alternatives.join(' or '));
      continue;
    }
    files.push(hit, ...listing.filter((f) => f.startsWith(`${hit}_data`) || f === `${hit}.data`));
  }
  const side = SIDE_FILES[layout];
  for (const f of [
    ...(modalities.includes('image') ? side.image : []),
    ...(modalities.includes('text') ? side.text : []),
  ]) {
    if (present.has(f)) files.push(f);
    else missing.push(f);
  }
  if (missing.length > 0) {
    const variants = (['fp32', 'fp16', 'q8'] as const).filter((d) =>
      graphCandidates(layout, d, modalities).every((alts) => alts.some((f) => present.has(f))),
    );
    throw new ClipError(
      'not-found',
      `${repo} (${layout}) lacks ${missing.join(', ')} for dtype ${dtype}; ` +
        `precisions it has for ${modalities.join(' and ')}: ${variants.join(', ') || 'none'}`,
    );
  }
  files.push(...side.optional.filter((f) => present.has(f)));
  return { layout, files: [...new Set(files)] };
}
