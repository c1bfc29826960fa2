// Score fusion as PMOVES's hi-rag gateway does it (RERANK_FUSION), on rerank scores mapped into
// [0,1] first, so CLIP cosines and raw logits fuse on the same scale as probabilities.
import { z } from 'zod';
import type { ScoreKind } from '../types';

/** Fusion modes: `mul` = `score * (0.5 + 0.5 * s)` (PMOVES's default), `wsum` = `0.5 * score + 0.5 * s`. */
export const FusionModeSchema = z.enum(['mul', 'wsum']);
/** A fusion mode (see {@link FusionModeSchema}). */
export type FusionMode = z.infer<typeof FusionModeSchema>;

/**
 * Map a provider score into [0,1]:
 * - `probability` → clamped to [0,1] (cross-encoders with sigmoid, Cohere-style relevance);
 * - `similarity` → `(cos + 1) / 2` (CLIP cosine −1..1; absolute, so it does not depend on the other candidates);
 * - `logit` → `1 / (1 + e^−s)` (raw cross-encoder logits, unbounded TensorZero scores);
 * - `rank` → `s / n` where the passthrough gives the first of n candidates `n` and the last `1`.
 */
export function normalizeScore(score: number, kind: ScoreKind, n = 1): number {
  let v: number;
  switch (kind) {
    case 'probability':
      v = score;
      break;
    case 'similarity':
      v = (score + 1) / 2;
      break;
    case 'logit':
      v = 1 / (1 + Math.exp(-score));
      break;
    case 'rank':
      v = n > 0 ? score / n : 0;
      break;
  }
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** An item to fuse: its retrieval `score` and its rerank score already mapped into [0,1]. */
export interface FusionInput {
  /** Retrieval (hybrid) score. */
  score: number;
  /** Normalised rerank score; `null`/absent when the item could not be scored. */
  rerankScore?: number | null;
}

/** Options of {@link fuseScores}. */
export interface FusionOptions {
  /** `mul` (default) or `wsum`. */
  fusion?: FusionMode;
  /** Size of the pool taken by retrieval score before fusing (`RERANK_TOPN`, default 50). */
  topn?: number;
  /** Items returned (`RERANK_K`, default 10). */
  k?: number;
}

/**
 * Fuse retrieval and rerank scores on the top-`topn` pool (by retrieval score) and return the best
 * `k`, each with `fusedScore`. An item without a rerank score gets the pool's mean rerank score
 * (neutral: a broken thumbnail neither sinks nor lifts a hit; upstream pads with 0.0 instead).
 */
export function fuseScores<T extends FusionInput>(
  items: readonly T[],
  options: FusionOptions = {},
): (T & { fusedScore: number })[] {
  const fusion = options.fusion ?? 'mul';
  const topn = options.topn ?? 50;
  const k = options.k ?? 10;
  const pool = [...items].sort((a, b) => b.score - a.score).slice(0, topn);
  const present = pool.map((p) => p.rerankScore).filter((s): s is number => typeof s === 'number');
  const neutral = present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0.5;
  return pool
    .map((item) => {
      const s = typeof item.rerankScore === 'number' ? item.rerankScore : neutral;
      const fusedScore = fusion === 'wsum' ? 0.5 * item.score + 0.5 * s : item.score * (0.5 + 0.5 * s);
      return { ...item, fusedScore };
    })
    .sort((a, b) => b.fusedScore - a.fusedScore)
    .slice(0, k);
}
