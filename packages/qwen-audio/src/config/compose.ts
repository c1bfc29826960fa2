// The `…FromEnv` helpers: the pure environment parsers composed with the factories.
import type { Env } from '@pmoves/internal';
import { createQwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapter } from '../adapter/create';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { createAudioAnalysisStore } from '../store/options';
import type { AudioAnalysisStore } from '../store/types';
import { audioStoreOptionsFromEnv, qwenAudioOptionsFromEnv } from './env';
import type { EnvParseOptions } from './env';

/**
 * `createQwenAudioAdapter({ ...qwenAudioOptionsFromEnv(env), ...overrides })`: the adapter as the
 * environment configures it; `overrides` win.
 *
 * @throws {@link QwenAudioError} `config` naming every bad variable, `invalid-input` for a bad override.
 */
export function createQwenAudioAdapterFromEnv(
  env: Env,
  overrides: QwenAudioAdapterOptions = {},
  opts: EnvParseOptions = {},
): QwenAudioAdapter {
  return createQwenAudioAdapter({ ...qwenAudioOptionsFromEnv(env, opts), ...overrides });
}

/**
 * `createAudioAnalysisStore(audioStoreOptionsFromEnv(env))`: the store the environment names.
 *
 * @throws {@link QwenAudioError} `config` naming every bad variable.
 */
export function createAudioAnalysisStoreFromEnv(env: Env, opts: EnvParseOptions = {}): AudioAnalysisStore {
  return createAudioAnalysisStore(audioStoreOptionsFromEnv(env, opts));
}
