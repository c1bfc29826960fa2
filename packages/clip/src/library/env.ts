// Index configuration from the environment, and the one factory that opens the configured store.
// Each store's driver is imported only when that store is opened.
import {
  EnvReader,
  envEnum,
  envInteger,
  envSeconds,
  envString,
  envUrl,
  envVarInfo,
  type Env,
} from '@pmoves/internal';
import { configError } from '../config/read';
import { ClipError } from '../errors';
import type { ClipEmbedder } from '../types';
import { createClipIndex, DEFAULT_NAMESPACE, type ClipIndex } from './clip-index';
import { DEFAULT_DIMS, DEFAULT_EF_SEARCH, DEFAULT_TABLE } from './sql';
import { DEFAULT_QDRANT_COLLECTION } from './stores/qdrant';
import type { ClipVectorStore, EmbeddingSpace } from './types';

/** Which store holds the index. */
export type ClipStoreKind = 'pglite' | 'memory' | 'postgres' | 'supabase' | 'qdrant';

/** A store and its settings, as {@link createClipStore} takes it. */
export type ClipStoreConfig =
  | { kind: 'pglite'; path?: string; dims?: number; table?: string; efSearch?: number }
  | { kind: 'memory'; dims?: number }
  | {
      kind: 'postgres';
      connectionString: string;
      dims?: number;
      table?: string;
      efSearch?: number;
      timeoutMs?: number;
      migrate?: boolean;
    }
  | {
      kind: 'supabase';
      url: string;
      key: string;
      dims?: number;
      table?: string;
      efSearch?: number;
      timeoutMs?: number;
    }
  | {
      kind: 'qdrant';
      url: string;
      apiKey?: string;
      collection?: string;
      dims?: number;
      efSearch?: number;
      timeoutMs?: number;
    };

/** What {@link clipIndexOptionsFromEnv} returns. */
export interface ClipIndexEnvOptions {
  /** The store to open. */
  store: ClipStoreConfig;
  /** Default namespace (`CLIP_INDEX_NAMESPACE`). */
  namespace: string;
  /** Model id to store instead of the embedder's (`CLIP_INDEX_MODEL`). */
  model?: string;
}

/** Fields of the similarity index and its stores. */
export const INDEX_FIELDS = {
  store: envEnum(
    'CLIP_INDEX_STORE',
    'where the CLIP similarity index lives',
    ['pglite', 'memory', 'postgres', 'supabase', 'qdrant'] as const,
    { default: 'pglite' },
  ),
  path: envString('CLIP_INDEX_PATH', 'PGlite data directory of the index (unset: in memory)', {
    form: 'directory',
  }),
  namespace: envString('CLIP_INDEX_NAMESPACE', 'default namespace of the index', {
    default: DEFAULT_NAMESPACE,
  }),
  dims: envInteger('CLIP_INDEX_DIMS', 'vector length of the index table or collection', {
    default: DEFAULT_DIMS,
    min: 1,
    max: 2000,
  }),
  table: envString(
    'CLIP_INDEX_TABLE',
    'table (PGlite, Postgres, Supabase); its match function is match_<table>',
    {
      default: DEFAULT_TABLE,
      form: 'identifier',
    },
  ),
  efSearch: envInteger(
    'CLIP_INDEX_EF_SEARCH',
    'HNSW candidates per query (pgvector hnsw.ef_search, Qdrant hnsw_ef)',
    {
      default: DEFAULT_EF_SEARCH,
      min: 1,
      max: 1000,
    },
  ),
  timeout: envSeconds('CLIP_INDEX_TIMEOUT', 'per request to a remote index store', { default: 30 }),
  model: envString('CLIP_INDEX_MODEL', "model id stored with vectors instead of the embedder's", {
    form: 'model id',
  }),
  databaseUrl: envString('CLIP_INDEX_DATABASE_URL', 'Postgres of the index (else DATABASE_URL)', {
    form: 'postgres:// connection string',
    secret: true,
  }),
  sharedDatabaseUrl: envString('DATABASE_URL', 'Postgres connection (shared with other PMOVES services)', {
    form: 'postgres:// connection string',
    secret: true,
  }),
  supabaseUrl: envUrl('SUPABASE_URL', 'Supabase project URL'),
  supabaseKey: envString('SUPABASE_SERVICE_ROLE_KEY', 'Supabase service-role key', { secret: true }),
  qdrantUrl: envUrl('QDRANT_URL', 'Qdrant REST URL'),
  qdrantApiKey: envString('QDRANT_API_KEY', 'Qdrant API key', { secret: true }),
  qdrantCollection: envString(
    'CLIP_INDEX_QDRANT_COLLECTION',
    'Qdrant collection of the index (never pmoves_chunks)',
    {
      default: DEFAULT_QDRANT_COLLECTION,
    },
  ),
};

/** The variables {@link clipIndexOptionsFromEnv} reads (a part of `CLIP_ENV_VARS`, which lists every variable of the package). */
export const CLIP_INDEX_ENV_VARS = envVarInfo(Object.values(INDEX_FIELDS));

/**
 * Index options from `env`: `CLIP_INDEX_STORE` picks the store (default `pglite`, file-backed at
 * `CLIP_INDEX_PATH` or in memory), and each store reads its own variables.
 *
 * @throws ClipError `config` naming every bad or missing variable at once
 */
export function clipIndexOptionsFromEnv(env: Env = process.env): ClipIndexEnvOptions {
  const reader = new EnvReader(env);
  const options = readClipIndexEnv(reader);
  reader.finish(configError);
  return options;
}

/**
 * {@link clipIndexOptionsFromEnv} on a reader shared with other variables (a CLI reads them all and
 * reports every bad one in one error); the caller calls `finish()`.
 *
 * @internal
 */
export function readClipIndexEnv(r: EnvReader): ClipIndexEnvOptions {
  const kind = r.get(INDEX_FIELDS.store);
  const dims = r.get(INDEX_FIELDS.dims);
  const table = r.get(INDEX_FIELDS.table);
  const efSearch = r.get(INDEX_FIELDS.efSearch);
  const timeoutMs = r.get(INDEX_FIELDS.timeout);
  const namespace = r.get(INDEX_FIELDS.namespace);
  const model = r.get(INDEX_FIELDS.model);
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(table))
    r.issue('CLIP_INDEX_TABLE', 'must be a lowercase SQL identifier ([a-z_][a-z0-9_]*)');
  const need = (name: string, value: string | undefined, why: string): string => {
    if (value === undefined) r.issue(name, `must be set when ${why}`);
    return value ?? '';
  };
  let store: ClipStoreConfig;
  switch (kind) {
    case 'memory':
      store = { kind, dims };
      break;
    case 'postgres': {
      const cs = r.get(INDEX_FIELDS.databaseUrl) ?? r.get(INDEX_FIELDS.sharedDatabaseUrl);
      if (cs !== undefined && !/^postgres(ql)?:\/\//.test(cs)) {
        r.issue(
          r.has('CLIP_INDEX_DATABASE_URL') ? 'CLIP_INDEX_DATABASE_URL' : 'DATABASE_URL',
          'must be a postgres:// connection string',
        );
      }
      store = {
        kind,
        connectionString: need('CLIP_INDEX_DATABASE_URL', cs, 'CLIP_INDEX_STORE=postgres (or DATABASE_URL)'),
        dims,
        table,
        efSearch,
        timeoutMs,
      };
      break;
    }
    case 'supabase':
      store = {
        kind,
        url: need('SUPABASE_URL', r.get(INDEX_FIELDS.supabaseUrl), 'CLIP_INDEX_STORE=supabase'),
        key: need('SUPABASE_SERVICE_ROLE_KEY', r.get(INDEX_FIELDS.supabaseKey), 'CLIP_INDEX_STORE=supabase'),
        dims,
        table,
        efSearch,
        timeoutMs,
      };
      break;
    case 'qdrant': {
      const collection = r.get(INDEX_FIELDS.qdrantCollection);
      if (collection === 'pmoves_chunks') {
        r.issue(
          'CLIP_INDEX_QDRANT_COLLECTION',
          "must not be pmoves_chunks (hi-rag's text chunks, recreated by upstream)",
        );
      }
      const apiKey = r.get(INDEX_FIELDS.qdrantApiKey);
      store = {
        kind,
        url: need('QDRANT_URL', r.get(INDEX_FIELDS.qdrantUrl), 'CLIP_INDEX_STORE=qdrant'),
        ...(apiKey ? { apiKey } : {}),
        collection,
        dims,
        efSearch,
        timeoutMs,
      };
      break;
    }
    default: {
      const path = r.get(INDEX_FIELDS.path);
      store = { kind: 'pglite', ...(path ? { path } : {}), dims, table, efSearch };
    }
  }
  return { store, namespace, ...(model ? { model } : {}) };
}

/** Open a store (its driver is imported now). */
export async function createClipStore(config: ClipStoreConfig): Promise<ClipVectorStore> {
  switch (config?.kind) {
    case 'pglite': {
      const { createPgliteClipStore } = await import('./stores/pglite');
      const { kind: _k, ...o } = config;
      return createPgliteClipStore(o);
    }
    case 'memory': {
      const { createMemoryClipStore } = await import('./stores/memory');
      return createMemoryClipStore({ ...(config.dims ? { dims: config.dims } : {}) });
    }
    case 'postgres': {
      const { createPostgresClipStore } = await import('./stores/postgres');
      const { kind: _k, ...o } = config;
      return createPostgresClipStore(o);
    }
    case 'supabase': {
      const { createSupabaseClipStore } = await import('./stores/supabase');
      const { kind: _k, ...o } = config;
      return createSupabaseClipStore(o);
    }
    case 'qdrant': {
      const { createQdrantClipStore } = await import('./stores/qdrant');
      const { kind: _k, ...o } = config;
      return createQdrantClipStore(o);
    }
    default:
      throw new ClipError(
        'invalid-input',
        `unknown index store ${JSON.stringify((config as { kind?: unknown })?.kind)}`,
      );
  }
}

/**
 * The index the environment configures: {@link clipIndexOptionsFromEnv}, {@link createClipStore},
 * then {@link createClipIndex} with your embedder (local or remote).
 *
 * ```ts
 * const index = await createClipIndexFromEnv(process.env, { embedder });
 * const match = await index.bestMatch({ image: thumbnailBytes }); // → meta.clip_best_match
 * ```
 */
export async function createClipIndexFromEnv(
  env: Env = process.env,
  options: { embedder?: ClipEmbedder; space?: Partial<EmbeddingSpace> } = {},
): Promise<ClipIndex> {
  const o = clipIndexOptionsFromEnv(env);
  const store = await createClipStore(o.store);
  try {
    return await createClipIndex({
      store,
      ...(options.embedder ? { embedder: options.embedder } : {}),
      space: { ...(o.model ? { model: o.model } : {}), ...options.space },
      namespace: o.namespace,
    });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
