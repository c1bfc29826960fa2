// The worker: pulls one item at a time per slot from the shared durable consumer, keeps the ack
// wait alive with in-progress acks while it analyses, stores the analysis (one row per item, keyed by
// item id and checked against the audio's SHA-256, model and prompt version), publishes
// `analysis.audio.qwen.v1`, and only then acks. Failures are retried with a growing delay until the
// last delivery, then dead-lettered; failures no retry can fix are dead-lettered at once.
import { isQwenAudioError, processItem } from '@pmoves/qwen-audio';
import type { AudioAnalysisStore, QwenAudioAdapter } from '@pmoves/qwen-audio';
import { setTimeout as sleep } from 'node:timers/promises';
import { headers as natsHeaders, type Consumer, type JsMsg, type NatsConnection } from 'nats';
import { log } from './log';
import type { JellyfinSettings, QueueOptions } from './config';
import { AudioProcessorError } from './errors';
import { ANALYSIS_TOPIC, fitEnvelope, payloadFromResult, payloadFromStored } from './event';
import type { AnalysisAudioQwenPayload } from './event';
import { publishDeadLetter } from './queue';
import { resolveSource } from './source';
import { parseWorkItem, type WorkItem } from './work-item';

/** qwen-audio failures that a retry cannot fix (the file is not audio, the input is invalid). */
const PERMANENT_QWEN_CODES = new Set(['decode', 'invalid-input']);
/**
 * Failures of the model server, ffmpeg or the store rather than of the item: the slot pauses before
 * pulling again, so a model that is down does not burn every queued item's deliveries in minutes.
 */
const SYSTEMIC_QWEN_CODES = new Set([
  'model-not-found',
  'no-audio-capability',
  'ffmpeg',
  'store',
  'backend',
  'timeout',
]);

/** Options of {@link startAudioWorker}. */
export interface AudioWorkerOptions {
  /** Connection (the worker does not close it). */
  nc: NatsConnection;
  /** Work queue (it must exist: see `ensureQueue`). */
  queue: QueueOptions;
  /** The analyser. With `enabled` false, items are acked and skipped without calling it. */
  adapter: QwenAudioAdapter;
  /** Where analyses go. */
  store: AudioAnalysisStore;
  /** Items analysed at once. */
  concurrency: number;
  /** Folders item paths may be read from. */
  mediaRoots: readonly string[];
  /** Jellyfin for downloads. */
  jellyfin: JellyfinSettings | null;
  /** Namespace for items that name none. */
  namespace: string;
  /** How long one pull waits for an item, ms (at least 1000); default 5000. */
  pullExpiresMs?: number;
}

/** Counters shown by `/healthz`. */
export interface WorkerStats {
  /** Analysed and stored. */
  processed: number;
  /** Acked without analysis (toggle off, or unchanged since the stored analysis). */
  skipped: number;
  /** Deliveries that failed and were retried. */
  retried: number;
  /** Items sent to the dead-letter subject. */
  dead_lettered: number;
  /** Items being worked on now. */
  in_flight: number;
  /** Set while slots pause after a failure of the model server, ffmpeg or the store: its message. */
  paused: string | null;
}

/** A running worker. */
export interface AudioWorker {
  /** Counters. */
  readonly stats: WorkerStats;
  /**
   * Stops pulling; lets in-flight items finish for up to `graceMs`, then aborts them and naks them so
   * another replica picks them up at once. Resolves when every slot has stopped.
   */
  stop(graceMs: number): Promise<void>;
}

function retryDelay(q: QueueOptions, deliveries: number): number {
  return q.retryDelayMs * 2 ** Math.min(Math.max(deliveries - 1, 0), 4);
}

function describe(err: unknown): { message: string; permanent: boolean; systemic: boolean } {
  if (err instanceof AudioProcessorError)
    return { message: err.message, permanent: err.permanent, systemic: err.systemic };
  if (isQwenAudioError(err))
    return {
      message: `${err.code}: ${err.message}`,
      permanent: PERMANENT_QWEN_CODES.has(err.code),
      systemic: SYSTEMIC_QWEN_CODES.has(err.code),
    };
  return { message: (err as Error)?.message ?? String(err), permanent: false, systemic: false };
}

/** Starts `concurrency` pull loops on the shared consumer. */
export async function startAudioWorker(opts: AudioWorkerOptions): Promise<AudioWorker> {
  const { nc, queue: q, adapter, store } = opts;
  const js = nc.jetstream();
  const consumer: Consumer = await js.consumers.get(q.stream, q.consumer);
  const stats: WorkerStats = {
    processed: 0,
    skipped: 0,
    retried: 0,
    dead_lettered: 0,
    in_flight: 0,
    paused: null,
  };
  let systemicFailures = 0;
  const inFlight = new Set<AbortController>();
  let stopping = false;
  const stopped = new AbortController();
  const expires = Math.max(opts.pullExpiresMs ?? 5000, 1000);
  const heartbeatMs = Math.max(Math.floor(q.ackWaitMs / 3), 100);

  function publishEvent(payload: AnalysisAudioQwenPayload, correlationId?: string): void {
    const maxBytes = nc.info?.max_payload ?? 1024 * 1024;
    const fitted = fitEnvelope(payload, maxBytes, correlationId ? { correlation_id: correlationId } : {});
    if (fitted.droppedSegments > 0)
      log('warn', 'transcript cut to fit the NATS max_payload; the stored row keeps it whole', {
        item_id: payload.item_id,
        dropped_segments: fitted.droppedSegments,
        max_payload: maxBytes,
      });
    const h = natsHeaders();
    // A stream capturing the topic drops a re-publication of the same analysis.
    h.set(
      'Nats-Msg-Id',
      `${payload.item_id}:${payload.content_hash}:${payload.model}:${payload.prompt_version}`,
    );
    nc.publish(ANALYSIS_TOPIC, fitted.data, { headers: h });
  }

  /** Handles a failed delivery; returns whether the failure was systemic (then the slot pauses). */
  async function fail(m: JsMsg, item: WorkItem | null, err: unknown): Promise<boolean> {
    const deliveries = m.info.deliveryCount;
    const { message, permanent, systemic } = describe(err);
    const fields = { item_id: item?.item_id, deliveries, max_deliver: q.maxDeliver, error: message };
    if (permanent || deliveries >= q.maxDeliver) {
      await publishDeadLetter(js, q, m.data, {
        reason: permanent ? 'permanent' : 'max_deliveries',
        error: message,
        deliveries,
        stream_seq: m.info.streamSequence,
      });
      m.term();
      stats.dead_lettered++;
      log('error', 'item dead-lettered', { ...fields, subject: q.dlqSubject, permanent });
    } else {
      const delay = retryDelay(q, deliveries);
      m.nak(delay);
      stats.retried++;
      log('warn', 'item failed; will retry', { ...fields, retry_in_ms: delay });
    }
    return systemic;
  }

  // A lost ack only means a redelivery, which finds the row current: never a reason to fail the item.
  async function ack(m: JsMsg, itemId: string): Promise<void> {
    try {
      await m.ackAck();
    } catch (err) {
      log('warn', 'ack not confirmed; the item may be redelivered and skipped', {
        item_id: itemId,
        error: (err as Error).message,
      });
    }
  }

  /** Processes one delivery; returns whether it failed systemically. */
  async function handle(m: JsMsg): Promise<boolean> {
    const ac = new AbortController();
    inFlight.add(ac);
    stats.in_flight++;
    const heartbeat = setInterval(() => m.working(), heartbeatMs);
    let item: WorkItem | null = null;
    try {
      item = parseWorkItem(m.data);
      if (!adapter.enabled) {
        await ack(m, item.item_id);
        stats.skipped++;
        log('info', 'item skipped: JELLYFIN_AUDIO_QWEN_ENABLE is off', { item_id: item.item_id });
        return false;
      }
      log('info', 'item started', { item_id: item.item_id, deliveries: m.info.deliveryCount });
      const source = await resolveSource(item, {
        mediaRoots: opts.mediaRoots,
        jellyfin: opts.jellyfin,
        signal: ac.signal,
      });
      const namespace = item.namespace ?? opts.namespace;
      let outcome;
      try {
        outcome = await processItem({
          adapter,
          store,
          itemId: item.item_id,
          path: source.path,
          namespace,
          ...(item.force ? { force: true } : {}),
          signal: ac.signal,
        });
      } finally {
        await source.release();
      }
      if (outcome.outcome === 'failed')
        throw new AudioProcessorError('source', `${outcome.code}: ${outcome.error}`, {
          permanent: PERMANENT_QWEN_CODES.has(outcome.code),
          systemic: SYSTEMIC_QWEN_CODES.has(outcome.code),
        });
      if (outcome.outcome === 'processed') {
        publishEvent(
          payloadFromResult(outcome.result, { item_id: item.item_id, namespace, source_uri: source.uri }),
        );
        stats.processed++;
        log('info', 'item analysed', {
          item_id: item.item_id,
          content_hash: outcome.result.audio.sha256,
          windows: outcome.result.audio.windowCount,
        });
      } else {
        // A redelivered item whose row is current: its worker may have died between storing and
        // publishing, so publish again (same Nats-Msg-Id).
        if (m.info.deliveryCount > 1) {
          const row = await store.get(item.item_id);
          const payload = row ? payloadFromStored(row, { source_uri: source.uri }) : null;
          if (payload) publishEvent(payload);
        }
        stats.skipped++;
        log('info', 'item skipped', { item_id: item.item_id, reason: outcome.reason });
      }
      await ack(m, item.item_id);
      return false;
    } catch (err) {
      if (ac.signal.aborted) {
        m.nak();
        log('warn', 'item handed back on shutdown', { item_id: item?.item_id });
        return false;
      }
      return await fail(m, item, err);
    } finally {
      clearInterval(heartbeat);
      inFlight.delete(ac);
      stats.in_flight--;
    }
  }

  async function slot(): Promise<void> {
    while (!stopping) {
      let m: JsMsg | null;
      try {
        m = await consumer.next({ expires });
      } catch (err) {
        if (stopping || nc.isClosed()) return;
        log('warn', 'pull failed; retrying', { error: (err as Error).message });
        await sleep(1000, undefined, { signal: stopped.signal }).catch(() => undefined);
        continue;
      }
      if (!m) continue;
      if (stopping) {
        m.nak(); // arrived while stopping: hand it to another replica now
        return;
      }
      const systemic = await handle(m).catch((err) => {
        log('error', 'item handling failed', { error: (err as Error).message, seq: m?.seq });
        return false;
      });
      if (!systemic) {
        systemicFailures = 0;
        stats.paused = null;
        continue;
      }
      systemicFailures++;
      const pause = retryDelay(q, systemicFailures);
      stats.paused = `pulling paused for ${pause} ms after a failure of the model server, ffmpeg or the store`;
      log('warn', 'pausing before the next item', {
        pause_ms: pause,
        consecutive_failures: systemicFailures,
      });
      await sleep(pause, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  }

  const slots = Array.from({ length: opts.concurrency }, () => slot());
  return {
    stats,
    async stop(graceMs) {
      stopping = true;
      stopped.abort();
      const all = Promise.all(slots);
      const timer = setTimeout(() => inFlight.forEach((ac) => ac.abort()), graceMs);
      await all;
      clearTimeout(timer);
    },
  };
}
