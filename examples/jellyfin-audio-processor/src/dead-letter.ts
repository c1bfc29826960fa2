// Dead letters for items no worker got to fail: when a worker dies on an item's last delivery (a
// SIGKILL, an OOM), JetStream stops delivering it but keeps it in the stream and announces it with a
// MAX_DELIVERIES advisory. JetStream does not move it anywhere itself: this listener copies it to
// the dead-letter subject and deletes it from the work queue. Every replica listens, in one queue
// group, so one of them handles each advisory.
import type { JetStreamManager, NatsConnection, Subscription } from 'nats';
import { z } from 'zod';
import { log } from './log';
import type { QueueOptions } from './config';
import { publishDeadLetter } from './queue';

const advisorySchema = z.object({
  type: z.literal('io.nats.jetstream.advisory.v1.max_deliver'),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().nonnegative(),
});

/** The advisory subject for the work queue's consumer. */
export const maxDeliveriesSubject = (q: QueueOptions): string =>
  `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${q.stream}.${q.consumer}`;

/** Listens for MAX_DELIVERIES advisories and dead-letters the messages they name. */
export function startDeadLetterListener(
  nc: NatsConnection,
  jsm: JetStreamManager,
  q: QueueOptions,
): Subscription {
  const js = nc.jetstream();
  const sub = nc.subscribe(maxDeliveriesSubject(q), { queue: `${q.consumer}-dead-letters` });
  void (async () => {
    for await (const m of sub) {
      const adv = advisorySchema.safeParse(m.json());
      if (!adv.success) continue;
      const seq = adv.data.stream_seq;
      try {
        const stored = await jsm.streams.getMessage(q.stream, { seq }).catch(() => null);
        if (!stored) continue; // already acked, termed or moved
        await publishDeadLetter(js, q, stored.data, {
          reason: 'max_deliveries',
          error: null,
          deliveries: adv.data.deliveries,
          stream_seq: seq,
        });
        await jsm.streams.deleteMessage(q.stream, seq);
        log('error', 'item dead-lettered after its last delivery timed out', {
          stream_seq: seq,
          deliveries: adv.data.deliveries,
          subject: q.dlqSubject,
        });
      } catch (err) {
        log('error', 'dead-lettering failed', { stream_seq: seq, error: (err as Error).message });
      }
    }
  })();
  return sub;
}
