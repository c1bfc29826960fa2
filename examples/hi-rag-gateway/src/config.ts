// The gateway's environment: its own variables (upstream's names where upstream has one) and the
// rerank chain's (@pmoves/rerank), with RERANK_PROVIDER defaulting to `clip` here. One error names
// every bad variable.
import { EnvReader, envInteger, envNumber, envSeconds, envString, envUrl, type Env } from '@pmoves/internal';
import {
  createProvider,
  createReranker,
  hiRagSettingsFromEnv,
  isRerankError,
  rerankerOptionsFromEnv,
  type HiRagAdapter,
  type HiRagAdapterOptions,
  type ProviderConfig,
  type RerankerEnvOptions,
} from '@pmoves/rerank';
import { createGatewayHiRag } from './app';
import { absorb, ExampleConfigError } from '../../common/src/env';

/** The gateway's own variables. */
export const GATEWAY_FIELDS = {
  port: envInteger('PORT', 'port the gateway listens on', { default: 8086, min: 0, max: 65535 }),
  host: envString('HOST', 'interface the gateway listens on', { default: '127.0.0.1', form: 'host or IP' }),
  upstream: envUrl(
    'HIRAG_UPSTREAM_URL',
    'sidecar mode: the Python hi-rag-gateway-v2 to retrieve from (unset: sample mode)',
  ),
  upstreamTimeoutMs: envSeconds('HIRAG_UPSTREAM_TIMEOUT', 'per upstream query', { default: 10 }),
  requestTimeoutMs: envSeconds('HIRAG_REQUEST_TIMEOUT', 'budget of one /hirag/query (retrieval + rerank)', {
    default: 60,
  }),
  alpha: envNumber('ALPHA', "default `alpha`: weight of the vector score in upstream's hybrid score", {
    default: 0.7,
    min: 0,
    max: 1,
  }),
  graphBoost: envNumber('GRAPH_BOOST', 'sample mode: added to a hit whose text contains a graph term', {
    default: 0.15,
    min: 0,
  }),
  namespace: envString('INDEXER_NAMESPACE', 'default namespace of a query', { default: 'pmoves' }),
  modelLabel: envString('RERANK_MODEL_LABEL', "model label the status endpoint reports (upstream's)"),
} as const;

/** A validated gateway configuration: its own settings and the rerank chain's and hi-rag adapter's options (nothing created). */
export interface GatewayConfig {
  port: number;
  host: string;
  upstream: string | undefined;
  upstreamTimeoutMs: number;
  requestTimeoutMs: number;
  alpha: number;
  graphBoost: number;
  namespace: string;
  modelLabel: string | undefined;
  /** The environment handed to @pmoves/rerank (RERANK_PROVIDER defaulted to `clip`). */
  rerankEnv: Env;
  /** The chain's options, as `rerankerOptionsFromEnv` parsed them. */
  rerank: RerankerEnvOptions;
  /** What the status endpoint echoes as upstream does: the model path and label, the precision asked for. */
  rerankInfo: { modelPath: string | null; modelLabel: string | null; fp16Requested: boolean | null };
  /** The hi-rag adapter's settings (`RERANK_ENABLE/TOPN/K/FUSION`), as `hiRagSettingsFromEnv` parsed them. */
  hirag: HiRagAdapterOptions;
  warnings: string[];
}

/** The environment the rerank chain reads: RERANK_PROVIDER is `clip` unless set. */
export const rerankEnvFor = (env: Env): Env => ({
  ...env,
  RERANK_PROVIDER: env.RERANK_PROVIDER?.trim() ? env.RERANK_PROVIDER : 'clip',
});

/**
 * Reads and validates everything the gateway needs: its own variables, the rerank chain's
 * (`rerankerOptionsFromEnv`) and the hi-rag adapter's (`hiRagSettingsFromEnv`). Nothing is created
 * and no model is loaded (CLIP loads on the first query).
 *
 * @throws ExampleConfigError naming every bad variable, the gateway's and @pmoves/rerank's together.
 */
export async function loadGatewayConfig(env: Env): Promise<GatewayConfig> {
  const r = new EnvReader(env);
  const own = {
    port: r.get(GATEWAY_FIELDS.port),
    host: r.get(GATEWAY_FIELDS.host),
    upstream: r.get(GATEWAY_FIELDS.upstream),
    upstreamTimeoutMs: r.get(GATEWAY_FIELDS.upstreamTimeoutMs),
    requestTimeoutMs: r.get(GATEWAY_FIELDS.requestTimeoutMs),
    alpha: r.get(GATEWAY_FIELDS.alpha),
    graphBoost: r.get(GATEWAY_FIELDS.graphBoost),
    namespace: r.get(GATEWAY_FIELDS.namespace),
    modelLabel: r.get(GATEWAY_FIELDS.modelLabel),
  };
  const rerankEnv = rerankEnvFor(env);
  const hirag = absorb(r, '@pmoves/rerank', () => hiRagSettingsFromEnv({ ...rerankEnv }), isRerankError);
  // The chain's parser is asynchronous (it loads @pmoves/clip/fetch for clip's own variables); its
  // configuration error joins the gateway's in one message like the synchronous parser's.
  const rerank = await rerankerOptionsFromEnv({ ...rerankEnv }).catch((err: unknown) =>
    absorb<RerankerEnvOptions>(
      r,
      '@pmoves/rerank',
      () => {
        throw err;
      },
      isRerankError,
    ),
  );
  r.finish((message, issues) => new ExampleConfigError(message, issues));
  const { warnings: hiragWarnings = [], ...settings } = hirag!;
  return {
    ...own,
    rerankEnv,
    rerank: rerank!,
    rerankInfo: {
      modelPath: rerankEnv.CLIP_MODEL_PATH?.trim() || null,
      modelLabel: own.modelLabel ?? null,
      // CLIP_DTYPE as asked (clip's parser validated it); what was loaded is the chain's `dtype`.
      fp16Requested: rerankEnv.CLIP_DTYPE?.trim()
        ? rerankEnv.CLIP_DTYPE.trim().toLowerCase() === 'fp16'
        : null,
    },
    hirag: { ...settings, warnings: hiragWarnings },
    warnings: [...r.warnings, ...hiragWarnings],
  };
}

/** Adds directories to the CLIP provider's media roots (a copy; other providers unchanged). */
function withMediaRoots(config: ProviderConfig, roots: readonly string[]): ProviderConfig {
  if (config.provider !== 'clip' || roots.length === 0) return config;
  const options = config.options ?? {};
  return { ...config, options: { ...options, mediaRoots: [...(options.mediaRoots ?? []), ...roots] } };
}

/**
 * The gateway's hi-rag adapter from its configuration: @pmoves/rerank's chain (`createProvider`,
 * `createReranker`) under its hi-rag adapter. `mediaRoots` adds directories the CLIP provider may
 * read local images from — sample mode adds the directory its thumbnails are drawn into.
 */
export function createHiRagFromConfig(
  cfg: Pick<GatewayConfig, 'rerank' | 'hirag'>,
  extra: { mediaRoots?: readonly string[] } = {},
): HiRagAdapter {
  const providers = cfg.rerank.providers.map((p) =>
    createProvider(withMediaRoots(p, extra.mediaRoots ?? [])),
  );
  return createGatewayHiRag(createReranker({ ...cfg.rerank, providers }), cfg.hirag);
}
