import type { ChunkResult, ConfidenceSource } from '../schema';
import { MAX_TAGS } from '../schema';

/** Clamps to [0, 1]; null for non-finite input. */
export function clamp01(x: number | undefined | null): number | null {
  if (x === undefined || x === null || !Number.isFinite(x)) return null;
  return Math.min(1, Math.max(0, x));
}

/** Geometric-mean token probability, exp(mean log p), of a reply's tokens. */
export function confidenceFromLogprobs(logprobs: readonly number[]): number | null {
  if (logprobs.length === 0) return null;
  const mean = logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  return clamp01(Math.exp(mean));
}

const weightOf = (c: ChunkResult) => c.durationSeconds * (c.confidence ?? 1);

/** Tags ranked by summed window weight (duration × confidence), ties in first-seen order (the model's own ranking), capped. */
export function mergeTags(
  chunks: readonly ChunkResult[],
  max = MAX_TAGS,
): { tags: string[]; scores: Map<string, number> } {
  const scores = new Map<string, number>();
  for (const c of chunks) for (const t of c.tags) scores.set(t, (scores.get(t) ?? 0) + weightOf(c));
  const tags = [...scores.entries()]
    // Map iteration is insertion order and Array.sort is stable, so ties keep first-seen order.
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([t]) => t);
  return { tags, scores };
}

/** Mood by confidence-weighted vote (weight = duration × confidence); ties go to the earliest window. */
export function mergeMood(chunks: readonly ChunkResult[]): string {
  const votes = new Map<string, { w: number; first: number }>();
  chunks.forEach((c, i) => {
    const key = c.mood.trim().toLowerCase();
    const v = votes.get(key) ?? { w: 0, first: i };
    v.w += weightOf(c);
    votes.set(key, v);
  });
  return [...votes.entries()].sort((a, b) => b[1].w - a[1].w || a[1].first - b[1].first)[0]![0];
}

/** Most frequent non-null language, or null. */
export function mergeLanguage(chunks: readonly ChunkResult[]): string | null {
  const counts = new Map<string, number>();
  for (const c of chunks) if (c.language) counts.set(c.language, (counts.get(c.language) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/**
 * Deterministic summary merge: the summary of the most representative window — the one whose tags
 * carry the most merged tag weight, times its confidence; ties go to the earliest window.
 */
export function mergeSummaryDeterministic(
  chunks: readonly ChunkResult[],
  scores: Map<string, number>,
): string {
  let best = chunks[0]!;
  let bestScore = -1;
  for (const c of chunks) {
    const s = c.tags.reduce((a, t) => a + (scores.get(t) ?? 0), 0) * (c.confidence ?? 1);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best.summary;
}

/**
 * Item confidence: when every window has a logprob (or model-reported) figure, their duration-
 * weighted mean with that source; otherwise, with two or more windows, agreement across windows
 * (mean of each window's tag overlap with the merged tags and its mood matching the merged mood);
 * otherwise null with source `none`.
 */
export function mergeConfidence(
  chunks: readonly ChunkResult[],
  mergedTags: readonly string[],
  mergedMood: string,
): { confidence: number | null; confidenceSource: ConfidenceSource } {
  for (const source of ['logprobs', 'model'] as const) {
    if (chunks.every((c) => c.confidenceSource === source && c.confidence !== null)) {
      const total = chunks.reduce((a, c) => a + c.durationSeconds, 0);
      const mean = chunks.reduce((a, c) => a + c.confidence! * c.durationSeconds, 0) / total;
      return { confidence: clamp01(mean), confidenceSource: source };
    }
  }
  if (chunks.length < 2) return { confidence: null, confidenceSource: 'none' };
  const merged = new Set(mergedTags);
  const perChunk = chunks.map((c) => {
    const union = new Set([...c.tags, ...merged]).size;
    const inter = c.tags.filter((t) => merged.has(t)).length;
    const jaccard = union ? inter / union : 0;
    const mood = c.mood.trim().toLowerCase() === mergedMood ? 1 : 0;
    return (jaccard + mood) / 2;
  });
  return {
    confidence: clamp01(perChunk.reduce((a, b) => a + b, 0) / perChunk.length),
    confidenceSource: 'agreement',
  };
}
