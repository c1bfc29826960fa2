// createClipEmbedderFromEnv: parse the environment (src/config), then build what it asks for.
import type { Env } from '@pmoves/internal';
import { clipSetupFromEnv } from '../config/env';
import { createRemoteClipEmbedder, type RemoteClipOptions } from '../remote';
import type { ClipEmbedder } from '../types';
import { createClipEmbedder } from './embedder';
import type { ClipEmbedderOptions } from './options';

/** Options laid over what the environment says (e.g. `modalities` for an image-only service). */
export interface ClipFromEnvOverrides {
  /** Over the local embedder's options. */
  local?: ClipEmbedderOptions;
  /** Over the remote client's options. */
  remote?: Partial<RemoteClipOptions>;
}

/**
 * The embedder an environment asks for: the remote client when CLIP_ENDPOINT is set, the local
 * embedder otherwise (see `clipSetupFromEnv` for the variables).
 *
 * @throws ClipError `config` naming every bad variable, then whatever the factory throws
 */
export async function createClipEmbedderFromEnv(
  env: Env,
  overrides: ClipFromEnvOverrides = {},
): Promise<ClipEmbedder> {
  const setup = clipSetupFromEnv(env);
  if (setup.kind === 'remote') return createRemoteClipEmbedder({ ...setup.options, ...overrides.remote });
  return createClipEmbedder({ ...setup.options, ...overrides.local });
}
