// Configuration from the environment, with PMOVES's hi-rag gateway variable names and defaults.
// Deliberate differences from upstream: an unknown provider or fusion name, and a malformed number,
// is a startup error naming the accepted values (upstream logs a warning and swaps in a default).
import { createReranker, type Reranker, type RerankerOptions } from '../chain/reranker';
import { RerankError } from '../errors';
import { FusionModeSchema, type FusionMode } from '../fusion/fuse';
import { createClipProvider } from '../providers/clip';
import { createCohereProvider } from '../providers/cohere';
import { createNoneProvider } from '../providers/none';
import { createTeiProvider } from '../providers/tei';
import { createTensorZeroProvider } from '../providers/tensorzero';
import type { RerankProvider } from '../types';

/** Environment to read (e.g. `process.env`). */
export type Env = Record<string, string | undefined>;

/** Provider names accepted in `RERANK_PROVIDER` / `RERANK_FALLBACK`, and what each means. */
export const PROVIDER_ALIASES: Readonly<Record<string, { provider: string; path?: string }>> = {
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

const TRUE = new Set(['1', 'true', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'off']);

/** Parsed rerank configuration (see {@link parseRerankEnv}). */
export interface RerankEnvConfig {
  /** `RERANK_ENABLE` (default true). */
  enabled: boolean;
  /** Canonical primary provider, then fallbacks, in order (aliases resolved). */
  chain: { name: string; provider: string; path?: string }[];
  /** `RERANK_MODEL`. */
  model: string;
  /** `RERANK_TOPN` (default 50). */
  topn: number;
  /** `RERANK_K` (default 10, capped at topn). */
  k: number;
  /** `RERANK_FUSION` (default mul). */
  fusion: FusionMode;
  /** `RERANK_TIMEOUT` in ms (seconds in the env; default 30 s): budget of the whole chain. */
  timeoutMs: number;
  /** Per-call timeout of flag/cohere, ms (`RERANK_PROVIDER_TIMEOUT`, seconds, default 10). */
  providerTimeoutMs: number;
  /** Circuit breaker: `RERANK_BREAKER_THRESHOLD` failures (default 3), `RERANK_BREAKER_COOLDOWN` seconds (default 30). */
  breaker: { threshold: number; cooldownMs: number };
  /** Warnings collected while parsing (reported by `status()`). */
  warnings: string[];
}

const DEFAULT_MODEL = 'Qwen/Qwen3-Reranker-4B';

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function positiveInt(env: Env, name: string, def: number): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new RerankError('config', `${name} must be a positive integer; received ${JSON.stringify(raw)}`);
  return n;
}

/** Seconds (decimal allowed) → ms. */
function seconds(env: Env, name: string, defSeconds: number): number {
  const raw = str(env, name);
  if (raw === undefined) return Math.round(defSeconds * 1000);
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new RerankError(
      'config',
      `${name} must be a positive number of seconds; received ${JSON.stringify(raw)}`,
    );
  return Math.round(n * 1000);
}

function resolveName(name: string, variable: string) {
  const key = name.trim().toLowerCase();
  const alias = PROVIDER_ALIASES[key];
  if (!alias) {
    throw new RerankError(
      'config',
      `${variable}: unknown provider ${JSON.stringify(name)}; accepted: ${Object.keys(PROVIDER_ALIASES).join(', ')}`,
    );
  }
  return { name: key, ...alias };
}

/** Parse PMOVES's rerank variables plus `RERANK_FALLBACK`, `RERANK_TIMEOUT` and the breaker settings. */
export function parseRerankEnv(env: Env): RerankEnvConfig {
  const warnings: string[] = [];
  let enabled = true;
  const rawEnable = str(env, 'RERANK_ENABLE');
  if (rawEnable !== undefined) {
    const v = rawEnable.toLowerCase();
    if (TRUE.has(v)) enabled = true;
    else if (FALSE.has(v)) enabled = false;
    else
      throw new RerankError(
        'config',
        `RERANK_ENABLE must be one of ${[...TRUE, ...FALSE].join(', ')}; received ${JSON.stringify(rawEnable)}`,
      );
  }
  const primary = resolveName(str(env, 'RERANK_PROVIDER') ?? 'flag', 'RERANK_PROVIDER');
  const fallback = (str(env, 'RERANK_FALLBACK') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => resolveName(s, 'RERANK_FALLBACK'));
  const chain = [primary, ...fallback].filter(
    (entry, i, all) => all.findIndex((e) => e.provider === entry.provider && e.path === entry.path) === i,
  );
  const rawFusion = (str(env, 'RERANK_FUSION') ?? 'mul').toLowerCase();
  const fusion = FusionModeSchema.safeParse(rawFusion);
  if (!fusion.success) {
    throw new RerankError(
      'config',
      `RERANK_FUSION: unknown fusion ${JSON.stringify(rawFusion)}; accepted: ${FusionModeSchema.options.join(', ')}`,
    );
  }
  const topn = positiveInt(env, 'RERANK_TOPN', 50);
  let k = positiveInt(env, 'RERANK_K', 10);
  if (k > topn) {
    warnings.push(`RERANK_K ${k} exceeds RERANK_TOPN ${topn}; truncating to topn`);
    k = topn;
  }
  return {
    enabled,
    chain,
    model: str(env, 'RERANK_MODEL') ?? DEFAULT_MODEL,
    topn,
    k,
    fusion: fusion.data,
    timeoutMs: seconds(env, 'RERANK_TIMEOUT', 30),
    providerTimeoutMs: seconds(env, 'RERANK_PROVIDER_TIMEOUT', 10),
    breaker: {
      threshold: positiveInt(env, 'RERANK_BREAKER_THRESHOLD', 3),
      cooldownMs: seconds(env, 'RERANK_BREAKER_COOLDOWN', 30),
    },
    warnings,
  };
}

function need(env: Env, name: string, provider: string): string {
  const v = str(env, name);
  if (!v) throw new RerankError('config', `${provider} provider needs ${name}`);
  return v;
}

/** Build one provider from the environment. */
function providerFromEnv(
  entry: RerankEnvConfig['chain'][number],
  cfg: RerankEnvConfig,
  env: Env,
): RerankProvider {
  switch (entry.provider) {
    case 'flag':
      return createTeiProvider({
        url: need(env, 'RERANK_URL', entry.name),
        model: cfg.model,
        timeoutMs: cfg.providerTimeoutMs,
        ...(str(env, 'RERANK_API_KEY') ? { apiKey: str(env, 'RERANK_API_KEY') } : {}),
      });
    case 'cohere':
      return createCohereProvider({
        id: entry.name === 'cohere' ? 'cohere' : entry.name,
        url: need(env, 'RERANK_URL', entry.name),
        path: str(env, 'RERANK_PATH') ?? entry.path ?? '/v2/rerank',
        model: cfg.model,
        timeoutMs: cfg.providerTimeoutMs,
        ...(str(env, 'RERANK_API_KEY') ? { apiKey: str(env, 'RERANK_API_KEY') } : {}),
      });
    case 'tensorzero':
      return createTensorZeroProvider({
        baseUrl: need(env, 'TENSORZERO_BASE_URL', 'tensorzero'),
        functionName: str(env, 'TENSORZERO_RERANK_FUNCTION') ?? 'hi_rag_rerank',
        timeoutMs: seconds(env, 'TENSORZERO_RERANK_TIMEOUT', 20),
        ...(str(env, 'TENSORZERO_API_KEY') ? { apiKey: str(env, 'TENSORZERO_API_KEY') } : {}),
      });
    case 'clip':
      return createClipProvider({
        ...(str(env, 'CLIP_ENDPOINT') ? { endpoint: str(env, 'CLIP_ENDPOINT') } : {}),
        ...(str(env, 'CLIP_MODEL') ? { model: str(env, 'CLIP_MODEL') } : {}),
        ...(str(env, 'CLIP_MODEL_PATH') ? { modelPath: str(env, 'CLIP_MODEL_PATH') } : {}),
        timeoutMs: seconds(env, 'CLIP_TIMEOUT', 30),
        cacheSize: positiveInt(env, 'CLIP_RERANK_CACHE_SIZE', 10_000),
        fetchOptions: clipFetchOptionsFromEnv(env),
      });
    default:
      return createNoneProvider();
  }
}

/** The image-fetch part of the CLIP provider's configuration (same variables as `@pmoves/clip/fetch`). */
function clipFetchOptionsFromEnv(env: Env) {
  const out: { allowedHosts?: string[]; allowPrivate?: boolean; timeoutMs?: number; maxBytes?: number } = {};
  const hosts = str(env, 'CLIP_IMAGE_FETCH_ALLOWED_HOSTS');
  if (hosts)
    out.allowedHosts = hosts
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
  const priv = str(env, 'CLIP_IMAGE_FETCH_ALLOW_PRIVATE');
  if (priv) out.allowPrivate = TRUE.has(priv.toLowerCase());
  if (str(env, 'CLIP_IMAGE_FETCH_TIMEOUT')) out.timeoutMs = seconds(env, 'CLIP_IMAGE_FETCH_TIMEOUT', 10);
  if (str(env, 'CLIP_IMAGE_FETCH_MAX_BYTES'))
    out.maxBytes = positiveInt(env, 'CLIP_IMAGE_FETCH_MAX_BYTES', 1);
  return out;
}

/**
 * Build a reranker from the environment (PMOVES's variables; see the README for the full list and
 * units). Throws a `config` {@link RerankError} naming the variable and the accepted values.
 */
export function createRerankerFromEnv(
  env: Env = process.env,
  overrides: Partial<Omit<RerankerOptions, 'providers'>> = {},
): Reranker {
  const cfg = parseRerankEnv(env);
  const providers = cfg.chain.map((entry) => providerFromEnv(entry, cfg, env));
  return createReranker({
    providers,
    timeoutMs: cfg.timeoutMs,
    breaker: cfg.breaker,
    settings: { enabled: cfg.enabled, topn: cfg.topn, k: cfg.k, fusion: cfg.fusion },
    configWarnings: cfg.warnings,
    ...overrides,
  });
}
