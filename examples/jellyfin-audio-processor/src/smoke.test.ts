// `smoke:qwen` against running services: a worker (in this process) on a real nats-server with
// JetStream and a real PostgreSQL, with model and Jellyfin stand-ins.
process.env.PMOVES_EXAMPLES_QUIET = '1';

import type { AudioAnalysisStore } from '@pmoves/qwen-audio';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_MODEL,
  openTestContext,
  queueEnv,
  qwenAdapter,
  testQueue,
  testServices,
  tone,
  type TestContext,
} from '../test/fixtures';
import { startProcessor } from '../test/processes';
import { startJellyfinStandIn, startModelStandIn } from '../test/stand-ins';
import type { QueueOptions } from './config';
import { startHealthServer } from './health';
import { ensureQueue } from './queue';
import { runQwenSmoke } from './smoke';
import { startAudioWorker, type AudioWorker } from './worker';

const KEY = 'smoke-key';
let ctx: TestContext;
let nc: NatsConnection;
let db: TestContext['db'];
let store: AudioAnalysisStore;
let model: Awaited<ReturnType<typeof startModelStandIn>>;
let jellyfin: Awaited<ReturnType<typeof startJellyfinStandIn>>;

beforeAll(async () => {
  ctx = await openTestContext();
  ({ nc, db, store } = ctx);
  model = await startModelStandIn({ model: TEST_MODEL });
  jellyfin = await startJellyfinStandIn(KEY, [
    { Id: 'first-track', Name: 'First', bytes: await tone(ctx.dir, 'first', 480) },
    { Id: 'broken', Name: 'Broken', bytes: null },
  ]);
}, 60_000);
afterAll(async () => {
  await model?.close();
  await jellyfin?.close();
  await ctx?.close();
}, 60_000);

function smokeEnv(q: QueueOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NATS_URL: testServices().natsUrl,
    DATABASE_URL: db.url,
    JELLYFIN_URL: jellyfin.url,
    JELLYFIN_API_KEY: KEY,
    SMOKE_QWEN_TIMEOUT: '20',
    ...queueEnv(q),
    ...extra,
  };
}

async function withWorker<T>(q: QueueOptions, fn: () => Promise<T>): Promise<T> {
  const jsm = await nc.jetstreamManager();
  await ensureQueue(jsm, q);
  const worker: AudioWorker = await startAudioWorker({
    nc,
    queue: q,
    adapter: qwenAdapter(model.url),
    store,
    concurrency: 1,
    mediaRoots: [],
    jellyfin: { url: jellyfin.url, apiKey: KEY },
    namespace: 'pmoves',
    pullExpiresMs: 1000,
  });
  try {
    return await fn();
  } finally {
    await worker.stop(100);
    await jsm.streams.delete(q.stream);
    await jsm.streams.delete(q.dlqStream);
  }
}

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

describe('smoke:qwen', { timeout: 60000 }, () => {
  it('passes (exit 0) when the probe row is written: through the real command line, then again in-process', async () => {
    const q = testQueue();
    await withWorker(q, async () => {
      const listed = jellyfin.listings.length;
      const p = startProcessor(['smoke'], smokeEnv(q));
      expect(await p.exited).toBe(0);
      expect(p.stdout()).toContain('smoke:qwen OK: media_audio_analysis row written for first-track');
      expect(p.stdout()).toContain('analysis.audio.qwen.v1 event: received');
      expect(p.stdout()).toContain('  transcript: no speech heard'); // a tone: no transcription call
      // The second run finds the row current: the probe is forced, so it is analysed and written again.
      const c = capture();
      expect(await runQwenSmoke(smokeEnv(q), c.io)).toBe(0);
      expect(c.out[0]).toBe('smoke:qwen OK: media_audio_analysis row written for first-track');
      // The probe is the first audio item, asked for as one item, not by listing the library.
      const asked = jellyfin.listings.slice(listed);
      expect(asked.map((l) => [l.get('IncludeItemTypes'), l.get('Limit')])).toEqual([
        ['Audio', '1'],
        ['Audio', '1'],
      ]);
    });
  }, 120_000);

  it('fails with the dead-letter reason when the probe cannot be analysed', async () => {
    const q = testQueue({ maxDeliver: 2 });
    await withWorker(q, async () => {
      const c = capture();
      expect(await runQwenSmoke(smokeEnv(q, { SMOKE_QWEN_ITEM: 'broken' }), c.io)).toBe(1);
      expect(c.err.at(-1)).toMatch(
        /FAILED: the probe was dead-lettered .*max_deliveries after 2 deliveries.*HTTP 500/,
      );
    });
  });

  it('fails naming the cause when no worker consumes the queue', async () => {
    const q = testQueue();
    const jsm = await nc.jetstreamManager();
    await ensureQueue(jsm, q);
    try {
      const c = capture();
      expect(await runQwenSmoke(smokeEnv(q, { SMOKE_QWEN_TIMEOUT: '2' }), c.io)).toBe(1);
      expect(c.err.at(-1)).toMatch(
        /no media_audio_analysis row was written for first-track within 2 s .*1 waiting, 0 in progress, 0 worker pull requests \(no worker is consuming\)/,
      );
    } finally {
      await jsm.streams.delete(q.stream);
      await jsm.streams.delete(q.dlqStream);
    }
    const c = capture();
    expect(await runQwenSmoke(smokeEnv(testQueue()), c.io)).toBe(1);
    expect(c.err.at(-1)).toMatch(/no consumer .* no audio-processor worker has started/);
  });

  it('fails at once when the processor says JELLYFIN_AUDIO_QWEN_ENABLE is off', async () => {
    const health = await startHealthServer('127.0.0.1', 0, () => ({ ok: true, qwen_enabled: false }));
    try {
      const c = capture();
      expect(
        await runQwenSmoke(smokeEnv(testQueue(), { AUDIO_PROCESSOR_HEALTH_URL: health.url }), c.io),
      ).toBe(1);
      expect(c.err.at(-1)).toMatch(/JELLYFIN_AUDIO_QWEN_ENABLE off/);
    } finally {
      await health.close();
    }
  });
});
