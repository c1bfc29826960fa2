// Drop-in for the rerank step of PMOVES's /hirag/query: takes the gateway's hits and answers the
// same response shape ({ query, k, used_rerank, rerank_provider, hits }). The hi-rag settings
// (RERANK_ENABLE, RERANK_TOPN, RERANK_K, RERANK_FUSION) live here, not in the chain.
import { describeZodIssues } from '@pmoves/internal';
import { z } from 'zod';
import type { Reranker, RerankerStatus } from '../chain/reranker';
import { RerankError } from '../errors';
import { fuseScores, type FusionMode } from '../fusion/fuse';
import type { Candidate, RerankResult } from '../types';

/** A hi-rag hit as the gateway builds it. */
export const HiRagHitSchema = z.looseObject({
  chunk_id: z.string(),
  text: z.string(),
  score: z.number(),
  payload: z.record(z.string(), z.unknown()).default({}),
  graph_match: z.boolean().nullable().optional(),
  persona: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** A hi-rag hit (input). */
export type HiRagHit = z.input<typeof HiRagHitSchema>;

/** A hit of the `/hirag/query` answer: the input hit with its fused `score` and `rerank_score`. */
export type HiRagResponseHit = z.output<typeof HiRagHitSchema> & { rerank_score?: number | null };

/** What `/hirag/query` answers. */
export interface HiRagQueryResponse {
  /** The query. */
  query: string;
  /** Number of hits returned. */
  k: number;
  /** Whether a reranker's scores were fused in. */
  used_rerank: boolean;
  /** The provider that answered, or null when no rerank was used. */
  rerank_provider: string | null;
  /** Hits, best first. */
  hits: HiRagResponseHit[];
}

/** The gateway's rerank settings, with PMOVES's names and defaults. */
export interface HiRagSettings {
  /** `RERANK_ENABLE` (default true): default of the request's `use_rerank`. */
  enabled: boolean;
  /** `RERANK_TOPN` (default 50): pool taken from retrieval before reranking. */
  topn: number;
  /** `RERANK_K` (default 10, at most `topn`): hits returned when the request names no `k`. */
  k: number;
  /** `RERANK_FUSION` (default `mul`). */
  fusion: FusionMode;
}

/** The hi-rag defaults (upstream's). */
export const HIRAG_DEFAULTS: Readonly<HiRagSettings> = { enabled: true, topn: 50, k: 10, fusion: 'mul' };

/** Options of {@link createHiRagAdapter}: settings (defaults {@link HIRAG_DEFAULTS}) and what status echoes. */
export interface HiRagAdapterOptions extends Partial<HiRagSettings> {
  /** Payload keys tried, in order, for a candidate's image. */
  imageKeys?: string[];
  /** Configuration warnings, reported by `status()` (e.g. `RERANK_K` capped at `RERANK_TOPN`). */
  warnings?: string[];
  /** Configuration errors, reported by `status()`. */
  errors?: string[];
}

/** A request's rerank fields (upstream's `/hirag/query` body), each overriding a setting. */
export interface HiRagRequest {
  /** Request's `k` (hits wanted without rerank; upstream default 10). */
  k?: number;
  /** Request's `use_rerank` (default `enabled`). */
  useRerank?: boolean;
  /** Request's `rerank_topn` (default `topn`). */
  rerankTopn?: number;
  /** Request's `rerank_k` (default: `k`, then the `k` setting). */
  rerankK?: number;
  /** Fusion (default the `fusion` setting). */
  fusion?: FusionMode;
  /** Cancels the rerank. */
  signal?: AbortSignal;
}

/** The `/hirag/query` answer and the reranker's full result (`null` when rerank was not used). */
export interface HiRagOutcome {
  /** What `/hirag/query` answers. */
  response: HiRagQueryResponse;
  /** Warnings, attempts, provider metadata (e.g. CLIP's best match); null when rerank was not used. */
  result: RerankResult | null;
}

/** What `/hirag/admin/rerank-status` reports (upstream's fields this package knows), plus the chain. */
export interface HiRagRerankStatus extends RerankerStatus, HiRagSettings {
  /** Configuration errors. */
  errors: string[];
  /** Configuration warnings. */
  warnings: string[];
}

/** The hi-rag rerank step over a reranker. */
export interface HiRagAdapter {
  /** Settings in effect. */
  readonly settings: Readonly<HiRagSettings>;
  /** The reranker underneath. */
  readonly reranker: Reranker;
  /**
   * Rerank hi-rag hits and answer what `/hirag/query` answers: the top-`topn` pool by retrieval
   * score is reranked, fused (`mul`/`wsum` on the [0,1]-mapped rerank score) and cut to `k`; each
   * hit gains `rerank_score` (the mapped score, `null` when that hit could not be scored).
   */
  rerank(query: string, hits: readonly HiRagHit[], request?: HiRagRequest): Promise<HiRagOutcome>;
  /** Settings, configuration echoes, the chain and its breakers. */
  status(): HiRagRerankStatus;
  /** Dispose the reranker. */
  dispose(): Promise<void>;
}

const DEFAULT_IMAGE_KEYS = ['thumbnail_url', 'thumb_url', 'image_url', 'poster_url', 'thumbnail', 'image'];

/** Build rerank candidates from hi-rag hits (image from the payload, precomputed `clip_embedding` when present). */
export function hiRagCandidates(
  hits: readonly z.output<typeof HiRagHitSchema>[],
  imageKeys: readonly string[] = DEFAULT_IMAGE_KEYS,
): Candidate[] {
  return hits.map((h) => {
    const payload = h.payload;
    const image = imageKeys
      .map((k) => payload[k])
      .find((v): v is string => typeof v === 'string' && v.length > 0);
    const emb = payload.clip_embedding;
    const embedding =
      Array.isArray(emb) && emb.every((x) => typeof x === 'number') ? (emb as number[]) : undefined;
    const asset = payload.asset_id ?? payload.video_id ?? payload.doc_id;
    return {
      id: h.chunk_id,
      text: h.text,
      ...(image ? { image } : {}),
      ...(embedding ? { embedding } : {}),
      metadata: { ...(asset !== undefined ? { asset_id: String(asset) } : {}) },
    };
  });
}

/** The hi-rag rerank step: settings (PMOVES's), fusion, the `/hirag/query` shape, and status. */
export function createHiRagAdapter(reranker: Reranker, options: HiRagAdapterOptions = {}): HiRagAdapter {
  const { imageKeys, warnings = [], errors = [], ...given } = options;
  const settings: HiRagSettings = { ...HIRAG_DEFAULTS, ...given };

  async function rerank(query: string, hits: readonly HiRagHit[], request: HiRagRequest = {}) {
    const parsed = z.array(HiRagHitSchema).safeParse(hits);
    if (!parsed.success)
      throw new RerankError('invalid-request', describeZodIssues(parsed.error.issues, 'hits'));
    const base = parsed.data;
    const enable = request.useRerank ?? settings.enabled;
    const topn = request.rerankTopn ?? settings.topn;
    const outk = request.rerankK ?? request.k ?? settings.k;
    const k = request.k ?? 10;
    const byScore = [...base].sort((a, b) => b.score - a.score);
    const passthrough = (): HiRagQueryResponse => {
      const top = byScore.slice(0, k);
      return { query, k: top.length, used_rerank: false, rerank_provider: null, hits: top };
    };
    if (!enable || base.length === 0) return { response: passthrough(), result: null };

    const pool = byScore.slice(0, topn);
    const result = await reranker.rerank({
      query,
      candidates: hiRagCandidates(pool, imageKeys),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    // `none` (configured, or every provider failed) keeps retrieval order: upstream reports that as no rerank.
    if (result.provider === 'none') return { response: passthrough(), result };
    const norm = new Map(result.hits.map((h) => [h.index, h.normalizedScore ?? null]));
    const fused = fuseScores(
      pool.map((hit, i) => ({ hit, score: hit.score, rerankScore: norm.get(i) ?? null })),
      { fusion: request.fusion ?? settings.fusion, topn, k: outk },
    );
    const out: HiRagResponseHit[] = fused.map((f) => ({
      ...f.hit,
      score: f.fusedScore,
      rerank_score: f.rerankScore,
    }));
    return {
      response: { query, k: out.length, used_rerank: true, rerank_provider: result.provider, hits: out },
      result,
    };
  }

  return {
    settings,
    reranker,
    rerank,
    status: () => ({ ...reranker.status(), ...settings, errors: [...errors], warnings: [...warnings] }),
    dispose: () => reranker.dispose(),
  };
}
