import { z } from 'zod';
import { truncateText } from '../discord/truncate';
import {
  AUDIO_TRANSCRIPT_MAX_LENGTH,
  ClipBestMatchSchema,
  ClipSimilaritySchema,
} from '../schemas/enrichment';
import { assertValid } from '../schemas/errors';
import { assertValidLenient, type PublishedPayloadInput } from '../schemas/lenient';
import { PublishedPayloadSchema, type PublishedPayload } from '../schemas/published';
import { cloneJson } from '../payload/python';

/**
 * CLIP result to attach: the best match as `@pmoves/rerank` reports it (`{ asset_id, score, model? }`, `score` a raw
 * cosine in −1..1) and the library assets most similar to the item, as a `ClipIndex`'s `nearest()`/`similar()`
 * gives them.
 */
export const ClipEnrichmentSchema = z.strictObject({
  /** Best-matching asset and its cosine (−1..1); `model: null` counts as absent. */
  best_match: ClipBestMatchSchema.extend({ model: z.string().min(1).nullish() }),
  /**
   * Top-k similar library assets `[{ asset_id, score }]`, best first, at most 100 → `meta.clip_similarity`. A single
   * number (an extra cosine for the item itself) is the deprecated earlier form, still stored as given.
   */
  similarity: ClipSimilaritySchema.nullish(),
  /** CLIP model for provenance; defaults to `best_match.model`. */
  model: z.string().min(1).nullish(),
});

/**
 * Audio result to attach: the fields of `@pmoves/qwen-audio`'s `analyze()` result that the payload carries. Other
 * keys of that result (`chunks`, `timings`, `backend`…) are accepted and ignored, so the result can be passed
 * as is.
 */
export const AudioEnrichmentSchema = z.looseObject({
  /** Summary → `meta.audio_summary`. */
  summary: z.string(),
  /** Tags → `meta.audio_tags`. */
  tags: z.array(z.string()),
  /** Mood → `meta.audio_mood` (left out when null or empty). */
  mood: z.string().nullish(),
  /**
   * Confidence 0..1 → `meta.qwen_confidence`. `null` when the analysis had no confidence source (qwen-audio's
   * `confidenceSource: 'none'`): the key is then left out rather than filled with a made-up number.
   */
  confidence: z.number().min(0).max(1).nullish(),
  /** Audio model → `meta.enrichment.audio_model`. */
  model: z.string().min(1).nullish(),
  /**
   * Speech transcript → `meta.audio_transcript`, as an excerpt of at most 1000 characters: `analyze()`'s
   * `transcript` object (its `text` is used) or a string. Cut at a grapheme boundary with `…`; left out when blank.
   */
  transcript: z.union([z.string(), z.looseObject({ text: z.string().nullish() })]).nullish(),
});

/** Second argument of {@link withEnrichment}. */
export const EnrichmentInputSchema = z.strictObject({
  /** CLIP result; the CLIP keys are left untouched when absent. */
  clip: ClipEnrichmentSchema.nullish(),
  /** Audio result; the audio keys are left untouched when absent. */
  audio: AudioEnrichmentSchema.nullish(),
  /** `meta.enrichment.generated_at`; now when omitted. Pass it for reproducible output. */
  generatedAt: z.union([z.date(), z.iso.datetime()]).nullish(),
});

/** CLIP result accepted by {@link withEnrichment}. */
export type ClipEnrichment = z.input<typeof ClipEnrichmentSchema>;
/** Audio result accepted by {@link withEnrichment}. */
export type AudioEnrichment = z.input<typeof AudioEnrichmentSchema>;
/** Second argument of {@link withEnrichment}. */
export type EnrichmentInput = z.input<typeof EnrichmentInputSchema>;

const CLIP_KEYS = ['clip_best_match', 'clip_similarity'] as const;
const AUDIO_KEYS = [
  'audio_tags',
  'audio_summary',
  'audio_mood',
  'qwen_confidence',
  'audio_transcript',
] as const;
/** Canonical order of the enrichment keys at the end of `meta`. */
const ENRICHMENT_KEYS = [...CLIP_KEYS, ...AUDIO_KEYS, 'enrichment'] as const;

/** Copies `obj` without the keys whose value is `null`/`undefined`. */
function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(obj).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

/** The transcript excerpt stored as `meta.audio_transcript`, or undefined when there is no text. */
function transcriptExcerpt(
  transcript: z.output<typeof AudioEnrichmentSchema>['transcript'],
): string | undefined {
  const text = (typeof transcript === 'string' ? transcript : transcript?.text)?.trim();
  return text ? truncateText(text, AUDIO_TRANSCRIPT_MAX_LENGTH) : undefined;
}

/**
 * Returns a copy of `payload` with the enrichment keys filled in `meta`: `clip_best_match`, `clip_similarity`
 * from `clip`; `audio_tags`, `audio_summary`, `audio_mood`, `qwen_confidence`, `audio_transcript` from `audio`;
 * and provenance in `meta.enrichment` (`clip_model`, `audio_model`, `generated_at`).
 *
 * - A group (CLIP or audio) that is given replaces that group's keys as a whole (an optional key it lacks is
 *   removed, so stale values never mix with new ones); a group that is not given is left untouched.
 * - No key is ever `undefined`; the input is never modified and the result shares no objects with it.
 * - Enrichment keys are kept at the end of `meta` in one canonical order, so calls compose exactly:
 *   `withEnrichment(withEnrichment(p, { clip, generatedAt }), { audio, generatedAt })` equals
 *   `withEnrichment(p, { clip, audio, generatedAt })`, down to the JSON text.
 * - `null` means absent, in the payload's optional keys (as Python's `None` arrives) and in the enrichment input.
 * - Pure apart from reading the clock when `generatedAt` is omitted and something is added.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field (`payload.meta.audio_tags`,
 *   `enrichment.clip.best_match.score`…).
 */
export function withEnrichment(
  payload: PublishedPayloadInput,
  enrichment: EnrichmentInput,
): PublishedPayload {
  const clean = assertValidLenient(PublishedPayloadSchema, payload, 'content.published.v1 payload', [
    'payload',
  ]);
  const input = assertValid(EnrichmentInputSchema, enrichment, 'enrichment input', ['enrichment']);
  const out = cloneJson(clean) as Record<string, unknown>;
  if (!input.clip && !input.audio) return out as PublishedPayload;

  const meta = (out.meta ?? {}) as Record<string, unknown>;
  const updates: Record<string, unknown> = {};
  for (const key of ENRICHMENT_KEYS) if (Object.hasOwn(meta, key)) updates[key] = meta[key];
  const provenance = { ...((updates.enrichment as Record<string, unknown> | undefined) ?? {}) };

  if (input.clip) {
    for (const key of CLIP_KEYS) delete updates[key];
    updates.clip_best_match = compact({ ...input.clip.best_match });
    if (input.clip.similarity !== null && input.clip.similarity !== undefined)
      updates.clip_similarity = cloneJson(input.clip.similarity);
    provenance.clip_model = input.clip.model ?? input.clip.best_match.model ?? undefined;
  }
  if (input.audio) {
    for (const key of AUDIO_KEYS) delete updates[key];
    updates.audio_tags = [...input.audio.tags];
    updates.audio_summary = input.audio.summary;
    if (input.audio.mood) updates.audio_mood = input.audio.mood;
    if (typeof input.audio.confidence === 'number') updates.qwen_confidence = input.audio.confidence;
    const excerpt = transcriptExcerpt(input.audio.transcript);
    if (excerpt) updates.audio_transcript = excerpt;
    provenance.audio_model = input.audio.model ?? undefined;
  }
  const generatedAt = input.generatedAt ?? new Date();
  updates.enrichment = compact({
    clip_model: provenance.clip_model,
    audio_model: provenance.audio_model,
    generated_at: typeof generatedAt === 'string' ? generatedAt : generatedAt.toISOString(),
  });

  // Rebuild meta: every other key in its original order, then the enrichment keys in canonical order.
  const nextMeta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (!(ENRICHMENT_KEYS as readonly string[]).includes(key)) nextMeta[key] = value;
  }
  for (const key of ENRICHMENT_KEYS) if (updates[key] !== undefined) nextMeta[key] = updates[key];
  out.meta = nextMeta;
  return assertValid(PublishedPayloadSchema, out, 'enriched content.published.v1 payload');
}
