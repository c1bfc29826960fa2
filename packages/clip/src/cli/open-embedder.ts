// The embedder a command uses: remote when CLIP_ENDPOINT is set, the local model otherwise.
// Imported lazily so that `--help` never loads onnxruntime.
import type { Env } from '@pmoves/internal';
import type { ClipEmbedder } from '../types';

/** What to open: `modalities` loads only those towers of a local model (a remote one serves both). */
export interface OpenEmbedderOptions {
  modalities?: ('image' | 'text')[];
}

/** Opens the embedder the environment describes (the caller disposes it). */
export async function openEmbedder(
  env: Env,
  options: OpenEmbedderOptions = {},
): Promise<ClipEmbedder & { refreshInfo?: () => Promise<unknown> }> {
  if (env.CLIP_ENDPOINT?.trim()) {
    const { createRemoteClipEmbedder, remoteClipOptionsFromEnv } = await import('../remote');
    return createRemoteClipEmbedder(remoteClipOptionsFromEnv(env));
  }
  return openLocalEmbedder(env, options);
}

/** Loads the local model from the environment's CLIP_* variables. */
export async function openLocalEmbedder(env: Env, options: OpenEmbedderOptions = {}): Promise<ClipEmbedder> {
  const [{ createClipEmbedder }, { clipEmbedderOptionsFromEnv }] = await Promise.all([
    import('../embedder/embedder'),
    import('../config/env'),
  ]);
  return createClipEmbedder({ ...clipEmbedderOptionsFromEnv(env), ...options });
}
