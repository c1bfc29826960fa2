import { z } from 'zod';

/**
 * `content.publish.failed.v1` payload, mirroring PMOVES `contracts/schemas/content/publish.failed.v1.schema.json`
 * (what the publisher's `emit_publish_failure()` sends when a publish or its Discord post gives up): `stage`,
 * `reason`, `retryable`, `outcome` (`fatal` or `partial`) required; the item's identifiers, `details` and `meta`
 * optional; extra keys allowed (JSON values), as upstream.
 */
export const PublishFailedPayloadSchema = z
  .looseObject({
    /** Step that failed, e.g. `download`, `jellyfin_refresh`, `discord`. */
    stage: z.string(),
    /** Why, in words. */
    reason: z.string(),
    /** Whether trying again may succeed. */
    retryable: z.boolean(),
    /** `fatal`: nothing was published; `partial`: published, but a later step failed. */
    outcome: z.enum(['fatal', 'partial']),
    /** Source artifact. */
    artifact_uri: z.string().optional(),
    /** Namespace. */
    namespace: z.string().optional(),
    /** Id of the event that asked for the publish. */
    publish_event_id: z.string().optional(),
    /** Public URL, when it got that far. */
    public_url: z.string().optional(),
    /** Jellyfin URL of the item. */
    jellyfin_public_url: z.string().optional(),
    /** Jellyfin item id. */
    jellyfin_item_id: z.string().optional(),
    /** Details of the failure (status codes, attempts…). */
    details: z.record(z.string(), z.json()).optional(),
    /** The item's meta. */
    meta: z.record(z.string(), z.json()).optional(),
  })
  .catchall(z.json());

/** A `content.publish.failed.v1` payload. */
export type PublishFailedPayload = z.infer<typeof PublishFailedPayloadSchema>;
