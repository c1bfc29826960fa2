// Fetching model files by URL (worker side): the Cache API first (a second visit downloads
// nothing), then the network with progress events; a missing file is a `not-found` ClipError naming
// it and its URL. The layout is found by probing each layout's files, as the Node build recognises
// a directory.
import { ClipError } from '../errors';
import type { ClipDtype } from '../types';
import {
  LAYOUT_BASES,
  rolesFor,
  sideFiles,
  webDtypeSuffixes,
  type ModelLayout,
  type Role,
} from '../model/layouts';
import type { WebClipProgress } from './types';

/** How files are fetched. */
export interface FileSource {
  /** Base URL, ending in `/`. */
  base: string;
  /** Cache name, or false. */
  cache: string | false;
  onProgress: (event: WebClipProgress) => void;
}

/** The base URL with a trailing slash, resolved against the page/worker location. */
export function baseUrl(modelUrl: string, location: string): string {
  const url = new URL(modelUrl, location).href;
  return url.endsWith('/') ? url : `${url}/`;
}

async function openCache(name: string | false): Promise<Cache | undefined> {
  if (name === false || typeof caches === 'undefined') return undefined;
  try {
    return await caches.open(name);
  } catch {
    return undefined; // opaque origins and some private modes have no Cache API
  }
}

/** Whether a file exists (cached or answered 2xx to HEAD). */
export async function exists(src: FileSource, file: string): Promise<boolean> {
  const url = new URL(file, src.base).href;
  const cache = await openCache(src.cache);
  if (await cache?.match(url)) return true;
  try {
    let res = await fetch(url, { method: 'HEAD' });
    if (res.status === 405 || res.status === 501) {
      // A host without HEAD: ask for the first byte instead.
      res = await fetch(url, { headers: { Range: 'bytes=0-0' } });
      await res.body?.cancel();
    }
    return res.ok;
  } catch {
    return false;
  }
}

/** Fetch one file's bytes; `optional` files answer undefined when missing. */
export async function fetchFile(
  src: FileSource,
  file: string,
  optional = false,
): Promise<Uint8Array | undefined> {
  const url = new URL(file, src.base).href;
  const cache = await openCache(src.cache);
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    src.onProgress({ file, url, loaded: bytes.length, total: bytes.length, cached: true, done: true });
    return bytes;
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new ClipError('fetch', `cannot fetch model file ${file} from ${url}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (res.status === 404 || res.status === 410) {
    if (optional) return undefined;
    throw new ClipError('not-found', `model file ${file} is missing: ${url} answered HTTP ${res.status}`);
  }
  if (!res.ok) throw new ClipError('fetch', `model file ${file}: ${url} answered HTTP ${res.status}`);
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      src.onProgress({ file, url, loaded, total, cached: false, done: false });
    }
  } else {
    const all = new Uint8Array(await res.arrayBuffer());
    chunks.push(all);
    loaded = all.length;
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  src.onProgress({ file, url, loaded, total: loaded, cached: false, done: true });
  if (cache) {
    try {
      await cache.put(
        url,
        new Response(bytes, {
          headers: {
            'content-type': res.headers.get('content-type') ?? 'application/octet-stream',
            'content-length': String(bytes.length),
          },
        }),
      );
    } catch {
      // Over quota: the file still loads, it is just fetched again next time.
    }
  }
  return bytes;
}

const PROBE_ORDER: ModelLayout[] = ['xenova-split', 'xenova-combined', 'immich'];

/** The repo-relative name of a role's file at a precision, trying the precision's suffixes in order. */
export async function findRoleFile(
  src: FileSource,
  layout: ModelLayout,
  role: Role,
  dtype: ClipDtype,
): Promise<string | undefined> {
  const base = LAYOUT_BASES[layout][role];
  if (!base) return undefined;
  for (const suffix of webDtypeSuffixes(dtype)) {
    const name = `${base}${suffix}.onnx`;
    if (await exists(src, name)) return name;
  }
  return undefined;
}

/** The candidate names of a role's file (for error messages). */
export function roleFileNames(layout: ModelLayout, role: Role, dtype: ClipDtype): string[] {
  const base = LAYOUT_BASES[layout][role];
  return base ? webDtypeSuffixes(dtype).map((s) => `${base}${s}.onnx`) : [];
}

/** The layout of a model URL: the given one, or the first whose graph files answer. */
export async function detectLayout(
  src: FileSource,
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
  given?: ModelLayout,
): Promise<ModelLayout> {
  if (given) return given;
  const tried: string[] = [];
  // A layout is recognised by its graph files at any precision; checkFiles then names what the
  // requested precision lacks.
  const dtypes = [dtype, ...(['fp32', 'q8', 'fp16'] as const).filter((d) => d !== dtype)];
  for (const layout of PROBE_ORDER) {
    const role = rolesFor(layout, modalities)[0]!;
    for (const d of dtypes) {
      if (await findRoleFile(src, layout, role, d)) return layout;
      tried.push(...roleFileNames(layout, role, d));
    }
  }
  throw new ClipError(
    'not-found',
    `no CLIP model at ${src.base}: none of ${tried.join(', ')} answered ` +
      '(Xenova split, Xenova combined or Immich layout)',
  );
}

/**
 * Check every file the modalities need exists, naming each missing one; returns the graph file of
 * each role.
 */
export async function checkFiles(
  src: FileSource,
  layout: ModelLayout,
  dtype: ClipDtype,
  modalities: readonly ('image' | 'text')[],
): Promise<Partial<Record<Role, string>>> {
  const missing: string[] = [];
  const files: Partial<Record<Role, string>> = {};
  for (const role of rolesFor(layout, modalities)) {
    const name = await findRoleFile(src, layout, role, dtype);
    if (name) files[role] = name;
    else missing.push(roleFileNames(layout, role, dtype).join(' or '));
  }
  const side = sideFiles(layout);
  if (modalities.includes('text') && !(await exists(src, side.tokenizer))) missing.push(side.tokenizer);
  if (modalities.includes('image') && !(await exists(src, side.preprocessor)))
    missing.push(side.preprocessor);
  if (missing.length > 0) {
    throw new ClipError(
      'not-found',
      `${layout} model at ${src.base} is missing ${missing.length} file(s) for dtype ${dtype}: ${missing.join(', ')}`,
    );
  }
  return files;
}

/** Parse a fetched JSON file. */
export function parseJson(file: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ClipError('model', `${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}
