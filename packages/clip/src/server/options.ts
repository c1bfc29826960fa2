// Options of the embedding server: the zod schema the factories validate with, and the pure
// environment parser that produces them (every bad variable named in one `config` error).
import { envInteger, envSeconds, envString, EnvReader, type Env, type EnvField } from '@pmoves/internal';
import { z } from 'zod';
import { absorbConfig, configError } from '../config/read';
import { imageFetchOptionsFromEnv } from '../fetch/env';
import type { ImageFetchOptions } from '../fetch/fetch-image';
import type { ClipEmbedder } from '../types';

const isEmbedder = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && 'embedImages' in v && 'embedTexts' in v && 'info' in v;
const isPromise = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** Options of `createClipServer` (validated with zod). */
export const ClipServerOptionsSchema = z.object({
  /**
   * The embedder that does the work (local, or anything implementing `ClipEmbedder`), or a promise
   * of it: until it resolves `/readyz` answers 503 and embedding routes 503 `loading`.
   */
  embedder: z.custom<ClipEmbedder | Promise<ClipEmbedder>>((v) => isEmbedder(v) || isPromise(v), {
    message: 'embedder must implement ClipEmbedder (or be a promise of one)',
  }),
  /** Image fetch policy and limits for URL inputs. */
  fetchOptions: z.record(z.string(), z.unknown()).default({}),
  /** Largest number of items per request. */
  maxBatch: z.number().int().positive().default(64),
  /** Largest request body, bytes. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** Per-request deadline, ms (fetching, queueing and embedding). */
  requestTimeoutMs: z.number().int().positive().default(60_000),
  /** Longest text accepted, characters (the tokenizer truncates to the model's context anyway). */
  maxTextChars: z.number().int().positive().default(10_000),
  /** Largest model batch formed from the items of concurrent requests. */
  modelBatch: z.number().int().positive().max(4096).default(32),
  /** Longest wait of the oldest item for a fuller model batch, ms (0: none). */
  batchWaitMs: z.number().int().nonnegative().max(10_000).default(5),
  /** Model batches running at once (2: one preprocesses while the other is in inference). */
  batchConcurrency: z.number().int().positive().max(64).default(2),
  /** Items admitted at once (queued, fetching or embedding); past it, 429 with Retry-After. */
  maxQueueItems: z.number().int().positive().default(256),
  /** Request bodies being read at once, bytes (by Content-Length); past it, 429 before reading. */
  maxPendingBodyBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** Bearer token every route but `/healthz` requires; unset: no authentication. */
  token: z.string().min(1).optional(),
  /** Model id served in `/v1/models` and answers; default the embedder's `info().model`. */
  modelName: z.string().min(1).optional(),
  /** Include Node's process metrics (memory, CPU, event loop) in `/metrics`. */
  processMetrics: z.boolean().default(true),
});

/** Options accepted by `createClipServer`. */
export type ClipServerOptions = z.input<typeof ClipServerOptionsSchema> & {
  fetchOptions?: ImageFetchOptions;
};

/**
 * The server's own environment variables (the embedder's and the fetcher's are read by their
 * parsers); listed in `CLIP_ENV_VARS`.
 */
export const SERVER_ENV = {
  port: envInteger('PORT', 'TCP port the server listens on', { default: 8095, min: 0, max: 65535 }),
  host: envString('HOST', 'interface to listen on (0.0.0.0 to expose it)', {
    default: '127.0.0.1',
    form: 'host name or address',
  }),
  maxBatch: envInteger('CLIP_SERVER_MAX_BATCH', 'items per request', { default: 64, min: 1, unit: 'items' }),
  maxBodyBytes: envInteger('CLIP_SERVER_MAX_BODY_BYTES', 'request body limit', {
    default: 32 * 1024 * 1024,
    min: 1,
    unit: 'bytes',
  }),
  requestTimeout: envSeconds('CLIP_SERVER_TIMEOUT', 'deadline of one request', { default: 60 }),
  modelBatch: envInteger('CLIP_SERVER_MODEL_BATCH', 'largest model batch coalesced across requests', {
    default: 32,
    min: 1,
    max: 4096,
    unit: 'items',
  }),
  batchWaitMs: envInteger('CLIP_SERVER_BATCH_WAIT_MS', 'longest wait for a fuller model batch', {
    default: 5,
    min: 0,
    max: 10_000,
    unit: 'ms',
  }),
  batchConcurrency: envInteger('CLIP_SERVER_BATCH_CONCURRENCY', 'model batches running at once', {
    default: 2,
    min: 1,
    max: 64,
  }),
  maxQueue: envInteger('CLIP_SERVER_MAX_QUEUE', 'items admitted at once; past it 429 + Retry-After', {
    default: 256,
    min: 1,
    unit: 'items',
  }),
  maxPendingBodyBytes: envInteger(
    'CLIP_SERVER_MAX_PENDING_BODY_BYTES',
    'request bodies read at once; past it 429 before reading',
    { default: 64 * 1024 * 1024, min: 1, unit: 'bytes' },
  ),
  token: envString(
    'CLIP_SERVER_TOKEN',
    'bearer token required on every route but /healthz (server and client)',
    {
      secret: true,
      form: 'secret',
    },
  ),
  modelName: envString(
    'CLIP_SERVER_MODEL_NAME',
    'model id the server announces (default: the loaded model)',
    {
      form: 'model id',
    },
  ),
  shutdownTimeout: envSeconds(
    'CLIP_SERVER_SHUTDOWN_TIMEOUT',
    'longest wait for accepted requests on shutdown',
    {
      default: 30,
    },
  ),
} satisfies Record<string, EnvField<unknown, unknown>>;

/** What `clipServerOptionsFromEnv` returns: every server option but the embedder, and where to listen. */
export type ClipServerEnvOptions = Omit<ClipServerOptions, 'embedder'> & {
  port: number;
  host: string;
  shutdownTimeoutMs: number;
};

/**
 * Server options from the environment: `PORT`, `HOST`, `CLIP_SERVER_*` and the image fetcher's
 * `CLIP_IMAGE_FETCH_*`. Pure: reads only `env`. Throws one `ClipError('config')` naming every bad
 * variable.
 */
export function clipServerOptionsFromEnv(env: Env): ClipServerEnvOptions {
  const r = new EnvReader(env);
  const e = SERVER_ENV;
  const fetchOptions = absorbConfig(r, () => imageFetchOptionsFromEnv(env), {});
  const token = r.get(e.token);
  const modelName = r.get(e.modelName);
  const out: ClipServerEnvOptions = {
    port: r.get(e.port),
    host: r.get(e.host),
    fetchOptions,
    maxBatch: r.get(e.maxBatch),
    maxBodyBytes: r.get(e.maxBodyBytes),
    requestTimeoutMs: r.get(e.requestTimeout),
    modelBatch: r.get(e.modelBatch),
    batchWaitMs: r.get(e.batchWaitMs),
    batchConcurrency: r.get(e.batchConcurrency),
    maxQueueItems: r.get(e.maxQueue),
    maxPendingBodyBytes: r.get(e.maxPendingBodyBytes),
    shutdownTimeoutMs: r.get(e.shutdownTimeout),
    ...(token !== undefined ? { token } : {}),
    ...(modelName !== undefined ? { modelName } : {}),
  };
  r.finish(configError);
  return out;
}
