// Producers of the work queue: the Jellyfin poller (new audio items, every PROCESSING_INTERVAL) and
// the backfill (a list of files or the whole Jellyfin audio library, once). Both only publish: the
// workers analyse. JetStream's de-duplication (one Nats-Msg-Id per item) leaves one message when the
// same item is enqueued twice, by two pollers or by the poller and the backfill.
import { listJellyfinItems, type JellyfinItem } from '@pmoves/internal';
import type { AudioAnalysisStore } from '@pmoves/qwen-audio';
import type { JetStreamClient } from 'nats';
import { resolve } from 'node:path';
import { log } from './log';
import type { JellyfinSettings, QueueOptions } from './config';
import { enqueueItem } from './queue';
import type { WorkItem } from './work-item';

/** What one enqueue pass did. */
export interface EnqueueSummary {
  /** Items listed. */
  listed: number;
  /** Messages JetStream stored. */
  enqueued: number;
  /** Messages JetStream dropped as already enqueued (same Nats-Msg-Id within the window). */
  duplicates: number;
  /** Items left alone because they already have a successful analysis (poller only). */
  known: number;
}

const jellyfinWorkItem = (it: JellyfinItem, origin: string, force?: boolean): WorkItem => ({
  item_id: it.Id,
  jellyfin_id: it.Id,
  ...(it.Path ? { path: it.Path } : {}),
  ...(it.Name ? { name: it.Name } : {}),
  ...(force ? { force: true } : {}),
  origin,
  enqueued_at: new Date().toISOString(),
});

async function listAudio(jellyfin: JellyfinSettings, signal?: AbortSignal): Promise<JellyfinItem[]> {
  return listJellyfinItems(
    jellyfin,
    { types: ['Audio'] },
    (problem) => log('warn', 'skipping invalid Jellyfin item', { problem }),
    signal,
  );
}

/** Options of {@link createJellyfinPoller}. */
export interface JellyfinPollerOptions {
  /** JetStream client. */
  js: JetStreamClient;
  /** Work queue. */
  queue: QueueOptions;
  /** Jellyfin to list. */
  jellyfin: JellyfinSettings;
  /** Store: items with a successful analysis are not enqueued again. */
  store: AudioAnalysisStore;
}

/** A Jellyfin poller. */
export interface JellyfinPoller {
  /** Lists Jellyfin's audio items once and enqueues those not seen before. */
  pollOnce(signal?: AbortSignal): Promise<EnqueueSummary>;
  /** Polls every `intervalMs` until stopped; a failed poll is logged and the next one runs. */
  start(intervalMs: number): { stop(): Promise<void> };
}

/** Creates the poller (`GET /Items?Recursive=true&IncludeItemTypes=Audio`, as upstream polls). */
export function createJellyfinPoller(opts: JellyfinPollerOptions): JellyfinPoller {
  // Items this poller already enqueued or found analysed: later polls skip them without a store read.
  const seen = new Set<string>();
  async function pollOnce(signal?: AbortSignal): Promise<EnqueueSummary> {
    const items = await listAudio(opts.jellyfin, signal);
    const s: EnqueueSummary = { listed: items.length, enqueued: 0, duplicates: 0, known: 0 };
    for (const it of items) {
      if (signal?.aborted) break;
      if (seen.has(it.Id)) continue;
      const row = await opts.store.get(it.Id);
      if (row?.status === 'ok') {
        seen.add(it.Id);
        s.known++;
        continue;
      }
      const r = await enqueueItem(opts.js, opts.queue, jellyfinWorkItem(it, 'poller'));
      seen.add(it.Id);
      if (r.duplicate) s.duplicates++;
      else s.enqueued++;
    }
    return s;
  }
  return {
    pollOnce,
    start(intervalMs) {
      const ac = new AbortController();
      const loop = (async () => {
        while (!ac.signal.aborted) {
          try {
            const s = await pollOnce(ac.signal);
            log('info', 'jellyfin poll', { ...s });
          } catch (err) {
            if (!ac.signal.aborted) log('error', 'jellyfin poll failed', { error: (err as Error).message });
          }
          await new Promise<void>((r) => {
            const t = setTimeout(r, intervalMs);
            ac.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
          });
        }
      })();
      return {
        async stop() {
          ac.abort();
          await loop;
        },
      };
    },
  };
}

/** Options of {@link enqueueBackfill}. */
export interface BackfillOptions {
  /** JetStream client. */
  js: JetStreamClient;
  /** Work queue. */
  queue: QueueOptions;
  /** Local files (item id = absolute path, as `pmoves-qwen-audio backfill` keys them). */
  files?: readonly string[];
  /** List the Jellyfin audio library instead. */
  jellyfin?: JellyfinSettings;
  /** Re-analyse even unchanged items (a fresh Nats-Msg-Id each). */
  force?: boolean;
  /** Only Jellyfin items created at or after this date. */
  since?: Date;
  /** At most this many items. */
  limit?: number;
  /** Namespace stored with the items. */
  namespace?: string;
}

/**
 * The backfill, enqueueing instead of analysing in place: the workers (any number of replicas) do the
 * analysis; unchanged items are skipped by them after hashing.
 */
export async function enqueueBackfill(opts: BackfillOptions): Promise<EnqueueSummary> {
  let items: WorkItem[];
  if (opts.files && opts.files.length > 0) {
    items = opts.files.map((f) => {
      const abs = resolve(f);
      return {
        item_id: abs,
        path: abs,
        ...(opts.force ? { force: true } : {}),
        origin: 'backfill',
        enqueued_at: new Date().toISOString(),
      };
    });
  } else if (opts.jellyfin) {
    const listed = await listAudio(opts.jellyfin);
    items = listed
      .filter((it) => !opts.since || (it.DateCreated !== undefined && new Date(it.DateCreated) >= opts.since))
      .map((it) => jellyfinWorkItem(it, 'backfill', opts.force));
  } else {
    items = [];
  }
  if (opts.limit !== undefined) items = items.slice(0, opts.limit);
  if (opts.namespace) items = items.map((it) => ({ ...it, namespace: opts.namespace }));
  const s: EnqueueSummary = { listed: items.length, enqueued: 0, duplicates: 0, known: 0 };
  for (const it of items) {
    const r = await enqueueItem(opts.js, opts.queue, it);
    if (r.duplicate) s.duplicates++;
    else s.enqueued++;
  }
  return s;
}
