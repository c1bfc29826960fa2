import { z } from 'zod';
import { EnrichmentMetaShape } from './enrichment';

/** An `s3://` URI, as PMOVES's contracts require for `artifact_uri` (pattern `^s3://`). */
export const S3UriSchema = z.string().regex(/^s3:\/\//, 'must start with s3://');

/**
 * `meta` of a `content.published.v1` payload: open to any extra JSON keys (PMOVES copies the approval's meta,
 * Jellyfin metadata and telemetry into it), with the enrichment keys typed.
 */
export const PublishedMetaSchema = z.looseObject(EnrichmentMetaShape).catchall(z.json());

/**
 * `content.published.v1` payload, mirroring PMOVES `contracts/schemas/content/published.v1.schema.json`.
 *
 * Like the upstream JSON Schema it does not forbid extra top-level keys (the Discord publisher reads a few, such as
 * `summary` and `slug`), but every extra value must be JSON. Shape keys are listed in the order
 * `build_published_payload()` emits them.
 */
export const PublishedPayloadSchema = z
  .looseObject({
    artifact_uri: S3UriSchema,
    published_path: z.string(),
    namespace: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    thumbnail_url: z.string().optional(),
    duration: z.number().min(0).optional(),
    meta: PublishedMetaSchema.optional(),
    public_url: z.string().optional(),
    jellyfin_item_id: z.string().optional(),
    jellyfin_public_url: z.string().optional(),
  })
  .catchall(z.json());

/** A validated `content.published.v1` payload. */
export type PublishedPayload = z.infer<typeof PublishedPayloadSchema>;
/** The `meta` object of a {@link PublishedPayload}. */
export type PublishedMeta = z.infer<typeof PublishedMetaSchema>;

/**
 * `content.publish.approved.v1` payload (PMOVES `contracts/schemas/content/publish.approved.v1.schema.json`):
 * what the publisher consumes. Extra keys (`slug`, `thumbnail_url`, `duration`, reviewer fields…) are allowed,
 * as upstream.
 */
export const PublishApprovedPayloadSchema = z
  .looseObject({
    artifact_uri: S3UriSchema,
    title: z.string(),
    tags: z.array(z.string()).optional(),
    description: z.string().optional(),
    namespace: z.string().optional(),
    meta: z.record(z.string(), z.json()).optional(),
  })
  .catchall(z.json());

/** A validated `content.publish.approved.v1` payload. */
export type PublishApprovedPayload = z.infer<typeof PublishApprovedPayloadSchema>;
