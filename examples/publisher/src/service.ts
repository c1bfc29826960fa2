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
import type { Bus, BusSubscription } from '../../common/src/bus';
import { errorMessage, type Logger } from '../../common/src/log';

/** NATS subjects PMOVES uses for this flow. */
export const SUBJECTS = {
  approved: 'content.publish.approved.v1',
  published: 'content.published.v1',
} as const;

/** An enrichment hook; returns undefined when it has nothing for this payload. */
export type EnrichmentHook<T> = (payload: PublishedPayload, signal: AbortSignal) => Promise<T | undefined>;

/** Enrichment hooks. */
export interface EnrichmentHooks {
  /** CLIP best match for the published item. */
  clip?: EnrichmentHook<ClipEnrichment>;
  /** Audio analysis of the published item. */
  audio?: EnrichmentHook<AudioEnrichment>;
}

/** Options of {@link startPublisherService}. */
export interface PublisherServiceOptions {
  bus: Bus;
  hooks?: EnrichmentHooks;
  /** The publisher's environment (library path, public base URL) as PMOVES reads it. */
  publish?: ApprovalToPublishOptions;
  /** Budget of the CLIP hook, ms (default 30 s). */
  clipTimeoutMs?: number;
  /** Budget of the audio hook, ms (default 10 min: an analysis of a long item takes minutes). */
  audioTimeoutMs?: number;
  /** Queue group, so several instances share the work. */
  queue?: string;
  log: Logger;
}

/** Subscribes to approvals and publishes enriched `content.published.v1` events until drained. */
export function startPublisherService(opts: PublisherServiceOptions): BusSubscription {
  const { bus, hooks = {}, log } = opts;
  const sub = bus.subscribe(
    SUBJECTS.approved,
    async (msg) => {
      try {
        const approved = parseEnvelope(JSON.parse(new TextDecoder().decode(msg.data)));
        const base = buildPublishedPayload(publishInputFromApproval(approved.payload, opts.publish));
        const [clip, audio] = await Promise.all([
          runHook('clip', hooks.clip, base, opts.clipTimeoutMs ?? 30_000, log),
          runHook('audio', hooks.audio, base, opts.audioTimeoutMs ?? 600_000, log),
        ]);
        const payload = clip || audio ? withEnrichment(base, { clip, audio }) : base;
        const evt = createEnvelope(SUBJECTS.published, payload, {
          source: 'publisher',
          parent_id: approved.id,
          correlation_id: approved.correlation_id ?? null,
        });
        bus.publish(SUBJECTS.published, JSON.stringify(evt));
        log('info', 'published', { id: evt.id, parent_id: approved.id, clip: !!clip, audio: !!audio });
      } catch (err) {
        // One bad approval never stops the service.
        log('error', 'approval rejected', { subject: msg.subject, error: errorMessage(err) });
      }
    },
    { queue: opts.queue ?? 'pmoves-enriched-publisher' },
  );
  // Draining finishes the approval in hand (its hooks keep their budgets).
  return sub;
}

async function runHook<T>(
  name: string,
  hook: EnrichmentHook<T> | undefined,
  payload: PublishedPayload,
  timeoutMs: number,
  log: Logger,
): Promise<T | undefined> {
  if (!hook) return undefined;
  try {
    return await hook(payload, AbortSignal.timeout(timeoutMs));
  } catch (err) {
    log('warn', `${name} enrichment failed; publishing without it`, { error: errorMessage(err) });
    return undefined;
  }
}
