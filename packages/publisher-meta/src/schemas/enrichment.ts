import { z } from 'zod';
import { discordLength } from '../discord/limits';

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

/** One entry of `meta.clip_similarity`: a library asset similar to this item, and its cosine. */
export const ClipSimilarAssetSchema = z.strictObject({
  /** Identifier of the similar asset (a PMOVES asset id, as `clip_best_match.asset_id`). */
  asset_id: z.string().min(1),
  /** Raw CLIP cosine similarity, −1..1 (see {@link ClipCosineSchema}). */
  score: ClipCosineSchema,
});

/** Most entries `meta.clip_similarity` may hold (the index's top-k). */
export const CLIP_SIMILARITY_MAX_ASSETS = 100;

/**
 * `meta.clip_similarity`: the top-k library assets most similar to this item, `[{ asset_id, score }]`, best first
 * (at most {@link CLIP_SIMILARITY_MAX_ASSETS}). The earlier form — one cosine for the item itself — is still
 * accepted so that payloads already emitted keep parsing; new producers write the list.
 */
export const ClipSimilaritySchema = z.union([
  z.array(ClipSimilarAssetSchema).max(CLIP_SIMILARITY_MAX_ASSETS),
  ClipCosineSchema.describe('Deprecated form: one CLIP cosine (−1..1) for the item itself'),
]);

/** Most characters (Unicode code points, Discord's unit) of `meta.audio_transcript`. */
export const AUDIO_TRANSCRIPT_MAX_LENGTH = 1000;

/**
 * `meta.audio_transcript`: an excerpt of the item's speech transcript, at most {@link AUDIO_TRANSCRIPT_MAX_LENGTH}
 * code points (so it fits one Discord field), non-blank.
 */
export const AudioTranscriptExcerptSchema = z
  .string()
  .refine((s) => s.trim() !== '', 'must not be blank')
  .refine(
    (s) => discordLength(s) <= AUDIO_TRANSCRIPT_MAX_LENGTH,
    `must be at most ${AUDIO_TRANSCRIPT_MAX_LENGTH} characters (code points)`,
  )
  .meta({ maxLength: AUDIO_TRANSCRIPT_MAX_LENGTH, minLength: 1 });

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
  /**
   * The most similar library assets `[{ asset_id, score }]`, best first, at most {@link CLIP_SIMILARITY_MAX_ASSETS}
   * (a single cosine is the deprecated earlier form, still accepted).
   */
  clip_similarity: ClipSimilaritySchema.optional(),
  /** Tags from the audio model (Qwen2-Audio), lowercase and deduplicated by `@pmoves/qwen-audio`. */
  audio_tags: z.array(z.string()).optional(),
  /** One-paragraph audio summary from the audio model. */
  audio_summary: z.string().optional(),
  /** Mood label from the audio model, e.g. `calm`. */
  audio_mood: z.string().optional(),
  /** Excerpt of the speech transcript: non-blank, at most {@link AUDIO_TRANSCRIPT_MAX_LENGTH} code points. */
  audio_transcript: AudioTranscriptExcerptSchema.optional(),
  /** Confidence of the audio analysis, 0..1. */
  qwen_confidence: z.number().min(0).max(1).optional(),
  /** Provenance of the enrichment keys above. */
  enrichment: EnrichmentProvenanceSchema.optional(),
} as const;

/** One similar asset in `meta.clip_similarity`. */
export type ClipSimilarAsset = z.infer<typeof ClipSimilarAssetSchema>;
/** `meta.clip_similarity`: the similar assets (or, in the old form, one cosine). */
export type ClipSimilarity = z.infer<typeof ClipSimilaritySchema>;
/** Best CLIP match stored in `meta.clip_best_match`. */
export type ClipBestMatch = z.infer<typeof ClipBestMatchSchema>;
/** Provenance stored in `meta.enrichment`. */
export type EnrichmentProvenance = z.infer<typeof EnrichmentProvenanceSchema>;
