// The worker in-process against a real nats-server with JetStream and a real PostgreSQL (both from
// scripts/test.sh), with loopback stand-ins for the model server (vLLM-style, through the real openai
// client) and Jellyfin.
process.env.PMOVES_EXAMPLES_QUIET = '1';

import { AudioQwenPayloadSchema } from '@pmoves/publisher-meta';
import type { AudioAnalysisStore } from '@pmoves/qwen-audio';
import type { JsMsg, NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_MODEL as MODEL,
  openTestContext,
  qwenAdapter,
  speech,
  tableRows,
  testQueue,
  tone,
  waitFor,
  type TestContext,
} from '../test/fixtures';
import { startJellyfinStandIn, startModelStandIn, type StandInItem } from '../test/stand-ins';
import type { QueueOptions } from './config';
import { startDeadLetterListener } from './dead-letter';
import { ANALYSIS_TOPIC } from './event';
import { ensureQueue, enqueueItem, type DeadLetter } from './queue';
import { startAudioWorker, type AudioWorker } from './worker';
import type { WorkItem } from './work-item';

const KEY = 'jellyfin-test-key';

let ctx: TestContext;
let nc: NatsConnection;
let db: TestContext['db'];
let store: AudioAnalysisStore;
let files: Record<string, Buffer>;

beforeAll(async () => {
  ctx = await openTestContext();
  ({ nc, db, store } = ctx);
  files = {
    a: await tone(ctx.dir, 'a', 440),
    b: await tone(ctx.dir, 'b', 550),
    spoken: await speech(ctx.dir, 'spoken', 'The quick brown fox jumps over the lazy dog. Then it sleeps.'),
  };
}, 60_000);
afterAll(() => ctx?.close(), 60_000);

const item = (id: string, extra: Partial<WorkItem> = {}): WorkItem => ({
  item_id: id,
  jellyfin_id: id,
  origin: 'test',
  enqueued_at: new Date().toISOString(),
  ...extra,
});

function collect(subject: string): Array<{ data: unknown; msgId: string | undefined }> {
  const out: Array<{ data: unknown; msgId: string | undefined }> = [];
  const sub = nc.subscribe(subject);
  void (async () => {
    for await (const m of sub) out.push({ data: m.json(), msgId: m.headers?.get('Nats-Msg-Id') });
  })();
  return out;
}

async function setup(
  q: QueueOptions,
  items: StandInItem[],
  opts: { enabled?: boolean; hold?: boolean; delayMs?: number; serves?: string } = {},
) {
  const model = await startModelStandIn({
    model: opts.serves ?? MODEL,
    hold: opts.hold ? () => true : undefined,
    delayMs: opts.delayMs ?? 0,
  });
  const jellyfin = await startJellyfinStandIn(KEY, items);
  const jsm = await nc.jetstreamManager();
  await ensureQueue(jsm, q);
  const adapter = qwenAdapter(model.url, {
    JELLYFIN_AUDIO_QWEN_ENABLE: opts.enabled === false ? 'false' : 'true',
    QWEN_AUDIO_API_KEY: 'in-process',
  });
  const workers: AudioWorker[] = [];
  const start = async () => {
    const w = await startAudioWorker({
      nc,
      queue: q,
      adapter,
      store,
      concurrency: 1,
      mediaRoots: [],
      jellyfin: { url: jellyfin.url, apiKey: KEY },
      namespace: 'pmoves',
      pullExpiresMs: 1000,
    });
    workers.push(w);
    return w;
  };
  return {
    model,
    jellyfin,
    jsm,
    start,
    async close() {
      await Promise.all(workers.map((w) => w.stop(100)));
      await model.close();
      await jellyfin.close();
      await jsm.streams.delete(q.stream).catch(() => undefined);
      await jsm.streams.delete(q.dlqStream);
    },
  };
}

describe('audio worker on a JetStream work queue', { timeout: 60000 }, () => {
  it('with JELLYFIN_AUDIO_QWEN_ENABLE off, acks and skips every item without calling the model or Jellyfin', async () => {
    const q = testQueue();
    const env = await setup(q, [{ Id: 'off-1', Name: 'a', bytes: files.a! }], { enabled: false });
    const events = collect(ANALYSIS_TOPIC);
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('off-1'));
      await enqueueItem(nc.jetstream(), q, item('off-2'));
      await waitFor('both items skipped', () => (w.stats.skipped === 2 ? true : undefined));
      const info = await env.jsm.streams.info(q.stream);
      expect(info.state.messages).toBe(0); // acked: a work-queue stream forgets acked messages
      expect(env.model.chats).toHaveLength(0);
      expect(env.model.modelListings()).toBe(0);
      expect(env.jellyfin.downloads).toHaveLength(0);
      expect((await tableRows(db.url)).filter((r) => String(r.item_id).startsWith('off-'))).toEqual([]);
      expect(events).toHaveLength(0);
    } finally {
      await env.close();
    }
  });

  it('stores one row, publishes a schema-valid analysis.audio.qwen.v1, and re-publishes it when a redelivered item is already stored', async () => {
    const q = testQueue();
    const env = await setup(q, [{ Id: 'ok-1', Name: 'a', bytes: files.a! }]);
    const events = collect(ANALYSIS_TOPIC);
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('ok-1', { namespace: 'music' }));
      const first = await waitFor('the event', () => events[0]);
      const evt = first.data as { topic: string; payload: unknown; source: string };
      expect(evt.topic).toBe('analysis.audio.qwen.v1');
      const payload = AudioQwenPayloadSchema.parse(evt.payload);
      expect(payload).toMatchObject({
        item_id: 'ok-1',
        namespace: 'music',
        content_hash: createHash('sha256').update(files.a!).digest('hex'),
        source_uri: `${env.jellyfin.url}/Items/ok-1/Download`,
        summary: 'A steady sine tone with no voice.',
        tags: ['tone', 'test signal'],
        mood: 'neutral',
        model: MODEL,
        backend: 'openai',
        confidence_source: 'logprobs',
        window_count: 1,
      });
      expect(payload.duration_seconds).toBeCloseTo(2, 1);
      expect(payload.features?.sample_rate).toBe(16000);
      expect(w.stats.processed).toBe(1);
      const rows = (await tableRows(db.url)).filter((r) => r.item_id === 'ok-1');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('ok');
      expect(rows[0]!.audio_sha256).toBe(payload.content_hash);

      // A second message for the item; a "worker" takes it and dies without acking. The redelivery
      // finds the row current: no model call, the event is published again with the same Nats-Msg-Id.
      await w.stop(100);
      await enqueueItem(nc.jetstream(), q, item('ok-1', { namespace: 'music' }), 'second-message');
      const consumer = await nc.jetstream().consumers.get(q.stream, q.consumer);
      const taken = (await consumer.next({ expires: 2000 })) as JsMsg;
      expect(taken.info.deliveryCount).toBe(1);
      const chatsBefore = env.model.chats.length;
      const w2 = await env.start();
      await waitFor('the re-published event', () => events[1], 10_000);
      expect(events[1]!.msgId).toBe(first.msgId);
      expect(
        AudioQwenPayloadSchema.parse((events[1]!.data as { payload: unknown }).payload).content_hash,
      ).toBe(payload.content_hash);
      expect(env.model.chats.length).toBe(chatsBefore);
      expect(w2.stats.skipped).toBe(1);
      const after = (await tableRows(db.url)).filter((r) => r.item_id === 'ok-1');
      expect(after[0]!.updated_at).toEqual(rows[0]!.updated_at); // not written again
    } finally {
      await env.close();
    }
  });

  it("puts the item's transcript in the event and the row, and no transcript call for a tone", async () => {
    const q = testQueue();
    const env = await setup(q, [
      { Id: 'spoken-1', Name: 'talk', bytes: files.spoken! },
      { Id: 'tone-1', Name: 'tone', bytes: files.b! },
    ]);
    const events = collect(ANALYSIS_TOPIC);
    try {
      await env.start();
      await enqueueItem(nc.jetstream(), q, item('spoken-1'));
      const spoken = AudioQwenPayloadSchema.parse(
        ((await waitFor('the spoken event', () => events[0])).data as { payload: unknown }).payload,
      );
      const transcriptCalls = env.model.chats.filter((c) => c.transcription).length;
      expect(transcriptCalls).toBeGreaterThan(0);
      const t = spoken.transcript!;
      // The stand-in's canned words, once per detected stretch, in item time.
      expect(t.text).toMatch(/^Hello from the stand-in\./);
      expect(t.segments.length).toBe(transcriptCalls);
      for (const s of t.segments) {
        expect(s.start).toBeGreaterThanOrEqual(1.5); // the 2 s of leading silence is no speech
        expect(s.end).toBeLessThanOrEqual(spoken.duration_seconds + 1e-6);
      }
      expect(t).toMatchObject({ confidence_source: 'logprobs', scope: 'full' });
      const row = await store.get('spoken-1');
      expect(row!.transcript!.segments).toEqual(t.segments);

      await enqueueItem(nc.jetstream(), q, item('tone-1'));
      const tone = AudioQwenPayloadSchema.parse(
        ((await waitFor('the tone event', () => events[1])).data as { payload: unknown }).payload,
      );
      expect(env.model.chats.filter((c) => c.transcription)).toHaveLength(transcriptCalls);
      expect(tone.transcript).toMatchObject({ text: '', segments: [] });
    } finally {
      await env.close();
    }
  });

  it('dead-letters an item no retry can fix (not audio) at once, and one whose deliveries all failed after max_deliver', async () => {
    const q = testQueue({ maxDeliver: 3 });
    const env = await setup(q, [
      { Id: 'not-audio', Name: 'x', bytes: Buffer.from('this is not an audio file') },
      { Id: 'flaky', Name: 'y', bytes: null },
    ]);
    const letters = collect(q.dlqSubject);
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('not-audio'));
      await enqueueItem(nc.jetstream(), q, item('flaky'));
      await waitFor('two dead letters', () => (letters.length === 2 ? true : undefined));
      const byId = Object.fromEntries(
        letters.map((l) => [((l.data as DeadLetter).item as WorkItem).item_id, l.data as DeadLetter]),
      );
      expect(byId['not-audio']).toMatchObject({ reason: 'permanent', deliveries: 1 });
      expect(byId['not-audio']!.error).toMatch(/decode/);
      expect(byId.flaky).toMatchObject({ reason: 'max_deliveries', deliveries: 3 });
      expect(byId.flaky!.error).toMatch(/HTTP 500/);
      expect(env.jellyfin.downloads.filter((d) => d === 'flaky')).toHaveLength(3);
      expect(w.stats).toMatchObject({ dead_lettered: 2, retried: 2 });
      expect((await env.jsm.streams.info(q.stream)).state.messages).toBe(0);
      // The dead letters are kept in their own stream.
      expect((await env.jsm.streams.info(q.dlqStream)).state.messages).toBe(2);
    } finally {
      await env.close();
    }
  });

  it('moves an item whose last delivery timed out (its worker died) to the dead-letter subject on the MAX_DELIVERIES advisory', async () => {
    const q = testQueue({ maxDeliver: 1, ackWaitMs: 1000 });
    const env = await setup(q, []);
    const letters = collect(q.dlqSubject);
    const listener = startDeadLetterListener(nc, env.jsm, q);
    try {
      await nc.flush();
      await enqueueItem(nc.jetstream(), q, item('crashes-its-worker'));
      const consumer = await nc.jetstream().consumers.get(q.stream, q.consumer);
      const taken = await consumer.next({ expires: 2000 });
      expect(taken?.info.deliveryCount).toBe(1); // ... and never acked: the worker "died"
      // A live worker keeps pulling; the server finds the item out of deliveries when it would redeliver.
      const again = await consumer.next({ expires: 3000 });
      expect(again).toBeNull();
      const letter = await waitFor('the dead letter', () => letters[0], 10_000);
      expect(letter.data).toMatchObject({
        reason: 'max_deliveries',
        error: null,
        deliveries: 1,
        item: { item_id: 'crashes-its-worker' },
      });
      await waitFor('the work queue to be empty', async () =>
        (await env.jsm.streams.info(q.stream)).state.messages === 0 ? true : undefined,
      );
    } finally {
      listener.unsubscribe();
      await env.close();
    }
  });

  it('on stop, hands an in-flight item back at once (nak) instead of waiting for the ack wait', async () => {
    const q = testQueue({ ackWaitMs: 60_000 });
    const env = await setup(q, [{ Id: 'slow', Name: 'a', bytes: files.b! }], { hold: true });
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('slow'));
      await waitFor('the model call', () => (env.model.chats.length === 1 ? true : undefined));
      await w.stop(100);
      const consumer = await nc.jetstream().consumers.get(q.stream, q.consumer);
      // Within 5 s, far inside the 60 s ack wait: only a nak makes it available again this soon.
      const back = await consumer.next({ expires: 5000 });
      expect(back?.info.deliveryCount).toBe(2);
      back?.ack();
    } finally {
      await env.close();
    }
  });

  it('never dead-letters a stored item because its ack was not confirmed', async () => {
    const q = testQueue({ maxDeliver: 1 });
    const env = await setup(q, [{ Id: 'ack-lost', Name: 'a', bytes: files.b! }], { delayMs: 1500 });
    const letters = collect(q.dlqSubject);
    const events = collect(ANALYSIS_TOPIC);
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('ack-lost'));
      await waitFor('the model call', () => (env.model.chats.length === 1 ? true : undefined));
      // The consumer disappears while the model answers: the ack after the write gets no confirmation.
      await env.jsm.consumers.delete(q.stream, q.consumer);
      await waitFor('the event', () => events[0]);
      await waitFor('the ack attempt', () => (w.stats.in_flight === 0 ? true : undefined));
      await nc.flush();
      expect(w.stats).toMatchObject({ processed: 1, dead_lettered: 0 });
      expect(letters).toHaveLength(0);
      expect((await tableRows(db.url)).find((r) => r.item_id === 'ack-lost')?.status).toBe('ok');
    } finally {
      await env.close();
    }
  });

  it('pauses pulling after a failure of the model server, instead of burning every queued item', async () => {
    const q = testQueue({ retryDelayMs: 3000, maxDeliver: 5 });
    // The server does not serve the configured model: every item would fail the same way.
    const env = await setup(
      q,
      [
        { Id: 'm-1', Name: 'a', bytes: files.a! },
        { Id: 'm-2', Name: 'b', bytes: files.b! },
      ],
      { serves: 'some-other-model' },
    );
    try {
      const w = await env.start();
      await enqueueItem(nc.jetstream(), q, item('m-1'));
      await enqueueItem(nc.jetstream(), q, item('m-2'));
      await waitFor('the first failure', () => (w.stats.retried === 1 ? true : undefined));
      expect(w.stats.paused).toMatch(/^pulling paused for 3000 ms/);
      const listings = env.model.modelListings(); // auto's question and the capability check, for m-1
      // Stopping during the pause: the second item was never taken (a slot that did not pause would
      // have pulled it at once and failed it too, spending one of its deliveries).
      await w.stop(100);
      expect(listings).toBeGreaterThan(0);
      expect(env.model.modelListings()).toBe(listings); // nothing asked the server during the pause
      expect(w.stats).toMatchObject({ retried: 1, dead_lettered: 0 });
      const consumer = await nc.jetstream().consumers.get(q.stream, q.consumer);
      const next = await consumer.next({ expires: 2000 });
      expect(next?.json<WorkItem>().item_id).toBe('m-2');
      expect(next?.info.deliveryCount).toBe(1);
      next?.ack();
      expect((await tableRows(db.url)).find((r) => r.item_id === 'm-1')?.error).toMatch(/^model-not-found/);
    } finally {
      await env.close();
    }
  });
});
