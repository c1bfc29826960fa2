// The event published after an analysis is stored: `analysis.audio.qwen.v1`. Never
// `analysis.audio.v1`, whose schema requires emotions that Qwen2-Audio's summary does not give.
//
// The topic, its payload schema (`AudioQwenPayloadSchema`) and its JSON Schema live in
// @pmoves/publisher-meta's topic registry; `createEnvelope` validates every event against it, so an
// event that fails its topic's schema is never published.
import {
  createEnvelope,
  isPublisherMetaValidationError,
  type AudioQwenPayload,
  type AudioTranscript,
  type TypedEnvelope,
} from '@pmoves/publisher-meta';
import type { AnalysisResult, StoredAudioAnalysis, Transcript } from '@pmoves/qwen-audio';
import { z } from 'zod';
import { AudioProcessorError } from './errors';

/** The topic (and NATS subject) of the event. */
export const ANALYSIS_TOPIC = 'analysis.audio.qwen.v1';

/** Payload of `analysis.audio.qwen.v1` (publisher-meta's `AudioQwenPayload`). */
export type AnalysisAudioQwenPayload = AudioQwenPayload;

/**
 * qwen-audio's transcript in the event's snake_case: `{ text, language, segments: [{ start, end, text }] }`
 * as the topic defines it, plus `confidence`, `confidence_source` and `scope` (`windows` or `full`).
 */
export function transcriptPayload(t: Transcript): AudioTranscript {
  return {
    text: t.text,
    language: t.language,
    segments: t.segments.map((s) => ({ start: s.start, end: s.end, text: s.text })),
    confidence: t.confidence,
    confidence_source: t.confidenceSource,
    scope: t.scope,
  };
}

/** The payload of a fresh analysis; the transcript is included when one was made. */
export function payloadFromResult(
  result: AnalysisResult,
  item: { item_id: string; namespace?: string; source_uri?: string },
  now = new Date(),
): AnalysisAudioQwenPayload {
  return {
    item_id: item.item_id,
    ...(item.namespace ? { namespace: item.namespace } : {}),
    content_hash: result.audio.sha256,
    ...(item.source_uri ? { source_uri: item.source_uri } : {}),
    summary: result.summary,
    tags: result.tags,
    mood: result.mood,
    language: result.language,
    confidence: result.confidence,
    confidence_source: result.confidenceSource,
    model: result.model,
    backend: result.backend,
    prompt_version: result.promptVersion,
    duration_seconds: result.audio.durationSeconds,
    window_count: result.audio.windowCount,
    features: result.features,
    ...(result.transcript ? { transcript: transcriptPayload(result.transcript) } : {}),
    analyzed_at: now.toISOString(),
  };
}

const storedRawSchema = z.object({ audio: z.object({ windowCount: z.number().int().positive() }) });

/**
 * The payload of an analysis already stored (re-published when a redelivered item finds its row
 * current: the worker that stored it may have died before publishing). Null when the row is not a
 * complete analysis.
 */
export function payloadFromStored(
  row: StoredAudioAnalysis,
  item: { source_uri?: string },
): AnalysisAudioQwenPayload | null {
  const raw = storedRawSchema.safeParse(row.raw);
  if (
    row.status !== 'ok' ||
    !raw.success ||
    !row.summary ||
    !row.mood ||
    !row.audioSha256 ||
    row.durationSeconds === null
  )
    return null;
  return {
    item_id: row.itemId,
    namespace: row.namespace,
    content_hash: row.audioSha256,
    ...(item.source_uri ? { source_uri: item.source_uri } : {}),
    summary: row.summary,
    tags: row.tags,
    mood: row.mood,
    language: row.language,
    confidence: row.confidence,
    confidence_source: row.confidenceSource ?? 'none',
    model: row.model,
    backend: row.backend,
    prompt_version: row.promptVersion,
    duration_seconds: row.durationSeconds,
    window_count: raw.data.audio.windowCount,
    features: row.features,
    ...(row.transcript ? { transcript: transcriptPayload(row.transcript) } : {}),
    analyzed_at: row.updatedAt.toISOString(),
  };
}

/**
 * Builds the envelope with publisher-meta's `createEnvelope`, which validates the payload against the
 * registered `analysis.audio.qwen.v1` schema and the envelope against `StrictEnvelopeSchema`.
 *
 * @throws {@link AudioProcessorError} `queue` naming the failing field: an event that fails its
 *   topic's schema is never published.
 */
export function analysisEnvelope(
  payload: AnalysisAudioQwenPayload,
  opts: { correlation_id?: string } = {},
): TypedEnvelope<typeof ANALYSIS_TOPIC> {
  try {
    return createEnvelope(ANALYSIS_TOPIC, payload, {
      source: 'jellyfin-audio-processor',
      ...(opts.correlation_id ? { correlation_id: opts.correlation_id } : {}),
    });
  } catch (err) {
    if (!isPublisherMetaValidationError(err)) throw err;
    // Deterministic: a redelivery would build the same payload, so the item is dead-lettered at once.
    throw new AudioProcessorError('queue', err.message, { cause: err, permanent: true });
  }
}

/** What {@link fitEnvelope} built. */
export interface FittedEnvelope {
  /** The envelope to publish. */
  envelope: TypedEnvelope<typeof ANALYSIS_TOPIC>;
  /** Its JSON, UTF-8. */
  data: Uint8Array;
  /** Transcript segments left out to fit (0 when none). */
  droppedSegments: number;
}

/**
 * The envelope, within `maxBytes` (the NATS server's `max_payload`, 1 MiB by default). A `full` transcript
 * of a very long item can exceed it: then only the leading segments that fit are kept, the transcript's
 * `text` is theirs, and it carries `truncated: true` (the whole transcript stays in `media_audio_analysis`).
 *
 * @throws {@link AudioProcessorError} `queue` (permanent) when even the payload without segments is too large.
 */
export function fitEnvelope(
  payload: AnalysisAudioQwenPayload,
  maxBytes: number,
  opts: { correlation_id?: string } = {},
): FittedEnvelope {
  const encode = (p: AnalysisAudioQwenPayload) => {
    const envelope = analysisEnvelope(p, opts);
    return { envelope, data: new TextEncoder().encode(JSON.stringify(envelope)) };
  };
  const whole = encode(payload);
  const t = payload.transcript;
  if (whole.data.byteLength <= maxBytes || !t) return { ...whole, droppedSegments: 0 };
  const keep = (k: number) =>
    encode({
      ...payload,
      transcript: {
        ...t,
        text: t.segments
          .slice(0, k)
          .map((s) => s.text)
          .join(' '),
        segments: t.segments.slice(0, k),
        truncated: true,
      },
    });
  // The most leading segments that fit (size grows with k).
  let lo = 0;
  let hi = t.segments.length - 1;
  let best = keep(0);
  if (best.data.byteLength > maxBytes)
    throw new AudioProcessorError(
      'queue',
      `${ANALYSIS_TOPIC} for ${payload.item_id} is ${best.data.byteLength} bytes without its transcript segments, more than the server's max_payload of ${maxBytes}`,
      { permanent: true },
    );
  let bestK = 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const e = keep(mid);
    if (e.data.byteLength <= maxBytes) {
      lo = mid;
      best = e;
      bestK = mid;
    } else hi = mid - 1;
  }
  return { ...best, droppedSegments: t.segments.length - bestK };
}
