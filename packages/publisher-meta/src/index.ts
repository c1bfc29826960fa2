/**
 * `@pmoves/publisher-meta` — the TypeScript home of PMOVES's `content.published.v1` contract: zod schemas for the
 * event envelope and the payload (with the CLIP / audio enrichment keys), `buildPublishedPayload()` with the exact
 * semantics of the Python publisher, the `withEnrichment()` extender, and the Discord embed formatter of
 * `publisher-discord`, made to always fit Discord's limits.
 *
 * @packageDocumentation
 */

export {
  ClipBestMatchSchema,
  ClipCosineSchema,
  EnrichmentProvenanceSchema,
  type ClipBestMatch,
  type EnrichmentProvenance,
} from './schemas/enrichment';
export {
  PublishApprovedPayloadSchema,
  PublishedMetaSchema,
  PublishedPayloadSchema,
  S3UriSchema,
  type PublishApprovedPayload,
  type PublishedMeta,
  type PublishedPayload,
} from './schemas/published';
export {
  createEnvelope,
  EnvelopeSchema,
  parseEnvelope,
  StrictEnvelopeSchema,
  TOPIC_SCHEMAS,
  type CreateEnvelopeOptions,
  type Envelope,
  type KnownTopic,
  type TypedEnvelope,
} from './schemas/envelope';
export { envelopeJsonSchema, publishedPayloadJsonSchema } from './schemas/json-schema';
export { PublisherMetaValidationError } from './schemas/errors';
export {
  buildPublishedPayload,
  BuildPublishedPayloadInputSchema,
  type BuildPublishedPayloadInput,
} from './payload/build';
export { publishInputFromApproval, slugify, type ApprovalToPublishOptions } from './payload/approval';
export {
  AudioEnrichmentSchema,
  ClipEnrichmentSchema,
  EnrichmentInputSchema,
  withEnrichment,
  type AudioEnrichment,
  type ClipEnrichment,
  type EnrichmentInput,
} from './enrichment/with-enrichment';
export {
  DEFAULT_DISCORD_USERNAME,
  DEFAULT_PUBLISH_PREFIX,
  discordOptionsFromEnv,
  DiscordFormatOptionsSchema,
  formatDuration,
  formatPublishedEmbed,
  PUBLISHED_EMBED_COLOR,
  type DiscordFormatOptions,
} from './discord/format';
export {
  checkDiscordLimits,
  DISCORD_LIMITS,
  discordLength,
  embedTextLength,
  type DiscordEmbed,
  type DiscordEmbedField,
  type DiscordWebhookBody,
} from './discord/limits';
export { truncateText } from './discord/truncate';
