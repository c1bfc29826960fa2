import { z } from 'zod';
import { EnvelopeSchema, TOPIC_SCHEMAS, unknownTopic, type KnownTopic } from './envelope';
import { PublishedPayloadSchema } from './published';

/**
 * JSON Schema (draft 2020-12) of the `content.published.v1` payload, generated from {@link PublishedPayloadSchema}
 * with `z.toJSONSchema`, so it can never drift from the zod schema. A fresh object on every call.
 */
export function publishedPayloadJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PublishedPayloadSchema) as Record<string, unknown>;
}

/** JSON Schema (draft 2020-12) of the event envelope, generated from {@link EnvelopeSchema}. */
export function envelopeJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(EnvelopeSchema) as Record<string, unknown>;
}

/**
 * JSON Schema (draft 2020-12) of a topic's payload, generated from its zod schema (so it cannot drift), titled with
 * the topic. A fresh object on every call; write it to `contracts/<TOPICS[topic].schemaPath>` to register an SDK
 * topic with PMOVES's Python `envelope()`.
 *
 * @throws {@link PublisherMetaValidationError} when the topic is unknown.
 */
export function topicJsonSchema(topic: KnownTopic): Record<string, unknown> {
  const schema = Object.hasOwn(TOPIC_SCHEMAS, topic)
    ? (TOPIC_SCHEMAS as Record<string, z.ZodType>)[topic]
    : undefined;
  if (!schema) throw unknownTopic(topic);
  return { ...(z.toJSONSchema(schema) as Record<string, unknown>), title: topic };
}
