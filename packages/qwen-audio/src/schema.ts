import { z } from 'zod';

/** Most tags kept per window and per item (tags are lowercased, trimmed and deduplicated first). */
export const MAX_TAGS = 12;
const MAX_TAG_LENGTH = 40;
/** Longest summary kept, in characters: a longer one is cut at a word boundary and ends with `…`. */
export const MAX_SUMMARY_CHARS = 2000;
/** Longest mood kept, in characters (cut like the summary). */
export const MAX_MOOD_CHARS = 40;

/**
 * The shape the model is asked to return for one audio window. Its JSON Schema (via `z.toJSONSchema`)
 * is sent as Ollama's `format` / OpenAI's `response_format`. Replies are read leniently: only a
 * missing or empty `summary` or `mood` fails a reply; tags, language, confidence and lengths are
 * normalised (see the README's _What it refuses to do_).
 */
export const modelReplySchema = z.object({
  summary: z.string().min(1),
  tags: z.array(z.string()),
  mood: z.string().min(1),
  confidence: z.number().nullable().optional(),
  language: z.string().nullable().optional(),
});

/** A model reply for one window, as requested. */
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

/** One stretch of detected speech and what the model heard in it; times in seconds from the item's start. */
export const transcriptSegmentSchema = z.object({
  /** Start of the speech, seconds from the start of the item. */
  start: z.number().nonnegative(),
  /** End of the speech, seconds from the start of the item (≥ start). */
  end: z.number().nonnegative(),
  /** The words, as the model wrote them. */
  text: z.string().min(1),
});

/** See {@link transcriptSegmentSchema}. */
export type TranscriptSegment = z.infer<typeof transcriptSegmentSchema>;

/**
 * The item's speech transcript: segments in time order (monotonic, none overlapping), their text
 * joined, the language, and a confidence from token log-probabilities when the server returns them.
 */
export const transcriptSchema = z.object({
  /** All segments' text, in order, separated by spaces; empty when no speech was heard. */
  text: z.string(),
  /** BCP 47 primary language subtag (ISO 639-1 where one exists), or null. */
  language: z.string().nullable(),
  /** Speech segments, in order. */
  segments: z.array(transcriptSegmentSchema),
  /** Geometric-mean token probability over the segments (duration-weighted), or null. */
  confidence: z.number().min(0).max(1).nullable(),
  /** `logprobs` when every segment's reply carried them, else `none` (confidence null). */
  confidenceSource: z.enum(['logprobs', 'none']),
  /** `windows`: speech in the analysed windows only; `full`: the whole item. */
  scope: z.enum(['windows', 'full']),
});

/** See {@link transcriptSchema}. */
export type Transcript = z.infer<typeof transcriptSchema>;

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
  /** The speech transcript; null with `transcript: 'off'`. */
  transcript: transcriptSchema.nullable(),
  timings: z.object({
    decodeMs: z.number().nonnegative(),
    featuresMs: z.number().nonnegative(),
    modelMs: z.number().nonnegative(),
    /** Speech detection and transcription calls (0 with `transcript: 'off'`). */
    transcriptMs: z.number().nonnegative(),
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
  /** The configured protocol (`auto` when the server was never asked). */
  backend: z.enum(['auto', 'ollama', 'openai']),
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
