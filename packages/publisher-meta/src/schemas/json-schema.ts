import { z } from 'zod';
import { EnvelopeSchema } from './envelope';
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
