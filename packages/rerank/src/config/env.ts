// Configuration from the environment, with PMOVES's hi-rag gateway variable names and defaults:
// the one place this package reads an environment. Pure parsers return the options the factories
// take; the `…FromEnv` helpers compose the two. Every bad variable is collected and reported in
// one `config` error. Deliberate difference from upstream: an unknown provider or fusion name, or
// a malformed value, is a start-up error naming the accepted values (upstream logs a warning and
// swaps in a default).
import { isAbsolute } from 'node:path';
import {
  envBoolean,
  envEnum,
  envInteger,
  EnvReader,
  envList,
  envSeconds,
  envString,
  envUrl,
  EnvValueError,
  envVarInfo,
  type Env,
  type EnvField,
  type EnvIssue,
  type EnvVarInfo,
} from '@pmoves/internal';
import { createReranker, type Reranker } from '../chain/reranker';
import { RerankError } from '../errors';
import {
  createHiRagAdapter,
  HIRAG_DEFAULTS,
  type HiRagAdapter,
  type HiRagAdapterOptions,
} from '../hirag/adapter';
import type { ClipProviderOptions } from '../providers/clip/provider';
import { loadClipConfig, type ClipConfigModule } from '../providers/clip/load';
import { createProvider, type ProviderConfig } from '../providers/create';

export type { Env };

/** Provider names accepted in `RERANK_PROVIDER` / `RERANK_FALLBACK`, and what each means. */
export const PROVIDER_ALIASES: Readonly<
  Record<string, { provider: ProviderConfig['provider']; path?: string }>
> = {
  flag: { provider: 'flag' },
  tei: { provider: 'flag' },
  cohere: { provider: 'cohere', path: '/v2/rerank' },
  jina: { provider: 'cohere', path: '/v1/rerank' },
  vllm: { provider: 'cohere', path: '/v1/rerank' },
  infinity: { provider: 'cohere', path: '/rerank' },
  tensorzero: { provider: 'tensorzero' },
  tz: { provider: 'tensorzero' },
  tzero: { provider: 'tensorzero' },
  clip: { provider: 'clip' },
  none: { provider: 'none' },
};
const NAMES = Object.keys(PROVIDER_ALIASES);

function providerName(raw: string): string {
  const key = raw.toLowerCase();
  if (!(key in PROVIDER_ALIASES)) throw new EnvValueError(`must be one of ${NAMES.join(', ')}`);
  return key;
}

function absolutePath(raw: string): string {
  if (!isAbsolute(raw)) throw new EnvValueError('must be an absolute directory');
  return raw;
}

// The chain's variables.
const CHAIN = {
  provider: envEnum('RERANK_PROVIDER', 'primary rerank provider', NAMES, { default: 'flag' }),
  fallback: envList('RERANK_FALLBACK', 'fallback providers, in order (duplicates dropped)', {
    form: 'comma-separated provider names',
    item: providerName,
  }),
  model: envString('RERANK_MODEL', 'cross-encoder label for flag, `model` sent to Cohere-shaped servers', {
    default: 'Qwen/Qwen3-Reranker-4B',
    form: 'model id',
  }),
  url: envUrl('RERANK_URL', 'base URL of the flag (TEI) or Cohere-shaped server'),
  path: envString('RERANK_PATH', 'path of the Cohere-shaped endpoint (default per alias)', {
    form: 'URL path',
  }),
  apiKey: envString('RERANK_API_KEY', 'Bearer token of the flag or Cohere-shaped server', {
    secret: true,
    form: 'secret',
  }),
  timeout: envSeconds('RERANK_TIMEOUT', 'budget of the whole chain (each provider gets at most its share)', {
    default: 30,
  }),
  providerTimeout: envSeconds(
    'RERANK_PROVIDER_TIMEOUT',
    'per-call timeout of flag and Cohere-shaped servers',
    {
      default: 10,
    },
  ),
  breakerThreshold: envInteger(
    'RERANK_BREAKER_THRESHOLD',
    "consecutive failures that open a provider's breaker",
    {
      default: 3,
      min: 1,
    },
  ),
  breakerCooldown: envSeconds(
    'RERANK_BREAKER_COOLDOWN',
    'cool-down of an open breaker before its trial call',
    {
      default: 30,
    },
  ),
  tzUrl: envUrl('TENSORZERO_BASE_URL', 'TensorZero gateway (required by tensorzero)'),
  tzFunction: envString('TENSORZERO_RERANK_FUNCTION', 'TensorZero function invoked', {
    default: 'hi_rag_rerank',
    form: 'name',
  }),
  tzTimeout: envSeconds('TENSORZERO_RERANK_TIMEOUT', 'per-call timeout of tensorzero', { default: 20 }),
  tzKey: envString('TENSORZERO_API_KEY', 'Bearer token of the TensorZero gateway', {
    secret: true,
    form: 'secret',
  }),
} as const;

// The CLIP provider's own variables. Everything else of CLIP is parsed by @pmoves/clip's own
// parsers (@pmoves/clip/config): `clipSetupFromEnv` picks the remote client (CLIP_ENDPOINT, its
// retries, token, expected model…) or the local embedder (CLIP_MODEL, CLIP_MODEL_PATH, CLIP_DTYPE,
// CLIP_DEVICE, HF_*…), and `imageFetchOptionsFromEnv` reads CLIP_IMAGE_FETCH_*. CLIP_TIMEOUT is
// read here too, as the provider's per-call timeout (the remote client reads it as its budget).
const CLIP = {
  timeout: envSeconds('CLIP_TIMEOUT', 'per-call timeout of the CLIP provider (includes loading the model)', {
    default: 30,
  }),
  cacheSize: envInteger('CLIP_RERANK_CACHE_SIZE', 'CLIP provider embedding cache', {
    default: 10_000,
    min: 1,
    unit: 'entries',
  }),
  mediaRoots: envList(
    'RERANK_MEDIA_ROOTS',
    'directories local image paths may be read from (default: none)',
    {
      form: 'comma-separated absolute directories',
      item: absolutePath,
    },
  ),
} as const;

// The hi-rag adapter's variables.
const HIRAG = {
  enabled: envBoolean('RERANK_ENABLE', 'default of the request’s use_rerank', {
    default: HIRAG_DEFAULTS.enabled,
  }),
  topn: envInteger('RERANK_TOPN', 'pool taken from retrieval before reranking', {
    default: HIRAG_DEFAULTS.topn,
    min: 1,
  }),
  k: envInteger('RERANK_K', 'hits returned, at most RERANK_TOPN', { default: HIRAG_DEFAULTS.k, min: 1 }),
  fusion: envEnum('RERANK_FUSION', 'score fusion', ['mul', 'wsum'] as const, {
    default: HIRAG_DEFAULTS.fusion,
  }),
} as const;

/** Every environment variable this package reads (name, meaning, form, default). */
export const RERANK_ENV_VARS: readonly EnvVarInfo[] = envVarInfo([
  ...Object.values(CHAIN),
  ...Object.values(CLIP),
  ...Object.values(HIRAG),
] as EnvField<unknown, unknown>[]);

/** What {@link rerankerOptionsFromEnv} returns: `createReranker`'s options, with providers as configurations. */
export interface RerankerEnvOptions {
  /** The chain, primary first (aliases resolved, duplicates dropped); see `createProvider`. */
  providers: ProviderConfig[];
  /** `RERANK_TIMEOUT`, ms: the budget of the whole chain. */
  timeoutMs: number;
  /** `RERANK_BREAKER_THRESHOLD` and `RERANK_BREAKER_COOLDOWN` (ms). */
  breaker: { threshold: number; cooldownMs: number };
}

const configError = (message: string, issues: readonly EnvIssue[]) =>
  new RerankError('config', message, { issues });

/** A reader's `get` that reads each field once (a variable several providers share is reported once). */
function once(reader: EnvReader) {
  const seen = new Map<EnvField<unknown, unknown>, unknown>();
  return <T, R>(f: EnvField<T, R>): T | R => {
    if (!seen.has(f)) seen.set(f, reader.get(f));
    return seen.get(f) as T | R;
  };
}

/** Records an issue for a variable a provider needs and nobody set (once per variable). */
function required(reader: EnvReader, name: string, who: string): void {
  if (!reader.issues.some((i) => i.variable === name))
    reader.issue(name, `must be set: the ${who} provider needs it`);
}

/**
 * Runs one of clip's parsers and records its issues (a ClipError `config` carries them all); a
 * variable this reader has already reported (CLIP_TIMEOUT, read by both) is reported once.
 */
function absorbClip<T>(reader: EnvReader, clip: ClipConfigModule, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    const issues = (err as { issues?: unknown }).issues;
    if (!clip.isClipError(err) || !Array.isArray(issues) || issues.length === 0) throw err;
    const seen = new Set(reader.issues.map((i) => i.variable));
    reader.absorb((issues as EnvIssue[]).filter((i) => !seen.has(i.variable)));
    return undefined;
  }
}

async function readClipOptions(
  reader: EnvReader,
  get: ReturnType<typeof once>,
  variable: string,
): Promise<ClipProviderOptions> {
  const mediaRoots = get(CLIP.mediaRoots);
  const options: ClipProviderOptions = {
    timeoutMs: get(CLIP.timeout),
    cacheSize: get(CLIP.cacheSize),
    ...(mediaRoots ? { mediaRoots } : {}),
  };
  let clip: ClipConfigModule;
  try {
    clip = await loadClipConfig();
  } catch {
    reader.issue(
      variable,
      'names clip, which needs the optional peer dependency @pmoves/clip (npm install @pmoves/clip)',
    );
    return options;
  }
  // Remote or local, as @pmoves/clip decides it; a bad variable of either fails here, at start-up.
  const setup = absorbClip(reader, clip, () => clip.clipSetupFromEnv(reader.env));
  if (setup?.kind === 'remote') {
    const { endpoint, timeoutMs: _budget, ...remoteOptions } = setup.options;
    void _budget; // the provider's own timeout (CLIP_TIMEOUT, read above) bounds each call
    options.endpoint = endpoint;
    options.remoteOptions = remoteOptions;
  } else if (setup) options.embedderOptions = setup.options;
  const fetchOptions = absorbClip(reader, clip, () => clip.imageFetchOptionsFromEnv(reader.env));
  if (fetchOptions) options.fetchOptions = fetchOptions;
  return options;
}

async function readChain(reader: EnvReader): Promise<RerankerEnvOptions> {
  const get = once(reader);
  const names = [
    { name: get(CHAIN.provider), variable: 'RERANK_PROVIDER' },
    ...(get(CHAIN.fallback) ?? []).map((name) => ({ name, variable: 'RERANK_FALLBACK' })),
  ];
  const chain = names
    .map((n) => ({ ...n, ...PROVIDER_ALIASES[n.name]! }))
    .filter((e, i, all) => all.findIndex((o) => o.provider === e.provider && o.path === e.path) === i);
  const model = get(CHAIN.model);
  const apiKey = () => {
    const key = get(CHAIN.apiKey);
    return key ? { apiKey: key } : {};
  };
  const url = (who: string) => {
    const u = get(CHAIN.url);
    if (u === undefined) required(reader, 'RERANK_URL', who);
    return u ?? 'http://invalid.invalid';
  };
  const providers: ProviderConfig[] = [];
  for (const entry of chain) {
    switch (entry.provider) {
      case 'flag':
        providers.push({
          provider: 'flag',
          options: { url: url(entry.name), model, timeoutMs: get(CHAIN.providerTimeout), ...apiKey() },
        });
        break;
      case 'cohere':
        providers.push({
          provider: 'cohere',
          options: {
            id: entry.name,
            url: url(entry.name),
            path: get(CHAIN.path) ?? entry.path ?? '/v2/rerank',
            model,
            timeoutMs: get(CHAIN.providerTimeout),
            ...apiKey(),
          },
        });
        break;
      case 'tensorzero': {
        const baseUrl = get(CHAIN.tzUrl);
        if (baseUrl === undefined) required(reader, 'TENSORZERO_BASE_URL', entry.name);
        const key = get(CHAIN.tzKey);
        providers.push({
          provider: 'tensorzero',
          options: {
            baseUrl: baseUrl ?? 'http://invalid.invalid',
            functionName: get(CHAIN.tzFunction),
            timeoutMs: get(CHAIN.tzTimeout),
            ...(key ? { apiKey: key } : {}),
          },
        });
        break;
      }
      case 'clip':
        providers.push({ provider: 'clip', options: await readClipOptions(reader, get, entry.variable) });
        break;
      case 'none':
        providers.push({ provider: 'none' });
        break;
    }
  }
  return {
    providers,
    timeoutMs: get(CHAIN.timeout),
    breaker: { threshold: get(CHAIN.breakerThreshold), cooldownMs: get(CHAIN.breakerCooldown) },
  };
}

function readHiRag(reader: EnvReader): HiRagAdapterOptions & { warnings: string[] } {
  const topn = reader.get(HIRAG.topn);
  let k = reader.get(HIRAG.k);
  const warnings: string[] = [];
  if (k > topn) {
    warnings.push(`RERANK_K ${k} exceeds RERANK_TOPN ${topn}; truncating to topn`);
    k = topn;
  }
  return { enabled: reader.get(HIRAG.enabled), topn, k, fusion: reader.get(HIRAG.fusion), warnings };
}

/**
 * The chain's options from the environment (`RERANK_PROVIDER`, `RERANK_FALLBACK`, the providers'
 * variables, `RERANK_TIMEOUT`, the breaker's), without creating anything. Asynchronous because a
 * chain with `clip` loads `@pmoves/clip/config` (the optional peer, without onnxruntime) to parse
 * the `CLIP_*` variables with clip's own parsers. Throws one `config` {@link RerankError}
 * naming every bad variable (its `issues` list them).
 */
export async function rerankerOptionsFromEnv(env: Env): Promise<RerankerEnvOptions> {
  const reader = new EnvReader(env);
  const options = await readChain(reader);
  reader.finish(configError);
  return options;
}

/** A reranker from the environment: {@link rerankerOptionsFromEnv}, then `createProvider` and `createReranker`. */
export async function createRerankerFromEnv(env: Env): Promise<Reranker> {
  const options = await rerankerOptionsFromEnv(env);
  return createReranker({ ...options, providers: options.providers.map(createProvider) });
}

/**
 * The hi-rag adapter's settings from the environment (`RERANK_ENABLE`, `RERANK_TOPN`, `RERANK_K`,
 * `RERANK_FUSION`) and their warnings (`RERANK_K` above `RERANK_TOPN` is capped). Throws one
 * `config` {@link RerankError} naming every bad variable.
 */
export function hiRagSettingsFromEnv(env: Env): HiRagAdapterOptions & { warnings: string[] } {
  const reader = new EnvReader(env);
  const settings = readHiRag(reader);
  reader.finish(configError);
  return settings;
}

/**
 * The hi-rag adapter over a reranker, both from the environment; one `config` {@link RerankError}
 * names every bad variable of either. Asynchronous for the same reason as {@link rerankerOptionsFromEnv}.
 */
export async function createHiRagAdapterFromEnv(env: Env): Promise<HiRagAdapter> {
  const reader = new EnvReader(env);
  const settings = readHiRag(reader);
  const options = await readChain(reader);
  reader.finish(configError);
  const reranker = createReranker({ ...options, providers: options.providers.map(createProvider) });
  return createHiRagAdapter(reranker, settings);
}
