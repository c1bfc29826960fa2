// The only place that knows how @pmoves/qwen-audio is constructed: the adapter from the options the
// environment parser gave (`qwenAudioOptionsFromEnv`), and the store from the processor's options.
import { createPostgresStore, createQwenAudioAdapter, createSupabaseStore } from '@pmoves/qwen-audio';
import type { AudioAnalysisStore, QwenAudioAdapter, QwenAudioAdapterOptions } from '@pmoves/qwen-audio';
import type { StoreOptions } from './config';

/**
 * The Qwen2-Audio adapter from `AudioProcessorOptions.qwen` (`JELLYFIN_AUDIO_QWEN_ENABLE`, `QWEN_AUDIO_*`);
 * `overrides` win (tests pass `customBackend`).
 */
export function createAdapter(
  options: QwenAudioAdapterOptions,
  overrides: QwenAudioAdapterOptions = {},
): QwenAudioAdapter {
  return createQwenAudioAdapter({ ...options, ...overrides });
}

/** The `media_audio_analysis` store (unique on `item_id`; the row also keeps the audio's SHA-256). */
export function openStore(opts: StoreOptions): AudioAnalysisStore {
  return opts.kind === 'postgres'
    ? createPostgresStore({ connectionString: opts.connectionString })
    : createSupabaseStore({ url: opts.url, key: opts.key });
}
