// The enriched publisher: content.publish.approved.v1 in, content.published.v1 out.
// It does what PMOVES's Python publisher does to build the payload, then asks the enrichment
// hooks (CLIP best match, audio analysis) and attaches what they return. A failing hook costs
// its enrichment only: the event is still published, with a warning logged.
import {
  buildPublishedPayload,
  createEnvelope,
  parseEnvelope,
  publishInputFromApproval,
  withEnrichment,
  type ApprovalToPublishOptions,
  type AudioEnrichment,
  type ClipEnrichment,
  type PublishedPayload,
} from '@pmoves/publisher-meta';
import type { NatsConnection, Subscription } from 'nats';
import { log } from './log';

/** NATS subjects PMOVES uses for this flow. */
export const SUBJECTS = {
  approved: 'content.publish.approved.v1',
  published: 'content.published.v1',
} as const;

/** Enrichment hooks; each may return undefined when it has nothing for this payload. */
export interface EnrichmentHooks {
  /** CLIP best match for the published item. */
  clip?: (payload: PublishedPayload, signal: AbortSignal) => Promise<ClipEnrichment | undefined>;
  /** Audio analysis of the published item. */
  audio?: (payload: PublishedPayload, signal: AbortSignal) => Promise<AudioEnrichment | undefined>;
}

/** Options of {@link startPublisherService}. */
export interface PublisherServiceOptions {
  nc: NatsConnection;
  hooks?: EnrichmentHooks;
  /** The publisher's environment (library path, public base URL) as PMOVES reads it. */
  publish?: ApprovalToPublishOptions;
  /** Budget for each enrichment hook, ms. */
  hookTimeoutMs?: number;
  /** Queue group, so several instances share the work. */
  queue?: string;
}

/** Subscribes to approvals and publishes enriched `content.published.v1` events until drained. */
export function startPublisherService(opts: PublisherServiceOptions): Subscription {
  const { nc, hooks = {}, hookTimeoutMs = 30_000 } = opts;
  const sub = nc.subscribe(SUBJECTS.approved, { queue: opts.queue ?? 'pmoves-enriched-publisher' });
  void (async () => {
    for await (const msg of sub) {
      try {
        const approved = parseEnvelope(JSON.parse(new TextDecoder().decode(msg.data)));
        const base = buildPublishedPayload(publishInputFromApproval(approved.payload, opts.publish));
        const [clip, audio] = await Promise.all([
          runHook('clip', hooks.clip, base, hookTimeoutMs),
          runHook('audio', hooks.audio, base, hookTimeoutMs),
        ]);
        const payload = clip || audio ? withEnrichment(base, { clip, audio }) : base;
        const evt = createEnvelope(SUBJECTS.published, payload, {
          source: 'publisher',
          parent_id: approved.id,
          correlation_id: approved.correlation_id ?? null,
        });
        nc.publish(SUBJECTS.published, JSON.stringify(evt));
        log('info', 'published', { id: evt.id, parent_id: approved.id, clip: !!clip, audio: !!audio });
      } catch (err) {
        // One bad approval never stops the service.
        log('error', 'approval rejected', { subject: msg.subject, error: (err as Error).message });
      }
    }
  })();
  return sub;
}

async function runHook<T>(
  name: string,
  hook: ((p: PublishedPayload, s: AbortSignal) => Promise<T | undefined>) | undefined,
  payload: PublishedPayload,
  timeoutMs: number,
): Promise<T | undefined> {
  if (!hook) return undefined;
  try {
    return await hook(payload, AbortSignal.timeout(timeoutMs));
  } catch (err) {
    log('warn', `${name} enrichment failed; publishing without it`, { error: (err as Error).message });
    return undefined;
  }
}
