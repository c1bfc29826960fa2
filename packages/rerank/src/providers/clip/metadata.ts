// What the CLIP provider adds to a result, under `providerMetadata.clip`: the best image match,
// for the publisher's `meta.clip_best_match`.
import { z } from 'zod';
import type { RerankResult } from '../../types';

/** Best CLIP image match, for the publisher's `meta.clip_best_match` (score = cosine, −1..1). */
export const BestMatchSchema = z.object({
  asset_id: z.string(),
  score: z.number().min(-1).max(1),
  /** CLIP model that produced the score, when known. */
  model: z.string().optional(),
});

/** Best CLIP image match (see {@link BestMatchSchema}). */
export type BestMatch = z.infer<typeof BestMatchSchema>;

/** The CLIP provider's entry of `RerankResult.providerMetadata` (key `clip`). */
export interface ClipProviderMetadata {
  /** The best image match (text-text matches do not count); absent when no image was scored. */
  bestMatch?: BestMatch;
  [key: string]: unknown;
}

/** The best of several windows' matches. */
export function mergeClipMetadata(parts: readonly Record<string, unknown>[]): ClipProviderMetadata {
  let best: BestMatch | undefined;
  for (const p of parts) {
    const m = BestMatchSchema.safeParse(p.bestMatch);
    if (m.success && (!best || m.data.score > best.score)) best = m.data;
  }
  return best ? { bestMatch: best } : {};
}

/**
 * The CLIP best match of a result (`result.providerMetadata.clip.bestMatch`), or undefined when
 * CLIP did not answer or scored no image.
 */
export function clipBestMatch(result: Pick<RerankResult, 'providerMetadata'>): BestMatch | undefined {
  const m = BestMatchSchema.safeParse(result.providerMetadata?.clip?.bestMatch);
  return m.success ? m.data : undefined;
}
