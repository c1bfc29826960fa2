// Finding a CLIP model on disk: an explicit directory, a transformers.js-style cache directory, or a
// mounted Hugging Face hub cache; then recognising its layout (Xenova split, Xenova combined, Immich)
// and picking the file variant for the requested precision.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClipError } from '../errors';
import type { ClipDtype } from '../types';
import { cpuInt8Support, type CpuInt8Support } from './cpu';
import { DEFAULT_HUB_CACHE, repoFolder } from './hub-cache';

import { immichPreprocessToHf, LAYOUT_BASES, rolesFor, type ModelLayout, type Role } from './layouts';

export { immichPreprocessToHf, rolesFor, type ModelLayout, type Role };

/** One ONNX file per role, for one precision. */
export interface ModelFiles {
  vision?: string;
  text?: string;
  combined?: string;
}

/** A model directory, recognised. */
export interface ModelSource {
  /** Directory the files were found in. */
  root: string;
  layout: ModelLayout;
  /** Where the tokenizer lives (tokenizer.json), or undefined when the directory has none. */
  tokenizerPath?: string;
  /** tokenizer_config.json, when present. */
  tokenizerConfigPath?: string;
  /** Preprocessing configuration, already translated to the shape of `preprocessor_config.json`. */
  preprocessorConfig?: unknown;
  /** Context length declared by the model's config (77 for CLIP), when it declares one. */
  contextLength?: number;
}

/**
 * File-name suffixes of a precision, first match wins (transformers.js naming; `quantizeModel`
 * writes `_int8` / `_uint8`). For q8 the weight type that suits the CPU comes first: int8 where it
 * has VNNI or AMX, uint8 otherwise (see cpu.ts), then the export's own `_quantized`.
 */
export function dtypeSuffixes(dtype: ClipDtype, cpu: CpuInt8Support = cpuInt8Support()): readonly string[] {
  if (dtype === 'fp32') return [''];
  if (dtype === 'fp16') return ['_fp16'];
  return cpu.vnni || cpu.amx
    ? ['_int8', '_quantized', '_uint8', '_q8']
    : ['_uint8', '_quantized', '_int8', '_q8'];
}

const BASES = LAYOUT_BASES;

/** The layout a list of repo-relative paths has (`onnx/vision_model.onnx`, …), or undefined. */
export function layoutOf(paths: readonly string[]): ModelLayout | undefined {
  const has = (dir: string, prefix: string) =>
    paths.some((p) => {
      const name = p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : undefined;
      return name !== undefined && !name.includes('/') && name.startsWith(prefix) && name.endsWith('.onnx');
    });
  if (has('onnx', 'vision_model') || has('onnx', 'text_model')) return 'xenova-split';
  if (has('onnx', 'model')) return 'xenova-combined';
  if (has('visual', 'model') || has('textual', 'model')) return 'immich';
  return undefined;
}

/** Recognise the layout of a directory, or undefined. */
export function detectLayout(dir: string): ModelLayout | undefined {
  const list = (sub: string) =>
    existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).map((f) => `${sub}/${f}`) : [];
  return layoutOf([...list('onnx'), ...list('visual'), ...list('textual')]);
}

/** Whether a precision's files exist in the directory for every role needed. */
export function hasVariant(
  dir: string,
  layout: ModelLayout,
  dtype: ClipDtype,
  roles: readonly Role[],
): boolean {
  return roles.every((role) => findVariant(dir, layout, role, dtype) !== undefined);
}

/** The path of one role's file for a precision, or undefined. */
export function findVariant(
  dir: string,
  layout: ModelLayout,
  role: Role,
  dtype: ClipDtype,
): string | undefined {
  const base = BASES[layout][role];
  if (!base) return undefined;
  for (const suffix of dtypeSuffixes(dtype)) {
    const path = join(dir, `${base}${suffix}.onnx`);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** File names that would satisfy a role at a precision (for error messages). */
export function variantNames(layout: ModelLayout, role: Role, dtype: ClipDtype): string[] {
  const base = BASES[layout][role];
  return base ? dtypeSuffixes(dtype).map((s) => `${base}${s}.onnx`) : [];
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ClipError('model', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Read the side files of a recognised directory. */
export function describeSource(root: string, layout: ModelLayout): ModelSource {
  const source: ModelSource = { root, layout };
  const sideDir = layout === 'immich' ? join(root, 'textual') : root;
  if (existsSync(join(sideDir, 'tokenizer.json'))) source.tokenizerPath = join(sideDir, 'tokenizer.json');
  if (existsSync(join(sideDir, 'tokenizer_config.json'))) {
    source.tokenizerConfigPath = join(sideDir, 'tokenizer_config.json');
  }
  if (layout === 'immich') {
    const pre = join(root, 'visual', 'preprocess_cfg.json');
    if (existsSync(pre))
      source.preprocessorConfig = immichPreprocessToHf(readJson(pre) as Record<string, unknown>, pre);
    const cfg = join(root, 'config.json');
    if (existsSync(cfg)) {
      const ctx = (readJson(cfg) as { text_cfg?: { context_length?: number } }).text_cfg?.context_length;
      if (typeof ctx === 'number') source.contextLength = ctx;
    }
  } else {
    const pre = join(root, 'preprocessor_config.json');
    if (existsSync(pre)) source.preprocessorConfig = readJson(pre);
    const cfg = join(root, 'config.json');
    if (existsSync(cfg)) {
      const ctx = (readJson(cfg) as { text_config?: { max_position_embeddings?: number } }).text_config
        ?.max_position_embeddings;
      if (typeof ctx === 'number') source.contextLength = ctx;
    }
  }
  return source;
}

/** Where to look for a model given by id. */
export interface LocateOptions {
  /** Hugging Face style id, `ORG/NAME`. */
  model: string;
  /** transformers.js-style cache directory (`<cacheDir>/ORG/NAME`) or a hub cache. */
  cacheDir?: string;
  /** The Hugging Face hub cache (`models--ORG--NAME/`); default `~/.cache/huggingface/hub`. */
  hubCache?: string;
  /** Hub revision (a ref name or commit); default `main`. */
  revision?: string;
}

/** Snapshot directory of a hub cache entry (`models--ORG--NAME/snapshots/<rev>`), via refs/<revision>. */
export function hubSnapshot(hubDir: string, model: string, revision: string): string | undefined {
  const repo = join(hubDir, repoFolder(model));
  if (!existsSync(repo)) return undefined;
  const ref = join(repo, 'refs', revision);
  const commit = existsSync(ref) ? readFileSync(ref, 'utf8').trim() : revision;
  const snapshot = join(repo, 'snapshots', commit);
  return existsSync(snapshot) && statSync(snapshot).isDirectory() ? snapshot : undefined;
}

/** Every directory a model id may be in, in the order they are tried. */
export function candidateDirs(opts: LocateOptions): { dir: string; how: string }[] {
  const revision = opts.revision ?? 'main';
  const out: { dir: string; how: string }[] = [];
  const hubs: { dir: string; how: string }[] = [];
  if (opts.cacheDir) {
    out.push({ dir: resolve(opts.cacheDir, opts.model), how: 'cacheDir/ORG/NAME' });
    hubs.push({ dir: resolve(opts.cacheDir), how: 'cacheDir (hub layout)' });
  }
  hubs.push({ dir: resolve(opts.hubCache ?? DEFAULT_HUB_CACHE), how: 'hub cache' });
  for (const hub of hubs) {
    const repo = join(hub.dir, repoFolder(opts.model));
    const snap = hubSnapshot(hub.dir, opts.model, revision);
    out.push({ dir: snap ?? join(repo, 'snapshots', `<refs/${revision}>`), how: hub.how });
  }
  return out;
}

/** Locate a model id; throws `not-found` naming every place looked. */
export function locateModel(opts: LocateOptions): string {
  const places = candidateDirs(opts);
  for (const p of places) {
    if (existsSync(p.dir) && detectLayout(p.dir)) return p.dir;
  }
  throw new ClipError(
    'not-found',
    `model "${opts.model}" was not found (no onnx/vision_model*.onnx, onnx/model*.onnx or visual/model.onnx); ` +
      `looked in: ${places.map((p) => `${p.dir} (${p.how})`).join('; ')}. ` +
      'Set modelPath (CLIP_MODEL_PATH) to a model directory, point cacheDir (CLIP_CACHE_DIR) or hubCache ' +
      '(HF_HUB_CACHE / HF_HOME) at a cache holding it, pull it with `pmoves-clip pull`, or set ' +
      'autoDownload (CLIP_AUTO_DOWNLOAD=1).',
  );
}

/**
 * Check a directory has every file the requested roles and modalities need; throws `not-found`
 * listing each missing file and the directory looked in.
 */
export function checkFiles(
  source: ModelSource,
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
): ModelFiles {
  const missing: string[] = [];
  const files: ModelFiles = {};
  for (const role of rolesFor(source.layout, modalities)) {
    const path = findVariant(source.root, source.layout, role, dtype);
    if (path) files[role] = path;
    else missing.push(variantNames(source.layout, role, dtype).join(' or '));
  }
  const sideDir = source.layout === 'immich' ? 'textual/' : '';
  if (modalities.includes('text') && !source.tokenizerPath) missing.push(`${sideDir}tokenizer.json`);
  if (modalities.includes('image') && source.preprocessorConfig === undefined) {
    missing.push(source.layout === 'immich' ? 'visual/preprocess_cfg.json' : 'preprocessor_config.json');
  }
  if (missing.length > 0) {
    throw new ClipError(
      'not-found',
      `${source.layout} model at ${source.root} is missing ${missing.length} file(s) for dtype ${dtype}: ` +
        `${missing.join(', ')} (looked in ${source.root})`,
    );
  }
  return files;
}
