import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AnalysisAudioPayloadSchema, AudioQwenPayloadSchema } from './audio';
import { assertValid, PublisherMetaValidationError } from './errors';
import { PublishFailedPayloadSchema } from './failed';
import { assertValidLenient } from './lenient';
import { PublishApprovedPayloadSchema, PublishedPayloadSchema } from './published';

const envelopeShape = {
  id: z.string().min(1),
  topic: z.string().min(1),
  // Python emits `datetime.utcnow().isoformat() + "Z"`: microseconds (or none when they are 0) and a Z.
  ts: z.iso.datetime({ offset: true }),
  version: z.literal('v1'),
  source: z.string(),
  payload: z.record(z.string(), z.json()),
  correlation_id: z.string().optional(),
  parent_id: z.string().optional(),
  actor: z.string().optional(),
  labels: z.array(z.string()).optional(),
};

/**
 * A PMOVES event envelope as the Python services emit it (`contracts/schemas/common/envelope.schema.json`,
 * `services/common/events.py` `envelope()`): no extra keys, `version` `"v1"`, `ts` any ISO-8601 date-time with a
 * `Z` or an offset and any fraction (Python writes microseconds), `payload` a JSON object.
 */
export const EnvelopeSchema = z.strictObject(envelopeShape);

/**
 * What {@link createEnvelope} builds — stricter than {@link EnvelopeSchema}: `id` is a UUID v4 and `ts` is
 * ISO-8601 UTC ending in `Z`.
 */
export const StrictEnvelopeSchema = z.strictObject({
  ...envelopeShape,
  id: z.uuidv4(),
  ts: z.iso.datetime(),
});

/** A parsed PMOVES event envelope. */
export type Envelope = z.infer<typeof EnvelopeSchema>;

/**
 * Payload schema per topic: {@link createEnvelope} validates the payload against the topic's schema, as
 * PMOVES's `envelope()` does with `contracts/topics.json`. {@link TOPICS} says where each comes from, and
 * `topicJsonSchema(topic)` gives its JSON Schema.
 */
export const TOPIC_SCHEMAS = {
  'content.published.v1': PublishedPayloadSchema,
  'content.publish.approved.v1': PublishApprovedPayloadSchema,
  'content.publish.failed.v1': PublishFailedPayloadSchema,
  'analysis.audio.v1': AnalysisAudioPayloadSchema,
  'analysis.audio.qwen.v1': AudioQwenPayloadSchema,
} as const;

/** Topics {@link createEnvelope} knows a payload schema for. */
export type KnownTopic = keyof typeof TOPIC_SCHEMAS;

/** What the registry knows about a topic besides its schema. */
export interface TopicInfo {
  /**
   * Path of the topic's JSON Schema in PMOVES's `contracts/` directory (upstream's path for upstream topics; the
   * path to add it under for topics this SDK defines).
   */
  readonly schemaPath: string;
  /** `upstream`: mirrored from PMOVES's `contracts/topics.json`; `sdk`: defined by this SDK. */
  readonly origin: 'upstream' | 'sdk';
  /** What the event says, and who emits it. */
  readonly description: string;
}

/** The topic registry: origin, contract path and meaning of every {@link KnownTopic}. */
export const TOPICS: Readonly<Record<KnownTopic, TopicInfo>> = {
  'content.published.v1': {
    schemaPath: 'schemas/content/published.v1.schema.json',
    origin: 'upstream',
    description:
      'An item was published to the media library (publisher); carries the CLIP and audio enrichment.',
  },
  'content.publish.approved.v1': {
    schemaPath: 'schemas/content/publish.approved.v1.schema.json',
    origin: 'upstream',
    description: 'A reviewer approved an item for publishing (what the publisher consumes).',
  },
  'content.publish.failed.v1': {
    schemaPath: 'schemas/content/publish.failed.v1.schema.json',
    origin: 'upstream',
    description: 'A publish, or its Discord post, gave up (publisher).',
  },
  'analysis.audio.v1': {
    schemaPath: 'schemas/analysis/audio.v1.schema.json',
    origin: 'upstream',
    description: 'Emotion analysis of an audio track, with optional transcript and features.',
  },
  'analysis.audio.qwen.v1': {
    schemaPath: 'schemas/analysis/audio.qwen.v1.schema.json',
    origin: 'sdk',
    description:
      'A Qwen2-Audio analysis (summary, tags, mood, features, transcript) was stored in media_audio_analysis (audio processor).',
  },
};

/** The error for a topic the registry does not know. */
export function unknownTopic(topic: unknown): PublisherMetaValidationError {
  return new PublisherMetaValidationError('topic', [
    { path: [], message: `Unknown topic: ${String(topic)}` },
  ]);
}

/** An envelope whose payload has the type of its topic's schema. */
export type TypedEnvelope<T extends KnownTopic> = Omit<Envelope, 'topic' | 'payload'> & {
  topic: T;
  payload: z.infer<(typeof TOPIC_SCHEMAS)[T]>;
};

/** Options of {@link createEnvelope}. Empty strings are left out, as Python's truthiness checks do. */
export interface CreateEnvelopeOptions {
  /** Emitting service (`source`); PMOVES's default is `"agent"`, its publisher uses `"publisher"`. */
  source?: string;
  /** Id of the event this one answers (e.g. the approval event's `id`). */
  parent_id?: string | null;
  /** Correlation id carried through a flow. */
  correlation_id?: string | null;
  /** Who caused the event. */
  actor?: string | null;
  /** Free-form labels. */
  labels?: readonly string[] | null;
  /** Event id; a fresh UUID v4 when omitted. Must be a UUID v4. */
  id?: string;
  /** Event time; now when omitted. Written as ISO-8601 UTC with a `Z`. */
  now?: Date;
}

/**
 * Builds a PMOVES event envelope for `topic`, validating the payload against the topic's schema and the result
 * against {@link StrictEnvelopeSchema}. Keys come in Python's order: `id, topic, ts, version, source, payload`,
 * then `correlation_id`, `parent_id`, `actor`, `labels` when given.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field (`payload.artifact_uri`, `id`…), or when
 *   the topic is unknown.
 */
export function createEnvelope<T extends KnownTopic>(
  topic: T,
  payload: z.input<(typeof TOPIC_SCHEMAS)[T]>,
  opts: CreateEnvelopeOptions = {},
): TypedEnvelope<T> {
  const schema = Object.hasOwn(TOPIC_SCHEMAS, topic)
    ? (TOPIC_SCHEMAS as Record<string, z.ZodType>)[topic]
    : undefined;
  if (!schema) throw unknownTopic(topic);
  assertValid(schema, payload, `${topic} payload`, ['payload']);
  const env: Record<string, unknown> = {
    id: opts.id ?? randomUUID(),
    topic,
    ts: (opts.now ?? new Date()).toISOString(),
    version: 'v1',
    source: opts.source ?? 'agent',
    payload: structuredClone(payload),
  };
  if (opts.correlation_id) env.correlation_id = opts.correlation_id;
  if (opts.parent_id) env.parent_id = opts.parent_id;
  if (opts.actor) env.actor = opts.actor;
  if (opts.labels && opts.labels.length > 0) env.labels = [...opts.labels];
  return assertValid(StrictEnvelopeSchema, env, `${topic} envelope`) as TypedEnvelope<T>;
}

/**
 * Parses an envelope as PMOVES services emit it (see {@link EnvelopeSchema}). A `null` optional key
 * (`correlation_id`, `parent_id`, `actor`, `labels`) counts as absent and is left out of the result. The payload
 * is checked only to be a JSON object: parse it with its topic's schema (e.g. `parsePublishedPayload`).
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field, or when objects nest deeper than
 *   `MAX_JSON_DEPTH`.
 */
export function parseEnvelope(value: unknown): Envelope {
  return assertValidLenient(EnvelopeSchema, value, 'event envelope');
}
