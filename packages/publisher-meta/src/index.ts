/**
 * `@pmoves/publisher-meta` — the TypeScript home of PMOVES's `content.published.v1` contract: zod schemas for the
 * event envelope and the payloads of the topics it knows (with the CLIP / audio enrichment keys),
 * `buildPublishedPayload()` with the exact semantics of the Python publisher, the `withEnrichment()` extender, and
 * the Discord embed formatter of `publisher-discord`, made to always fit Discord's limits.
 *
 * @packageDocumentation
 */

export {
  AUDIO_TRANSCRIPT_MAX_LENGTH,
  CLIP_SIMILARITY_MAX_ASSETS,
  ClipBestMatchSchema,
  ClipCosineSchema,
  ClipSimilarAssetSchema,
  EnrichmentProvenanceSchema,
  type ClipBestMatch,
  type ClipSimilarAsset,
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
export { PublishFailedPayloadSchema, type PublishFailedPayload } from './schemas/failed';
export {
  AnalysisAudioPayloadSchema,
  AudioFeaturesSchema,
  AudioQwenPayloadSchema,
  AudioTranscriptSchema,
  ConfidenceSourceSchema,
  type AnalysisAudioPayload,
  type AudioFeatures,
  type AudioQwenPayload,
  type AudioTranscript,
} from './schemas/audio';
export { parsePublishedPayload, type NullableOptionals, type PublishedPayloadInput } from './schemas/lenient';
export {
  createEnvelope,
  EnvelopeSchema,
  parseEnvelope,
  StrictEnvelopeSchema,
  TOPIC_SCHEMAS,
  TOPICS,
  type CreateEnvelopeOptions,
  type Envelope,
  type KnownTopic,
  type TopicInfo,
  type TypedEnvelope,
} from './schemas/envelope';
export { envelopeJsonSchema, publishedPayloadJsonSchema, topicJsonSchema } from './schemas/json-schema';
export {
  isPublisherMetaValidationError,
  MAX_JSON_DEPTH,
  PublisherMetaValidationError,
  type PublisherMetaErrorCode,
} from './schemas/errors';
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
  DiscordFormatOptionsSchema,
  formatDuration,
  formatPublishedEmbed,
  PUBLISHED_EMBED_COLOR,
  type DiscordFormatOptions,
} from './discord/format';
export { discordOptionsFromEnv, PUBLISHER_META_ENV_VARS, type FromEnvOptions } from './config/env';
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
