// Two processor replicas (separate child processes running the real command line) share one
// JetStream work queue on a real nats-server, and one PostgreSQL. Replica A is SIGKILLed in the
// middle of an item (while the model stand-in holds its request). Afterwards every item is stored
// exactly once, none is lost, and the poison item (its download always fails) is on the
// dead-letter subject. The model stand-in answers after 6 s, longer than the 5 s ack wait, and B
// always has a slot pulling: only the in-progress acks keep items from being redelivered (and
// analysed twice) while they are analysed.
import { AudioQwenPayloadSchema } from '@pmoves/publisher-meta';
import { createPostgresStore } from '@pmoves/qwen-audio';
import { connect, type NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_MODEL,
  createTestDatabase,
  queueEnv,
  qwenEnv,
  tableRows,
  testQueue,
  testServices,
  tone,
  waitFor,
} from '../test/fixtures';
import { freePort, startProcessor, type ProcessorProcess } from '../test/processes';
import { startJellyfinStandIn, startModelStandIn, type StandInItem } from '../test/stand-ins';
import { createJellyfinPoller } from './enqueue';
import { ANALYSIS_TOPIC } from './event';
import { ensureQueue, type DeadLetter } from './queue';

process.env.PMOVES_EXAMPLES_QUIET = '1';

const KEY = 'jellyfin-replicas-key';
const GOOD = ['track-1', 'track-2', 'track-3', 'track-4'];

let nc: NatsConnection;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;
const procs: ProcessorProcess[] = [];

beforeAll(async () => {
  nc = await connect({ servers: testServices().natsUrl });
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'audio-replicas-test-'));
}, 60_000);
afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await nc?.drain();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('two audio-processor replicas on one JetStream work queue', () => {
  it('lose nothing and store nothing twice when one is SIGKILLed mid-item; the poison item is dead-lettered', async () => {
    const q = testQueue({ ackWaitMs: 5000, maxDeliver: 3, retryDelayMs: 100 });
    const items: StandInItem[] = [];
    for (const [i, id] of GOOD.entries())
      items.push({ Id: id, Name: id, bytes: await tone(dir, id, 300 + 110 * i) });
    items.push({ Id: 'poison', Name: 'poison', bytes: null });
    const sha = Object.fromEntries(
      items.filter((i) => i.bytes).map((i) => [i.Id, createHash('sha256').update(i.bytes!).digest('hex')]),
    );

    // Replica A's first model request is held until A is killed; everything else answers in 6 s.
    // (The margins leave room for a loaded machine: heartbeats every 1.7 s against a 5 s ack wait.)
    const model = await startModelStandIn({
      model: TEST_MODEL,
      delayMs: 6000,
      hold: (req) => req.apiKey === 'replica-a' && !model.chats.some((c) => c.held),
    });
    const jellyfin = await startJellyfinStandIn(KEY, items);
    const jsm = await nc.jetstreamManager();
    await ensureQueue(jsm, q);
    const events: unknown[] = [];
    const evSub = nc.subscribe(ANALYSIS_TOPIC);
    void (async () => {
      for await (const m of evSub) events.push(m.json());
    })();
    const letters: DeadLetter[] = [];
    const dlqSub = nc.subscribe(q.dlqSubject);
    void (async () => {
      for await (const m of dlqSub) letters.push(m.json<DeadLetter>());
    })();

    const healthPort = await freePort();
    const env = (apiKey: string, port: number, concurrency: number) => ({
      NATS_URL: testServices().natsUrl,
      DATABASE_URL: db.url,
      ...queueEnv(q),
      JELLYFIN_URL: jellyfin.url,
      JELLYFIN_API_KEY: KEY,
      ...qwenEnv(model.url, { QWEN_AUDIO_API_KEY: apiKey }),
      AUDIO_PROCESSOR_HEALTH_PORT: String(port),
      AUDIO_PROCESSOR_SHUTDOWN_GRACE: '10',
      AUDIO_PROCESSOR_CONCURRENCY: String(concurrency),
    });
    // B has two slots: while one analyses, the other is pulling, ready to take any redelivery.
    const a = startProcessor(['worker'], env('replica-a', 0, 1));
    const b = startProcessor(['worker'], env('replica-b', healthPort, 2));
    procs.push(a, b);
    for (const p of [a, b])
      await waitFor(
        `worker ready (${p.stderr()})`,
        () => (p.logs.some((l) => l.msg === 'worker ready') ? true : undefined),
        60_000,
      );

    try {
      const store = createPostgresStore({ connectionString: db.url });
      const poll = await createJellyfinPoller({
        js: nc.jetstream(),
        queue: q,
        jellyfin: { url: jellyfin.url, apiKey: KEY },
        store,
      }).pollOnce();
      await store.close();
      expect(poll).toEqual({ listed: 5, enqueued: 5, duplicates: 0, known: 0 });

      // Kill A while the model holds its request: in the middle of an item.
      await waitFor('replica A mid-item', () => (model.chats.some((c) => c.held) ? true : undefined), 30_000);
      const killed = a.logs.filter((l) => l.msg === 'item started').at(-1)!.item_id as string;
      a.child.kill('SIGKILL');
      expect(await a.exited).toBe('SIGKILL');
      expect(GOOD).toContain(killed);

      await waitFor(
        'every good item stored and the poison dead-lettered',
        async () => {
          const ok = (await tableRows(db.url)).filter((r) => r.status === 'ok');
          return ok.length === GOOD.length && letters.length === 1 ? true : undefined;
        },
        60_000,
      );
      await nc.flush();

      // Every item stored exactly once: one row each, never rewritten (created_at = updated_at).
      const rows = await tableRows(db.url);
      expect(rows.map((r) => r.item_id)).toEqual(GOOD);
      for (const r of rows) {
        expect(r.status).toBe('ok');
        expect(r.audio_sha256).toBe(sha[r.item_id as string]);
        expect(
          r.updated_at,
          `${String(r.item_id)} written twice; B's log: ${JSON.stringify(b.logs.filter((l) => l.item_id === r.item_id))}`,
        ).toEqual(r.created_at);
      }
      // The killed item was taken over by B on redelivery.
      expect(
        b.logs.some((l) => l.msg === 'item started' && l.item_id === killed && (l.deliveries as number) >= 2),
      ).toBe(true);
      // Each analysis ran once in B (A's one request was the held one), so no item was redelivered
      // while B analysed it: the in-progress acks held the 5 s ack wait through 6 s model calls.
      const chatsB = model.chats.filter((c) => c.apiKey === 'replica-b');
      expect(chatsB).toHaveLength(GOOD.length);
      expect(chatsB.every((c) => c.hasAudio)).toBe(true);
      expect(model.chats.filter((c) => c.apiKey === 'replica-a')).toHaveLength(1);

      // One schema-valid analysis.audio.qwen.v1 per item.
      const payloads = events.map((e) => AudioQwenPayloadSchema.parse((e as { payload: unknown }).payload));
      expect(payloads.map((p) => p.item_id).sort()).toEqual(GOOD);
      for (const p of payloads) expect(p.content_hash).toBe(sha[p.item_id]);

      // The poison item: three deliveries, then the dead-letter subject.
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        reason: 'max_deliveries',
        deliveries: 3,
        item: { item_id: 'poison' },
      });
      expect(letters[0]!.error).toMatch(/HTTP 500/);
      expect(jellyfin.downloads.filter((d) => d === 'poison')).toHaveLength(3);

      // Nothing left in the queue.
      expect((await jsm.streams.info(q.stream)).state.messages).toBe(0);
      const ci = await jsm.consumers.info(q.stream, q.consumer);
      expect(ci.num_pending + ci.num_ack_pending).toBe(0);

      const health = (await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()) as Record<
        string,
        unknown
      >;
      expect(health).toMatchObject({
        status: 'ok',
        role: 'worker',
        qwen_enabled: true,
        processed: GOOD.length,
      });

      // SIGTERM: B finishes (nothing in flight) and exits cleanly.
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(b.logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
    } finally {
      evSub.unsubscribe();
      dlqSub.unsubscribe();
      await model.close();
      await jellyfin.close();
      await jsm.streams.delete(q.stream).catch(() => undefined);
      await jsm.streams.delete(q.dlqStream).catch(() => undefined);
    }
  }, 180_000);
});
