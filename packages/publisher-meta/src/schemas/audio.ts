import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// analysis.audio.v1 — PMOVES's own topic (contracts/schemas/analysis/audio.v1.schema.json), mirrored.
// ---------------------------------------------------------------------------------------------------------------

/** One emotion of an `analysis.audio.v1` payload: a label and its score, optionally timed and attributed. */
export const AudioEmotionSchema = z
  .looseObject({
    /** Emotion label, e.g. `joy`; must not be blank. */
    label: z.string().trim().min(1, 'must not be blank'),
    /** Score of the label (upstream gives no range). */
    score: z.number(),
    /** When in the item, in seconds. */
    ts_seconds: z.number().nullish(),
    /** Speaker the emotion belongs to. */
    speaker: z.string().nullish(),
  })
  .catchall(z.json());

const nullableNumber = z.number().nullish();
const nullableString = z.string().nullish();

/** `transcript` of an `analysis.audio.v1` payload, as upstream's schema describes it (every key optional). */
export const UpstreamTranscriptSchema = z
  .looseObject({
    /** Full text. */
    text: nullableString,
    /** Language of the text. */
    language: nullableString,
    /** Timed segments. */
    segments: z
      .array(
        z
          .looseObject({
            id: z.union([z.string(), z.number()]).nullish(),
            start: nullableNumber,
            end: nullableNumber,
            text: nullableString,
            speaker: nullableString,
            words: z
              .array(
                z
                  .looseObject({
                    start: nullableNumber,
                    end: nullableNumber,
                    word: nullableString,
                    confidence: nullableNumber,
                    speaker: nullableString,
                  })
                  .catchall(z.json()),
              )
              .optional(),
          })
          .catchall(z.json()),
      )
      .optional(),
    /** Speaker metadata. */
    speakers: z.record(z.string(), z.json()).optional(),
  })
  .catchall(z.json());

/**
 * `analysis.audio.v1` payload, mirroring PMOVES `contracts/schemas/analysis/audio.v1.schema.json`: `emotions`
 * required, `video_id`, `namespace`, `audio_uri`, `transcript` and `features` optional, extra keys allowed.
 *
 * Stricter than upstream on purpose, so that this SDK never emits an audio event without real emotions:
 * `emotions` must hold at least one `{ label, score }` with a non-blank label. Qwen2-Audio's results, which have no
 * emotion scores, go on `analysis.audio.qwen.v1` instead ({@link AudioQwenPayloadSchema}).
 */
export const AnalysisAudioPayloadSchema = z
  .looseObject({
    /** Video the audio belongs to. */
    video_id: nullableString,
    /** PMOVES namespace. */
    namespace: nullableString,
    /** Where the audio is. */
    audio_uri: nullableString,
    /** Emotions found in the audio: at least one. */
    emotions: z.array(AudioEmotionSchema).min(1, 'must hold at least one emotion { label, score }'),
    /** Speech transcript. */
    transcript: UpstreamTranscriptSchema.nullish(),
    /** Signal features: `global` (duration, rms, spectral_centroid, zero_crossing_rate, tempo) and `by_segment`. */
    features: z
      .looseObject({
        global: z
          .looseObject({
            duration: nullableNumber,
            rms: nullableNumber,
            spectral_centroid: nullableNumber,
            zero_crossing_rate: nullableNumber,
            tempo: nullableNumber,
          })
          .catchall(z.json())
          .optional(),
        by_segment: z.record(z.string(), z.record(z.string(), z.json())).optional(),
      })
      .catchall(z.json())
      .nullish(),
  })
  .catchall(z.json());

// ---------------------------------------------------------------------------------------------------------------
// analysis.audio.qwen.v1 — defined by this SDK for Qwen2-Audio results (upstream has no such topic).
// ---------------------------------------------------------------------------------------------------------------

/**
 * Signal features of the analysed audio, as `@pmoves/qwen-audio`'s `audioFeaturesSchema` describes them (librosa
 * names, means over frames). Extra keys are allowed, so that features added later do not break the topic.
 */
export const AudioFeaturesSchema = z
  .looseObject({
    /** Length of the whole item, in seconds. */
    duration: z.number().nonnegative(),
    /** Sample rate the features were computed at, in Hz. */
    sample_rate: z.number().int().positive(),
    /** Estimated tempo in beats per minute; `null` when no periodic onsets were found. */
    tempo: z.number().positive().nullable(),
    /** Means of the first 13 MFCC coefficients. */
    mfcc_mean: z.array(z.number()).length(13),
    /** Mean spectral centroid, in Hz. */
    spectral_centroid_mean: z.number(),
    /** Mean 99 % spectral roll-off frequency, in Hz. */
    spectral_rolloff_mean: z.number(),
    /** Mean zero crossings per sample. */
    zero_crossing_rate_mean: z.number(),
    /** Mean frame RMS level (full scale = 1). */
    rms_mean: z.number(),
    /** Seconds of audio the features were computed over. */
    analysed_seconds: z.number().nonnegative(),
    /** `windows`: over the analysed windows; `full`: over the whole item. */
    scope: z.enum(['windows', 'full']),
  })
  .catchall(z.json());

/** One timed segment of a transcript; times in seconds from the start of the item, `end ≥ start`. */
export const TranscriptSegmentSchema = z
  .looseObject({
    /** Start, in seconds from the start of the item. */
    start: z.number().nonnegative(),
    /** End, in seconds from the start of the item; not before `start`. */
    end: z.number().nonnegative(),
    /** Text spoken in the segment. */
    text: z.string(),
  })
  .catchall(z.json())
  .refine((s) => s.end >= s.start, { message: 'end must not be before start', path: ['end'] });

/** A merged speech transcript: `{ text, language, segments: [{ start, end, text }] }`, times in seconds. */
export const AudioTranscriptSchema = z
  .looseObject({
    /** The whole transcript text. */
    text: z.string(),
    /** Language of the speech (e.g. `en`), or `null` when unknown. */
    language: z.string().nullable(),
    /** Timed segments, in order. */
    segments: z.array(TranscriptSegmentSchema),
  })
  .catchall(z.json());

/** Where a confidence figure came from, as `@pmoves/qwen-audio` reports it. */
export const ConfidenceSourceSchema = z.enum(['logprobs', 'model', 'agreement', 'none']);

/**
 * `analysis.audio.qwen.v1` payload: one Qwen2-Audio analysis of a media item, as the audio processor stores it in
 * `media_audio_analysis` and publishes it afterwards. snake_case like PMOVES contracts; extra keys are allowed
 * (JSON values). `confidence_source: 'none'` requires `confidence: null` (no figure, no made-up number).
 */
export const AudioQwenPayloadSchema = z
  .looseObject({
    /** The media item (e.g. its Jellyfin item id). */
    item_id: z.string().min(1),
    /** PMOVES namespace. */
    namespace: z.string().nullish(),
    /** sha256 of the analysed file, 64 lowercase hex digits (with `item_id`, the idempotency key). */
    content_hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 digest: 64 lowercase hex digits'),
    /** Where the analysed file came from. */
    source_uri: z.string().nullish(),
    /** One-paragraph summary of the audio. */
    summary: z.string().trim().min(1, 'must not be blank'),
    /** Tags, lowercase and deduplicated. */
    tags: z.array(z.string()),
    /** Mood label, e.g. `calm`. */
    mood: z.string().trim().min(1, 'must not be blank'),
    /** Language of the speech, or `null` when none was detected. */
    language: z.string().nullable(),
    /** Confidence of the analysis 0..1, or `null` when there is no figure. */
    confidence: z.number().min(0).max(1).nullable(),
    /** Where `confidence` came from. */
    confidence_source: ConfidenceSourceSchema,
    /** Audio model, e.g. `Qwen/Qwen2-Audio-7B-Instruct`. */
    model: z.string().min(1),
    /** Protocol of the model server, e.g. `ollama` or `openai`. */
    backend: z.string().min(1),
    /** Version of the prompt the model was asked with. */
    prompt_version: z.string().min(1),
    /** Length of the item, in seconds. */
    duration_seconds: z.number().nonnegative(),
    /** Windows analysed. */
    window_count: z.number().int().positive(),
    /** Signal features, or `null` when they were not computed. */
    features: AudioFeaturesSchema.nullable(),
    /** Speech transcript; absent or `null` when none was made. */
    transcript: AudioTranscriptSchema.nullish(),
    /** When the analysis finished: ISO-8601 UTC ending in `Z`. */
    analyzed_at: z.iso.datetime(),
  })
  .catchall(z.json())
  .refine((p) => p.confidence_source !== 'none' || p.confidence === null, {
    message: "must be null when confidence_source is 'none'",
    path: ['confidence'],
  });

/** An `analysis.audio.v1` payload. */
export type AnalysisAudioPayload = z.infer<typeof AnalysisAudioPayloadSchema>;
/** An `analysis.audio.qwen.v1` payload. */
export type AudioQwenPayload = z.infer<typeof AudioQwenPayloadSchema>;
/** Signal features in an `analysis.audio.qwen.v1` payload. */
export type AudioFeatures = z.infer<typeof AudioFeaturesSchema>;
/** A transcript in an `analysis.audio.qwen.v1` payload. */
export type AudioTranscript = z.infer<typeof AudioTranscriptSchema>;
