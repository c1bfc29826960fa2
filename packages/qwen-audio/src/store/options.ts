// One way to name a store in configuration, and the factory that opens it.
import { QwenAudioError } from '../errors';
import { createPgliteStore, pgliteIdentity } from './pglite';
import type { PgliteStoreOptions } from './pglite';
import { createPostgresStore, describePostgresUrl } from './postgres';
import type { PostgresStoreOptions } from './postgres';
import { createSupabaseStore } from './supabase';
import type { SupabaseStoreOptions } from './supabase';
import type { AudioAnalysisStore } from './types';

/** Which store to open and how: what `audioStoreOptionsFromEnv` returns. */
export type AudioStoreOptions =
  | ({ kind: 'pglite' } & PgliteStoreOptions)
  | ({ kind: 'postgres' } & PostgresStoreOptions)
  | ({ kind: 'supabase' } & SupabaseStoreOptions);

/**
 * Opens the store the options name (nothing is contacted until the first call; run `migrate()`).
 *
 * @throws {@link QwenAudioError} `invalid-input` for a malformed connection string or URL.
 */
export function createAudioAnalysisStore(options: AudioStoreOptions): AudioAnalysisStore {
  switch (options.kind) {
    case 'pglite': {
      const { kind: _k, ...o } = options;
      return createPgliteStore(o);
    }
    case 'postgres': {
      const { kind: _k, ...o } = options;
      return createPostgresStore(o);
    }
    case 'supabase': {
      const { kind: _k, ...o } = options;
      return createSupabaseStore(o);
    }
    default:
      throw new QwenAudioError(
        'invalid-input',
        `unknown store kind ${JSON.stringify((options as { kind: unknown }).kind)}`,
      );
  }
}

/**
 * The identity the store would report (see `AudioAnalysisStore.identity`), without opening it:
 * what a dry run names.
 */
export function storeIdentity(options: AudioStoreOptions): string {
  if (options.kind === 'pglite') return pgliteIdentity(options.dataDir);
  if (options.kind === 'postgres') return describePostgresUrl(options.connectionString, options.schema);
  try {
    return `supabase ${new URL(options.url).origin}`;
  } catch {
    return 'supabase (invalid URL)';
  }
}
