// Similarity helpers over embeddings. Embeddings from this package are L2-normalised, so cosine is a
// dot product; the helpers still divide by the norms so they are right for any vectors.
import { ClipError } from '../errors';

/** Any numeric vector: a `Float32Array` embedding or a plain array. */
export type EmbeddingVector = ArrayLike<number>;

function check(a: EmbeddingVector, b: EmbeddingVector): void {
  if (a.length !== b.length) {
    throw new ClipError('invalid-input', `vectors have different lengths (${a.length} and ${b.length})`);
  }
}

/** Cosine similarity of two vectors, in [-1, 1] (0 when either is all zeros). */
export function cosineSimilarity(a: EmbeddingVector, b: EmbeddingVector): number {
  check(a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Cosine similarity of one query against many candidates, in the candidates' order. */
export function similarities(query: EmbeddingVector, candidates: readonly EmbeddingVector[]): Float32Array {
  const out = new Float32Array(candidates.length);
  candidates.forEach((c, i) => {
    out[i] = cosineSimilarity(query, c);
  });
  return out;
}

/** One ranked match of {@link topK}. */
export interface SimilarityMatch {
  /** Index of the candidate in the list given. */
  index: number;
  /** Cosine similarity to the query. */
  score: number;
}

/** The `k` candidates most similar to the query, best first (ties keep the candidates' order). */
export function topK(
  query: EmbeddingVector,
  candidates: readonly EmbeddingVector[],
  k: number,
): SimilarityMatch[] {
  if (!Number.isInteger(k) || k < 0)
    throw new ClipError('invalid-input', `k must be a non-negative integer, got ${k}`);
  const scores = similarities(query, candidates);
  return Array.from(scores, (score, index) => ({ index, score }))
    .sort((x, y) => y.score - x.score || x.index - y.index)
    .slice(0, k);
}
