import { z } from 'zod';

/**
 * A CLIP cosine similarity: the dot product of two L2-normalised CLIP embeddings, in −1..1.
 *
 * This package stores the raw cosine, never a calibrated probability: it is what every CLIP embedder
 * (`@pmoves/clip`, `@pmoves/rerank`'s `clip` provider) computes directly, it needs no per-model calibration table,
 * and it stays comparable to PMOVES's existing `clip-ViT-B-32` scores. Typical text↔image cosines for a good
 * match with ViT-B/32 are around 0.25–0.35, so do not read it as a percentage.
 */
export const ClipCosineSchema = z
  .number()
  .min(-1)
  .max(1)
  .describe('CLIP cosine similarity (dot product of L2-normalised embeddings), −1..1');

/** `meta.clip_best_match`: the asset CLIP ranked first for this item. */
export const ClipBestMatchSchema = z.strictObject({
  /** Identifier of the best-matching asset (a PMOVES asset / chunk id). */
  asset_id: z.string().min(1),
  /** Raw CLIP cosine similarity, −1..1 (see {@link ClipCosineSchema}). */
  score: ClipCosineSchema,
  /** CLIP model that produced the score, e.g. `Xenova/clip-vit-base-patch32`. */
  model: z.string().min(1).optional(),
});

/** Where and when the enrichment fields were produced (`meta.enrichment`). */
export const EnrichmentProvenanceSchema = z.strictObject({
  /** CLIP model behind `clip_best_match` / `clip_similarity`. */
  clip_model: z.string().min(1).optional(),
  /** Audio model behind `audio_*` and `qwen_confidence`. */
  audio_model: z.string().min(1).optional(),
  /** When the enrichment was generated: ISO-8601 UTC ending in `Z`. */
  generated_at: z.iso.datetime(),
});

/**
 * The enrichment keys this package adds inside `meta`. Every key is optional in a payload (items that were never
 * enriched have none), but each one present must have this shape.
 */
export const EnrichmentMetaShape = {
  /** Best CLIP match for the item. */
  clip_best_match: ClipBestMatchSchema.optional(),
  /** An extra CLIP cosine (−1..1) for the item itself, e.g. its thumbnail against its title; same scale as `score`. */
  clip_similarity: ClipCosineSchema.optional(),
  /** Tags from the audio model (Qwen2-Audio), lowercase and deduplicated by `@pmoves/qwen-audio`. */
  audio_tags: z.array(z.string()).optional(),
  /** One-paragraph audio summary from the audio model. */
  audio_summary: z.string().optional(),
  /** Mood label from the audio model, e.g. `calm`. */
  audio_mood: z.string().optional(),
  /** Confidence of the audio analysis, 0..1. */
  qwen_confidence: z.number().min(0).max(1).optional(),
  /** Provenance of the enrichment keys above. */
  enrichment: EnrichmentProvenanceSchema.optional(),
} as const;

/** Best CLIP match stored in `meta.clip_best_match`. */
export type ClipBestMatch = z.infer<typeof ClipBestMatchSchema>;
/** Provenance stored in `meta.enrichment`. */
export type EnrichmentProvenance = z.infer<typeof EnrichmentProvenanceSchema>;
