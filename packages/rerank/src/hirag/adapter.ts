// Drop-in for the rerank step of PMOVES's /hirag/query: takes the gateway's hits and answers the
// same response shape ({ query, k, used_rerank, rerank_provider, hits }).
import { z } from 'zod';
import type { Reranker } from '../chain/reranker';
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

/** Options of {@link rerankHiRagHits}; defaults come from the reranker's settings (env). */
export interface HiRagRerankOptions {
  /** Request's `k` (hits wanted without rerank; upstream default 10). */
  k?: number;
  /** Request's `use_rerank` (default `RERANK_ENABLE`). */
  useRerank?: boolean;
  /** Request's `rerank_topn` (default `RERANK_TOPN`). */
  rerankTopn?: number;
  /** Request's `rerank_k` (default: `k`, then `RERANK_K`). */
  rerankK?: number;
  /** Fusion (default `RERANK_FUSION`). */
  fusion?: FusionMode;
  /** Payload keys tried, in order, for a candidate's image URL. */
  imageKeys?: string[];
  /** Cancels the rerank. */
  signal?: AbortSignal;
}

const DEFAULT_IMAGE_KEYS = ['thumbnail_url', 'thumb_url', 'image_url', 'poster_url', 'thumbnail', 'image'];

/** Build rerank candidates from hi-rag hits (image from the payload, precomputed `clip_embedding` when present). */
export function hiRagCandidates(
  hits: z.output<typeof HiRagHitSchema>[],
  imageKeys = DEFAULT_IMAGE_KEYS,
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

/**
 * Like {@link rerankHiRagHits}, and also returns the reranker's full result (warnings, attempts,
 * CLIP best match) — `null` when rerank was not used.
 */
export async function rerankHiRagHitsDetailed(
  query: string,
  hits: readonly HiRagHit[],
  reranker: Reranker,
  options: HiRagRerankOptions = {},
): Promise<{ response: HiRagQueryResponse; result: RerankResult | null }> {
  const parsed = z.array(HiRagHitSchema).safeParse(hits);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RerankError('invalid-request', `hits.${issue?.path.join('.')}: ${issue?.message}`);
  }
  const base = parsed.data;
  const s = reranker.settings;
  const enable = options.useRerank ?? s.enabled;
  const topn = options.rerankTopn ?? s.topn;
  const outk = options.rerankK ?? options.k ?? s.k;
  const k = options.k ?? 10;
  const byScore = [...base].sort((a, b) => b.score - a.score);
  const passthrough = (): HiRagQueryResponse => {
    const top = byScore.slice(0, k);
    return { query, k: top.length, used_rerank: false, rerank_provider: null, hits: top };
  };
  if (!enable || base.length === 0) return { response: passthrough(), result: null };

  const pool = byScore.slice(0, topn);
  const result = await reranker.rerank({
    query,
    candidates: hiRagCandidates(pool, options.imageKeys),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // `none` (configured, or every provider failed) keeps retrieval order: upstream reports that as no rerank.
  if (result.provider === 'none') {
    return { response: passthrough(), result };
  }
  const norm = new Map(result.hits.map((h) => [h.index, h.normalizedScore ?? null]));
  const fused = fuseScores(
    pool.map((hit, i) => ({ hit, score: hit.score, rerankScore: norm.get(i) ?? null })),
    { fusion: options.fusion ?? s.fusion, topn, k: outk },
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

/**
 * Rerank hi-rag hits and answer what `/hirag/query` answers: the top-`topn` pool by retrieval
 * score is reranked, fused (`mul`/`wsum` on the [0,1]-mapped rerank score) and cut to `k`; each
 * hit gains `rerank_score` (the mapped score, `null` when that hit could not be scored).
 */
export async function rerankHiRagHits(
  query: string,
  hits: readonly HiRagHit[],
  reranker: Reranker,
  options: HiRagRerankOptions = {},
): Promise<HiRagQueryResponse> {
  return (await rerankHiRagHitsDetailed(query, hits, reranker, options)).response;
}
