// `content.publish.failed.v1`, as PMOVES's contract defines it
// (`contracts/schemas/content/publish.failed.v1.schema.json`): the payload schema and the envelope
// are @pmoves/publisher-meta's (`PublishFailedPayloadSchema`, its topic registry and `createEnvelope`).
import {
  createEnvelope,
  type Envelope,
  type PublishedPayload,
  type PublishFailedPayload,
  type TypedEnvelope,
} from '@pmoves/publisher-meta';

/** The failed topic. */
export const PUBLISH_FAILED_TOPIC = 'content.publish.failed.v1';

/** The source the notifier's events carry (PMOVES's `publisher-discord`). */
export const DISCORD_SOURCE = 'publisher-discord';

/**
 * The event the notifier emits when Discord delivery of a published item gave up: `outcome:
 * partial` (the item is published; only the notification failed), `stage: discord`, the
 * published event as its parent. Validated against publisher-meta's schema of the topic.
 */
export function discordFailedEvent(
  published: Envelope,
  payload: PublishedPayload,
  failure: { reason: string; retryable: boolean; status?: number; attempts: number },
): TypedEnvelope<typeof PUBLISH_FAILED_TOPIC> {
  const body: PublishFailedPayload = {
    stage: 'discord',
    reason: failure.reason,
    retryable: failure.retryable,
    outcome: 'partial',
    artifact_uri: payload.artifact_uri,
    ...(payload.namespace ? { namespace: payload.namespace } : {}),
    publish_event_id: published.id,
    ...(payload.public_url ? { public_url: payload.public_url } : {}),
    ...(payload.jellyfin_public_url ? { jellyfin_public_url: payload.jellyfin_public_url } : {}),
    ...(payload.jellyfin_item_id ? { jellyfin_item_id: payload.jellyfin_item_id } : {}),
    details: {
      attempts: failure.attempts,
      ...(failure.status !== undefined ? { status: failure.status } : {}),
    },
  };
  return createEnvelope(PUBLISH_FAILED_TOPIC, body, {
    source: DISCORD_SOURCE,
    parent_id: published.id,
    correlation_id: published.correlation_id ?? null,
  });
}
