// The gateway's HTTP surface: upstream hi-rag-gateway-v2's `POST /hirag/query`,
// `GET /hirag/admin/rerank-status`, `GET /`, plus `/healthz`. Retrieval is the sample index or an
// upstream gateway (sidecar); reranking is @pmoves/rerank's chain through its hi-rag adapter.
import {
  createHiRagAdapter,
  isRerankError,
  type HiRagAdapter,
  type HiRagAdapterOptions,
  type HiRagHit,
  type Reranker,
} from '@pmoves/rerank';
import { describeZodIssues } from '@pmoves/internal';
import { Hono } from 'hono';
import type { Logger } from '../../common/src/log';
import { errorMessage } from '../../common/src/log';
import { QueryRequestSchema, type QueryRequest } from './query';
import { UpstreamError } from './upstream';

/** Where hits come from. */
export interface Retriever {
  /** `sample` (the shipped index) or `sidecar` (an upstream gateway). */
  readonly mode: 'sample' | 'sidecar';
  /** Hits with their retrieval score; at least `poolSize` when that many exist. */
  retrieve(
    req: QueryRequest & { namespace: string; alpha: number },
    poolSize: number,
    signal: AbortSignal,
  ): Promise<HiRagHit[]>;
  /** The image the reranker scores for a hit (a file this gateway owns, or an http(s) URL), if any. */
  rerankImage(hit: HiRagHit): string | undefined;
  /** PNG bytes of a sample thumbnail (sample mode only). */
  thumbnail?(file: string): Buffer | undefined;
  /** Fields for `GET /` and the status endpoint. */
  describe(): Record<string, unknown>;
}

/** Options of {@link createGatewayApp}. */
export interface GatewayOptions {
  /** @pmoves/rerank's hi-rag adapter over the chain, made by {@link createGatewayHiRag}. */
  hirag: HiRagAdapter;
  retriever: Retriever;
  /** Default namespace (`INDEXER_NAMESPACE`, upstream's default `pmoves`). */
  namespace: string;
  /** Default `alpha` (`ALPHA`, 0.7). */
  alpha: number;
  /** Whole-request budget, ms. */
  requestTimeoutMs: number;
  /** Echoed by the status endpoint as upstream does. */
  rerankInfo?: { modelPath?: string | null; modelLabel?: string | null; fp16Requested?: boolean | null };
  log: Logger;
}

/** What the gateway remembers of the last query, for the status endpoint. */
interface LastQuery {
  at: string;
  used_rerank: boolean;
  /** The provider whose scores were used; null when none scored (every one failed, or `none`). */
  provider: string | null;
  degraded: boolean;
  warnings: string[];
}

const RERANK_IMAGE_KEY = '__pmoves_rerank_image';

/**
 * @pmoves/rerank's hi-rag adapter as this gateway uses it: the reranker scores only the image the
 * gateway chose for each hit (see {@link Retriever.rerankImage}), never a payload field itself.
 */
export function createGatewayHiRag(
  reranker: Reranker,
  settings: Omit<HiRagAdapterOptions, 'imageKeys'> = {},
): HiRagAdapter {
  return createHiRagAdapter(reranker, { ...settings, imageKeys: [RERANK_IMAGE_KEY] });
}

const stripInternal = <T extends { payload?: Record<string, unknown> }>(hit: T): T => {
  if (!hit.payload || !(RERANK_IMAGE_KEY in hit.payload)) return hit;
  const { [RERANK_IMAGE_KEY]: _drop, ...payload } = hit.payload;
  return { ...hit, payload };
};

/** Builds the Hono app. */
export function createGatewayApp(opts: GatewayOptions): { app: Hono; status: () => Record<string, unknown> } {
  const { hirag, retriever, log } = opts;
  let last: LastQuery | null = null;
  const app = new Hono();

  app.get('/', (c) =>
    c.json({
      ok: true,
      service: 'hi-rag-gateway-v2',
      implementation: '@pmoves/examples hi-rag-gateway (TypeScript)',
      hint: 'POST /hirag/query',
      ...retriever.describe(),
    }),
  );
  app.get('/healthz', (c) => c.json({ ok: true, mode: retriever.mode }));

  app.get('/sample/thumbnails/:file', (c) => {
    const png = retriever.thumbnail?.(c.req.param('file'));
    if (!png) return c.json({ detail: 'no such thumbnail' }, 404);
    return c.body(new Uint8Array(png), 200, { 'content-type': 'image/png', 'cache-control': 'max-age=3600' });
  });

  app.post('/hirag/query', async (c) => {
    const t0 = performance.now();
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ detail: 'request body must be a JSON object' }, 422);
    }
    const parsed = QueryRequestSchema.safeParse(body);
    if (!parsed.success) return c.json({ detail: describeZodIssues(parsed.error.issues) }, 422);
    const req = {
      ...parsed.data,
      namespace: parsed.data.namespace ?? opts.namespace,
      alpha: parsed.data.alpha ?? opts.alpha,
    };
    const s = hirag.settings;
    const useRerank = req.use_rerank ?? s.enabled;
    const topn = req.rerank_topn ?? s.topn;
    const signal = AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(opts.requestTimeoutMs)]);
    try {
      const hits = await retriever.retrieve(req, useRerank ? Math.max(req.k, topn) : req.k, signal);
      // The reranker sees only the image this gateway chose for each hit: a URL from the payload
      // is never turned into a local file read.
      // A payload that already carries the internal key loses it first.
      const withImages = hits.map((hit) => {
        const h = stripInternal(hit);
        const image = retriever.rerankImage(h);
        return image ? { ...h, payload: { ...(h.payload ?? {}), [RERANK_IMAGE_KEY]: image } } : h;
      });
      const { response, result } = await hirag.rerank(req.query, withImages, {
        k: req.k,
        useRerank,
        rerankTopn: topn,
        ...(req.rerank_k ? { rerankK: req.rerank_k } : {}),
        signal,
      });
      const out = { ...response, hits: response.hits.map(stripInternal) };
      if (useRerank) {
        last = {
          at: new Date().toISOString(),
          used_rerank: out.used_rerank,
          provider: out.rerank_provider,
          degraded: result?.degraded ?? false,
          warnings: result?.warnings ?? [],
        };
      }
      log('info', 'query', {
        mode: retriever.mode,
        hits: out.k,
        used_rerank: out.used_rerank,
        rerank_provider: out.rerank_provider,
        ...(result?.degraded ? { degraded: true, rerank_warnings: result.warnings.slice(0, 5) } : {}),
        ms: Math.round(performance.now() - t0),
      });
      return c.json(out);
    } catch (err) {
      if (err instanceof UpstreamError) {
        log('warn', 'upstream failed', { error: err.message });
        return c.json({ detail: err.message }, 502);
      }
      if (isRerankError(err) && (err as { code?: string }).code === 'invalid-request')
        return c.json({ detail: errorMessage(err) }, 422);
      if (signal.aborted)
        return c.json({ detail: `query did not finish within ${opts.requestTimeoutMs} ms` }, 504);
      log('error', 'query failed', { error: errorMessage(err) });
      return c.json({ detail: 'internal error' }, 500);
    }
  });

  const status = (): Record<string, unknown> => {
    const st = hirag.status();
    const modelPath = opts.rerankInfo?.modelPath ?? null;
    const label = opts.rerankInfo?.modelLabel ?? null;
    // Where the primary provider runs and at what precision, as the chain reports them (a local
    // CLIP model: its onnxruntime execution provider and dtype, once loaded; `remote` over HTTP).
    const executionProvider = st.device;
    return {
      // upstream's fields
      enabled: st.enabled,
      model: st.model,
      model_resolved: modelPath ?? st.model,
      model_label: label,
      model_path: modelPath,
      provider: st.provider,
      topn: st.topn,
      k: st.k,
      fusion: st.fusion,
      device: st.device,
      cuda_available: executionProvider === 'cuda' ? true : null,
      use_fp16_requested: opts.rerankInfo?.fp16Requested ?? null,
      use_fp16_effective: st.dtype ? st.dtype === 'fp16' : null,
      loaded: st.loaded,
      errors: st.errors,
      warnings: st.warnings,
      model_report: label ?? st.model,
      // added: the chain, what answered last, where CLIP runs
      chain: st.chain.map((e) => ({
        id: e.id,
        model: e.model,
        breaker: e.breaker,
        calls: e.calls,
        failures: e.failures,
        last_error: e.lastError,
        last_error_at: e.lastErrorAt,
      })),
      breakers: Object.fromEntries(st.chain.map((e) => [e.id, e.breaker])),
      last_provider: last?.provider ?? null,
      last_used_rerank: last?.used_rerank ?? null,
      last_degraded: last?.degraded ?? null,
      last_query_at: last?.at ?? null,
      last_warnings: last?.warnings ?? [],
      execution_provider: executionProvider ?? null,
      ...retriever.describe(),
    };
  };
  app.get('/hirag/admin/rerank-status', (c) => c.json(status()));

  return { app, status };
}
