// The JetStream work queue: a work-queue stream (a message lives until one consumer acks it), one
// durable pull consumer shared by every replica (explicit acks, bounded redelivery), and a second
// stream that keeps the dead letters.
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  headers as natsHeaders,
  nanos,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import type { QueueOptions } from './config';
import { AudioProcessorError } from './errors';
import type { WorkItem } from './work-item';

const DLQ_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

function isMissing(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number; code?: number } };
  return e.api_error?.code === 404 || e.code === '404';
}

async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig> & { name: string }) {
  try {
    const info = await jsm.streams.info(want.name);
    const c = info.config;
    const subjectsDiffer = (want.subjects ?? []).some((s) => !c.subjects?.includes(s));
    if (c.retention !== want.retention)
      throw new AudioProcessorError(
        'queue',
        `stream ${want.name} exists with retention ${c.retention}, not ${want.retention}: delete it or pick another AUDIO_QUEUE_STREAM/AUDIO_QUEUE_DLQ_STREAM`,
      );
    if (subjectsDiffer || c.duplicate_window !== want.duplicate_window)
      await jsm.streams.update(want.name, {
        subjects: [...new Set([...(c.subjects ?? []), ...(want.subjects ?? [])])],
        ...(want.duplicate_window !== undefined ? { duplicate_window: want.duplicate_window } : {}),
      });
  } catch (err) {
    if (!isMissing(err)) throw err;
    try {
      await jsm.streams.add(want);
    } catch (addErr) {
      // Another replica created it between our info and add.
      await jsm.streams.info(want.name).catch(() => {
        throw addErr;
      });
    }
  }
}

/** The consumer every replica binds to (explicit acks, bounded deliveries, one subject). */
export function consumerConfig(q: QueueOptions): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: q.consumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(q.ackWaitMs),
    max_deliver: q.maxDeliver,
    deliver_policy: DeliverPolicy.All,
    filter_subject: q.subject,
  };
}

/**
 * Creates (or brings up to date) the work-queue stream, its durable consumer and the dead-letter
 * stream. Safe to run from every replica at start-up.
 *
 * @throws {@link AudioProcessorError} `queue` when an existing stream has another retention.
 */
export async function ensureQueue(jsm: JetStreamManager, q: QueueOptions): Promise<void> {
  await ensureStream(jsm, {
    name: q.stream,
    subjects: [q.subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(q.duplicateWindowMs),
  });
  await ensureStream(jsm, {
    name: q.dlqStream,
    subjects: [q.dlqSubject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(DLQ_MAX_AGE_MS),
    duplicate_window: nanos(Math.min(q.duplicateWindowMs, DLQ_MAX_AGE_MS)),
  });
  const want = consumerConfig(q);
  try {
    const info = await jsm.consumers.info(q.stream, q.consumer);
    if (info.config.ack_wait !== want.ack_wait || info.config.max_deliver !== want.max_deliver)
      await jsm.consumers.update(q.stream, q.consumer, {
        ack_wait: want.ack_wait!,
        max_deliver: want.max_deliver!,
      });
  } catch (err) {
    if (!isMissing(err)) throw err;
    try {
      await jsm.consumers.add(q.stream, want);
    } catch (addErr) {
      await jsm.consumers.info(q.stream, q.consumer).catch(() => {
        throw addErr;
      });
    }
  }
}

/**
 * The `Nats-Msg-Id` of an item: one id per item, so the poller, the backfill and several replicas
 * enqueueing the same item within the duplicate window leave one message. A forced item gets a fresh id.
 */
export function messageId(item: Pick<WorkItem, 'item_id' | 'force'>): string {
  return item.force ? `audio:${item.item_id}:force:${randomUUID()}` : `audio:${item.item_id}`;
}

/** Publishes a work item; `duplicate` is true when JetStream dropped it as already enqueued. */
export async function enqueueItem(
  js: JetStreamClient,
  q: QueueOptions,
  item: WorkItem,
  msgId = messageId(item),
): Promise<{ duplicate: boolean; seq: number }> {
  try {
    const ack = await js.publish(q.subject, JSON.stringify(item), { msgID: msgId });
    return { duplicate: ack.duplicate, seq: ack.seq };
  } catch (cause) {
    throw new AudioProcessorError(
      'queue',
      `enqueueing ${item.item_id} on ${q.subject} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** Why an item was dead-lettered. */
export interface DeadLetter {
  /** `permanent` (retrying cannot help), `max_deliveries` (every delivery failed or timed out). */
  reason: 'permanent' | 'max_deliveries';
  /** The last error, when a worker saw one. */
  error: string | null;
  /** Deliveries so far. */
  deliveries: number;
  /** Sequence of the item in the work-queue stream. */
  stream_seq: number;
  /** When it was dead-lettered (ISO-8601). */
  failed_at: string;
  /** The work item as enqueued (the raw text when it was not JSON). */
  item: unknown;
}

/**
 * Publishes a dead letter; de-duplicated on the stream sequence, so the worker and the advisory
 * listener dead-lettering the same message leave one.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  q: QueueOptions,
  data: Uint8Array,
  info: Omit<DeadLetter, 'item' | 'failed_at'>,
): Promise<void> {
  const text = new TextDecoder().decode(data);
  let item: unknown = text;
  try {
    item = JSON.parse(text);
  } catch {
    // keep the raw text
  }
  const letter: DeadLetter = { ...info, failed_at: new Date().toISOString(), item };
  const h = natsHeaders();
  h.set('Pmoves-Dlq-Reason', info.reason);
  await js.publish(q.dlqSubject, JSON.stringify(letter), {
    msgID: `dlq:${q.stream}:${info.stream_seq}`,
    headers: h,
  });
}
