// The producers against a real nats-server with JetStream and a real PostgreSQL, and a Jellyfin
// stand-in driven by the shared Jellyfin client.
process.env.PMOVES_EXAMPLES_QUIET = '1';

import { createPostgresStore, type AudioAnalysisStore } from '@pmoves/qwen-audio';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testQueue, testServices } from '../test/fixtures';
import { startJellyfinStandIn } from '../test/stand-ins';
import { createJellyfinPoller, enqueueBackfill } from './enqueue';
import { ensureQueue } from './queue';
import type { QueueOptions } from './config';
import type { WorkItem } from './work-item';

const KEY = 'poller-key';
let nc: NatsConnection;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: AudioAnalysisStore;

beforeAll(async () => {
  nc = await connect({ servers: testServices().natsUrl });
  db = await createTestDatabase();
  store = createPostgresStore({ connectionString: db.url });
  await store.migrate();
}, 60_000);
afterAll(async () => {
  await store?.close();
  await nc?.drain();
  await db?.drop();
}, 60_000);

async function queued(q: QueueOptions): Promise<WorkItem[]> {
  const jsm = await nc.jetstreamManager();
  const n = (await jsm.streams.info(q.stream)).state.messages;
  const out: WorkItem[] = [];
  for (let seq = 1; out.length < n && seq < 1000; seq++) {
    const m = await jsm.streams.getMessage(q.stream, { seq }).catch(() => null);
    if (m) out.push(m.json<WorkItem>());
  }
  return out;
}

describe('Jellyfin poller', { timeout: 30000 }, () => {
  it('enqueues each new audio item once: the same item seen twice (two pollers) leaves one message', async () => {
    const q = testQueue();
    const jsm = await nc.jetstreamManager();
    await ensureQueue(jsm, q);
    const jellyfin = await startJellyfinStandIn(KEY, [
      { Id: 'j-1', Name: 'One', Path: '/media/music/one.flac', bytes: Buffer.from('') },
      { Id: 'j-2', Name: 'Two', bytes: Buffer.from('') },
      { Id: 'j-done', Name: 'Done', bytes: Buffer.from('') },
    ]);
    try {
      await store.upsert({
        itemId: 'j-done',
        summary: 'already analysed',
        mood: 'calm',
        model: 'm',
        backend: 'openai',
        promptVersion: 'p',
        status: 'ok',
      });
      const settings = { url: jellyfin.url, apiKey: KEY, pageSize: 2 };
      const first = createJellyfinPoller({ js: nc.jetstream(), queue: q, jellyfin: settings, store });
      // A second replica's poller: its own memory, so only JetStream's de-duplication can stop it.
      const second = createJellyfinPoller({ js: nc.jetstream(), queue: q, jellyfin: settings, store });
      expect(await first.pollOnce()).toEqual({ listed: 3, enqueued: 2, duplicates: 0, known: 1 });
      expect(await second.pollOnce()).toEqual({ listed: 3, enqueued: 0, duplicates: 2, known: 1 });
      // The first poller remembers what it enqueued: a later poll publishes nothing.
      expect(await first.pollOnce()).toEqual({ listed: 3, enqueued: 0, duplicates: 0, known: 0 });

      const items = await queued(q);
      expect(items.map((i) => i.item_id)).toEqual(['j-1', 'j-2']);
      expect(items[0]).toMatchObject({
        item_id: 'j-1',
        jellyfin_id: 'j-1',
        path: '/media/music/one.flac',
        name: 'One',
        origin: 'poller',
      });
      // Upstream's listing, through the shared client: Recursive, Audio only, paged.
      const l = jellyfin.listings[0]!;
      expect(l.get('Recursive')).toBe('true');
      expect(l.get('IncludeItemTypes')).toBe('Audio');
      expect(jellyfin.listings.length).toBeGreaterThanOrEqual(2);
    } finally {
      await jellyfin.close();
      await jsm.streams.delete(q.stream);
      await jsm.streams.delete(q.dlqStream);
    }
  });
});

describe('backfill enqueue', { timeout: 30000 }, () => {
  it('enqueues files by absolute path and the Jellyfin library, once each unless forced', async () => {
    const q = testQueue();
    const jsm = await nc.jetstreamManager();
    await ensureQueue(jsm, q);
    const jellyfin = await startJellyfinStandIn(KEY, [
      { Id: 'b-1', Name: 'One', bytes: Buffer.from('') },
      { Id: 'b-2', Name: 'Two', bytes: Buffer.from('') },
    ]);
    try {
      const js = nc.jetstream();
      expect(
        await enqueueBackfill({ js, queue: q, files: ['/srv/a.mp3', '/srv/b.mp3', '/srv/a.mp3'] }),
      ).toEqual({
        listed: 3,
        enqueued: 2,
        duplicates: 1,
        known: 0,
      });
      const jf = { url: jellyfin.url, apiKey: KEY };
      expect(await enqueueBackfill({ js, queue: q, jellyfin: jf, namespace: 'music' })).toMatchObject({
        enqueued: 2,
        duplicates: 0,
      });
      expect(await enqueueBackfill({ js, queue: q, jellyfin: jf })).toMatchObject({
        enqueued: 0,
        duplicates: 2,
      });
      expect(await enqueueBackfill({ js, queue: q, jellyfin: jf, force: true, limit: 1 })).toMatchObject({
        listed: 1,
        enqueued: 1,
      });
      const items = await queued(q);
      expect(items.map((i) => i.item_id)).toEqual(['/srv/a.mp3', '/srv/b.mp3', 'b-1', 'b-2', 'b-1']);
      expect(items[0]).toMatchObject({ path: '/srv/a.mp3', origin: 'backfill' });
      expect(items[2]).toMatchObject({ jellyfin_id: 'b-1', namespace: 'music' });
      expect(items[4]).toMatchObject({ force: true });
    } finally {
      await jellyfin.close();
      await jsm.streams.delete(q.stream);
      await jsm.streams.delete(q.dlqStream);
    }
  });
});
