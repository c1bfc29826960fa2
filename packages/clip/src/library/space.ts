// The embedding space of an embedder: which model (a stable id, not a local path), at which dtype,
// with which preprocessing. Stored with every vector so vectors of different models are never
// compared, and so the indexer re-embeds what an older setup computed.
import { basename } from 'node:path';
import type { ClipEmbedder } from '../types';
import type { EmbeddingSpace } from './types';

/**
 * Revision of the preprocessing pipelines, stored as `mode@revision` (e.g. `fast@1`). Raise it when
 * a change to `src/preprocess/` changes the pixels a mode produces, so the indexer re-embeds.
 */
export const PREPROCESSING_REVISION = 1;

/**
 * A stable model id from `ClipInfo.model`: the local embedder reports `ORG/NAME (/cache/dir)` or a
 * model directory; the directory part is machine-specific, so it is dropped (a directory becomes its
 * last two path segments, e.g. `Xenova/clip-vit-base-patch32`).
 */
export function modelId(infoModel: string): string {
  const withoutDir = infoModel.replace(/\s+\(.*\)$/, '').trim();
  if (!withoutDir.includes('/') || /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(withoutDir)) return withoutDir;
  if (/^https?:\/\//.test(withoutDir)) return withoutDir;
  const parts = withoutDir
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .filter(Boolean);
  return parts.length >= 2 ? `${parts[parts.length - 2]}/${parts[parts.length - 1]}` : basename(withoutDir);
}

/**
 * The space an embedder's vectors are in (a remote embedder is asked what the server runs first).
 * `overrides` win, e.g. `{ model: 'openai/clip-vit-base-patch32' }` for a model directory whose
 * name says nothing.
 */
export async function embeddingSpaceOf(
  embedder: ClipEmbedder,
  overrides: Partial<EmbeddingSpace> = {},
): Promise<EmbeddingSpace> {
  const remote = embedder as ClipEmbedder & { refreshInfo?: () => Promise<unknown> };
  if (typeof remote.refreshInfo === 'function') await remote.refreshInfo();
  const info = embedder.info();
  return {
    model: overrides.model ?? modelId(info.model),
    dtype: overrides.dtype ?? info.dtype,
    preprocessing: overrides.preprocessing ?? `${info.preprocessing}@${PREPROCESSING_REVISION}`,
  };
}
