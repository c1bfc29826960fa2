// The public surface of @pmoves/publisher-meta, held here so that every change to it is deliberate: each name is
// documented in the README (and by TSDoc); add a name here only together with its README entry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as entry from './index';

const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

describe('@pmoves/publisher-meta exports', () => {
  it('exactly the documented runtime names', () => {
    expect(Object.keys(entry).sort()).toEqual([
      'AUDIO_TRANSCRIPT_MAX_LENGTH',
      'AnalysisAudioPayloadSchema',
      'AudioEnrichmentSchema',
      'AudioFeaturesSchema',
      'AudioQwenPayloadSchema',
      'AudioTranscriptSchema',
      'BuildPublishedPayloadInputSchema',
      'CLIP_SIMILARITY_MAX_ASSETS',
      'ClipBestMatchSchema',
      'ClipCosineSchema',
      'ClipEnrichmentSchema',
      'ClipSimilarAssetSchema',
      'ConfidenceSourceSchema',
      'DEFAULT_DISCORD_USERNAME',
      'DEFAULT_PUBLISH_PREFIX',
      'DISCORD_LIMITS',
      'DiscordFormatOptionsSchema',
      'EnrichmentInputSchema',
      'EnrichmentProvenanceSchema',
      'EnvelopeSchema',
      'MAX_JSON_DEPTH',
      'PUBLISHED_EMBED_COLOR',
      'PUBLISHER_META_ENV_VARS',
      'PublishApprovedPayloadSchema',
      'PublishFailedPayloadSchema',
      'PublishedMetaSchema',
      'PublishedPayloadSchema',
      'PublisherMetaValidationError',
      'S3UriSchema',
      'StrictEnvelopeSchema',
      'TOPICS',
      'TOPIC_SCHEMAS',
      'buildPublishedPayload',
      'checkDiscordLimits',
      'createEnvelope',
      'discordLength',
      'discordOptionsFromEnv',
      'embedTextLength',
      'envelopeJsonSchema',
      'formatDuration',
      'formatPublishedEmbed',
      'isPublisherMetaValidationError',
      'parseEnvelope',
      'parsePublishedPayload',
      'publishInputFromApproval',
      'publishedPayloadJsonSchema',
      'slugify',
      'topicJsonSchema',
      'truncateText',
      'withEnrichment',
    ]);
  });

  it('names every export, types included, in the README', () => {
    const source = read('./index.ts');
    const names = [...source.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((m) =>
      (m[1] as string)
        .split(',')
        .map((n) => n.trim().replace(/^type\s+/, ''))
        .filter(Boolean),
    );
    // The parse found the runtime names and the types.
    expect(names).toEqual(expect.arrayContaining(Object.keys(entry)));
    expect(names).toContain('PublishedPayloadInput');
    const readme = read('../README.md');
    const missing = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(readme));
    expect(missing).toEqual([]);
  });
});
