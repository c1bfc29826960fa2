// Options of the remote client: the zod schema the factory validates with, and the pure
// environment parser (`CLIP_ENDPOINT` with one or more servers, timeouts in seconds).
import {
  envInteger,
  envList,
  envSeconds,
  EnvReader,
  parseHttpUrl,
  type Env,
  type EnvField,
} from '@pmoves/internal';
import { z } from 'zod';
import { EMBEDDER_FIELDS } from '../config/fields';
import { configError } from '../config/read';
import { SERVER_ENV } from '../server/options';

const httpUrl = z.url({ protocol: /^https?$/ });

/** Options of `createRemoteClipEmbedder` (validated with zod). */
export const RemoteClipOptionsSchema = z.object({
  /** Base URL of a `pmoves-clip` server, or several (requests are spread; a failing one is skipped). */
  endpoint: z.union([httpUrl, z.array(httpUrl).min(1)]),
  /** Budget of one `embedImages`/`embedTexts` call, retries and waits included, ms. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Longest single HTTP attempt, ms (default: whatever is left of `timeoutMs`). */
  attemptTimeoutMs: z.number().int().positive().optional(),
  /** Retries after the first attempt (429, 503, other 5xx, network errors, attempt timeouts). */
  retries: z.number().int().min(0).max(20).default(3),
  /** Longest time a failing server is skipped before it is tried again, ms. */
  cooldownMs: z.number().int().positive().default(30_000),
  /** Items per request (keep ≤ the server's `maxBatch`). */
  batchSize: z.number().int().positive().default(32),
  /** Requests of one call in flight at once (default: one per server). */
  concurrency: z.number().int().positive().max(256).optional(),
  /** Bearer token sent as `Authorization: Bearer …` (the server's `CLIP_SERVER_TOKEN`). */
  token: z.string().min(1).optional(),
  /** The model the servers must serve (`CLIP_MODEL`); a server serving another one is an error. */
  expectedModel: z.string().min(1).optional(),
  /** The embedding dimensions the caller expects (e.g. its vector column); others are an error. */
  expectedDims: z.number().int().positive().optional(),
  /** Extra headers (e.g. for a proxy in front of the server). */
  headers: z.record(z.string(), z.string()).default({}),
  /** `fetch` implementation (default: global fetch). */
  fetch: z
    .custom<typeof fetch>((v) => typeof v === 'function', { message: 'fetch must be a function' })
    .optional(),
});

/** Options accepted by `createRemoteClipEmbedder`. */
export type RemoteClipOptions = z.input<typeof RemoteClipOptionsSchema>;

/**
 * The remote client's own environment variables (listed in `CLIP_ENV_VARS`); it reads the
 * server's `CLIP_SERVER_TOKEN` and the embedder's `CLIP_MODEL` too.
 */
export const REMOTE_ENV = {
  endpoint: envList<string>(
    'CLIP_ENDPOINT',
    'CLIP server(s) to use instead of a local model; comma-separated to spread load',
    {
      form: 'comma-separated http(s) URLs',
      item: (raw) => {
        parseHttpUrl(raw);
        return raw;
      },
    },
  ),
  timeout: envSeconds('CLIP_TIMEOUT', 'budget of one remote call, retries included', { default: 30 }),
  attemptTimeout: envSeconds(
    'CLIP_ATTEMPT_TIMEOUT',
    'longest single HTTP attempt (default: what is left of CLIP_TIMEOUT)',
  ),
  retries: envInteger('CLIP_RETRIES', 'retries of a remote call (429, 503, 5xx, network errors)', {
    default: 3,
    min: 0,
    max: 20,
  }),
  cooldown: envSeconds('CLIP_ENDPOINT_COOLDOWN', 'longest time a failing server is skipped', { default: 30 }),
  batchSize: envInteger('CLIP_REMOTE_BATCH_SIZE', 'items per request to the server', {
    default: 32,
    min: 1,
    unit: 'items',
  }),
} satisfies Record<string, EnvField<unknown, unknown>>;

/**
 * Remote client options from the environment: `CLIP_ENDPOINT` (one or more comma-separated
 * http(s) URLs, required), `CLIP_TIMEOUT`, `CLIP_ATTEMPT_TIMEOUT`, `CLIP_ENDPOINT_COOLDOWN`
 * (seconds), `CLIP_RETRIES`, `CLIP_REMOTE_BATCH_SIZE`, `CLIP_SERVER_TOKEN` (sent as a bearer token)
 * and `CLIP_MODEL` (the model the servers must serve). Pure: reads only `env`. Unset variables
 * take their documented defaults (the schema's), so the options are complete. Throws one
 * `ClipError('config')` naming every bad variable.
 */
export function remoteClipOptionsFromEnv(env: Env): RemoteClipOptions {
  const r = new EnvReader(env);
  const e = REMOTE_ENV;
  const endpoints = r.get(e.endpoint);
  if (!endpoints?.length && !r.issues.some((i) => i.variable === 'CLIP_ENDPOINT'))
    r.issue('CLIP_ENDPOINT', 'is not set (one or more comma-separated http(s) URLs of CLIP servers)');
  const attemptTimeoutMs = r.get(e.attemptTimeout);
  const token = r.get(SERVER_ENV.token);
  // CLIP_MODEL as written: its default names the local embedder's model, not one to insist on.
  const expectedModel = r.has(EMBEDDER_FIELDS.model.info.name) ? r.get(EMBEDDER_FIELDS.model) : undefined;
  const out: RemoteClipOptions = {
    endpoint: endpoints && endpoints.length === 1 ? endpoints[0]! : (endpoints ?? []),
    timeoutMs: r.get(e.timeout),
    retries: r.get(e.retries),
    cooldownMs: r.get(e.cooldown),
    batchSize: r.get(e.batchSize),
    ...(attemptTimeoutMs !== undefined ? { attemptTimeoutMs } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(expectedModel !== undefined ? { expectedModel } : {}),
  };
  r.finish(configError);
  return out;
}
