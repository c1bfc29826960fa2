import { z } from 'zod';

/** Tag list limits applied by {@link normalizeTags}. */
export const MAX_TAGS = 12;
const MAX_TAG_LENGTH = 40;

/**
 * What the model is asked to return for one audio window. Its JSON Schema (via `z.toJSONSchema`)
 * is sent as Ollama's `format` / OpenAI's `response_format`, and every reply is validated with it.
 */
export const modelReplySchema = z.object({
  summary: z.string().trim().min(1, 'summary must not be empty').max(4000),
  tags: z.array(z.string()).max(64),
  mood: z.string().trim().min(1, 'mood must not be empty').max(80),
  confidence: z.number().optional(),
  language: z.string().max(16).nullable().optional(),
});

/** A validated model reply for one window. */
export type ModelReply = z.infer<typeof modelReplySchema>;

/**
 * Where a confidence figure came from: token log-probabilities, the model's own reported value
 * (clamped to [0,1]), agreement across analysed windows, or `none` when a single window gave no figure.
 */
export const confidenceSourceSchema = z.enum(['logprobs', 'model', 'agreement', 'none']);

/** See {@link confidenceSourceSchema}. */
export type ConfidenceSource = z.infer<typeof confidenceSourceSchema>;

/**
 * Signal features of the analysed audio, named as PMOVES's `jellyfin-audio-processor` stores them
 * (librosa names), plus `rms_mean` from the `analysis.audio.v1` schema. Means are over frames.
 */
export const audioFeaturesSchema = z.object({
  /** Length of the whole item in seconds. */
  duration: z.number().nonnegative(),
  /** Sample rate the features were computed at, in Hz (16000). */
  sample_rate: z.number().int().positive(),
  /** Estimated tempo in beats per minute, or null when no periodic onsets were found. */
  tempo: z.number().positive().nullable(),
  /** Means of the first 13 MFCC coefficients. */
  mfcc_mean: z.array(z.number()).length(13),
  /** Mean spectral centroid in Hz. */
  spectral_centroid_mean: z.number(),
  /** Mean 99 % spectral roll-off frequency in Hz. */
  spectral_rolloff_mean: z.number(),
  /** Mean zero crossings per sample (a 1 kHz tone at 16 kHz gives about 0.125). */
  zero_crossing_rate_mean: z.number(),
  /** Mean frame RMS level (full scale = 1). */
  rms_mean: z.number(),
  /** Seconds of audio the features were computed over (the analysed windows, or the whole item). */
  analysed_seconds: z.number().nonnegative(),
  /** `windows`: computed over the analysed windows; `full`: over the whole decoded item. */
  scope: z.enum(['windows', 'full']),
});

/** See {@link audioFeaturesSchema}. */
export type AudioFeatures = z.infer<typeof audioFeaturesSchema>;

/** Result for one analysed window of at most 30 s. */
export const chunkResultSchema = z.object({
  index: z.number().int().nonnegative(),
  startSeconds: z.number().nonnegative(),
  durationSeconds: z.number().positive(),
  summary: z.string(),
  tags: z.array(z.string()),
  mood: z.string(),
  language: z.string().nullable(),
  confidence: z.number().min(0).max(1).nullable(),
  confidenceSource: confidenceSourceSchema,
  /** Model calls it took: 1, or 2 when the first reply failed validation and the stricter prompt was used. */
  attempts: z.number().int().min(1).max(2),
});

/** See {@link chunkResultSchema}. */
export type ChunkResult = z.infer<typeof chunkResultSchema>;

/** Which backend protocol produced a result. */
export const backendNameSchema = z.enum(['ollama', 'openai']);

/** See {@link backendNameSchema}. */
export type BackendName = z.infer<typeof backendNameSchema>;

/** A completed analysis of one media item. */
export const analysisResultSchema = z.object({
  status: z.literal('ok'),
  summary: z.string().min(1),
  tags: z.array(z.string()).max(MAX_TAGS),
  mood: z.string().min(1),
  confidence: z.number().min(0).max(1).nullable(),
  confidenceSource: confidenceSourceSchema,
  language: z.string().nullable(),
  chunks: z.array(chunkResultSchema).min(1),
  model: z.string(),
  backend: backendNameSchema,
  promptVersion: z.string(),
  audio: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    durationSeconds: z.number().nonnegative(),
    windowCount: z.number().int().positive(),
  }),
  features: audioFeaturesSchema.nullable(),
  timings: z.object({
    decodeMs: z.number().nonnegative(),
    featuresMs: z.number().nonnegative(),
    modelMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  }),
});

/** See {@link analysisResultSchema}. */
export type AnalysisResult = z.infer<typeof analysisResultSchema>;

/** What `analyze` returns when `JELLYFIN_AUDIO_QWEN_ENABLE` is off: nothing was decoded or called. */
export const skippedResultSchema = z.object({
  status: z.literal('skipped'),
  reason: z.string(),
  model: z.string(),
  backend: backendNameSchema,
});

/** See {@link skippedResultSchema}. */
export type SkippedResult = z.infer<typeof skippedResultSchema>;

/**
 * Lowercases, trims, collapses inner whitespace, strips surrounding punctuation and `#`,
 * drops empty and over-long tags, deduplicates (first occurrence wins) and caps the list.
 */
export function normalizeTags(tags: readonly string[], max = MAX_TAGS): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of tags) {
    const tag = raw
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/^[#\s"'.,;:!?-]+|[\s"'.,;:!?-]+$/g, '');
    if (!tag || tag.length > MAX_TAG_LENGTH || seen.has(tag)) continue;
    seen.add(tag);
    out.push(tag);
    if (out.length >= max) break;
  }
  return out;
}
