// The publisher and notifier as processes: usage before connecting, one message naming every bad
// variable, NATS_URL named when the server is not there, and a SIGTERM in the middle of an item
// that still publishes it (real nats-server from scripts/test.sh; the item's CLIP frame comes
// from a slow loopback image host).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnvelope, type Envelope } from '@pmoves/publisher-meta';
import { afterAll, describe, expect, it } from 'vitest';
import { connectNatsBus } from '../../common/src/bus';
import { closedPort, startService, startStandIn, testNatsUrl, waitFor } from '../../test/helpers';
import { SHARED_FIXTURES, tinyClipEnv } from '../../test/models';
import { SUBJECTS } from './service';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('publisher main', () => {
  it('refuses a bad environment with one message naming every bad variable, before connecting', async () => {
    const p = startService('publisher/src/main.ts', ['publisher'], {
      NATS_URL: `nats://127.0.0.1:${await closedPort()}`,
      PUBLISHER_CLIP_TIMEOUT: 'soon',
      MEDIA_LIBRARY_PUBLIC_BASE_URL: 'ftp://media',
      JELLYFIN_AUDIO_QWEN_ENABLE: 'ture',
      DATABASE_URL: '',
      SUPABASE_URL: 'https://x.supabase.co',
      CLIP_INDEX_STORE: 'qdrant', // without QDRANT_URL
      PUBLISHER_CLIP_SIMILAR_K: 'many',
    });
    expect(await p.exited).toBe(2);
    const out = p.output();
    expect(out).toMatch(/^usage: main\.ts publisher\|discord/);
    const line = out.split('\n').find((l) => l.includes('configuration rejected'))!;
    for (const v of [
      'PUBLISHER_CLIP_TIMEOUT',
      'MEDIA_LIBRARY_PUBLIC_BASE_URL',
      'JELLYFIN_AUDIO_QWEN_ENABLE',
      'SUPABASE_SERVICE_ROLE_KEY',
      'QDRANT_URL',
      'PUBLISHER_CLIP_SIMILAR_K',
    ])
      expect(line).toContain(v);
    expect(out).not.toMatch(/NatsError|cannot connect/);
  });

  it('names NATS_URL when no server answers, after printing its usage', async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`;
    const p = startService('publisher/src/main.ts', ['publisher'], { NATS_URL: url });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/^usage:/);
    expect(p.output()).toContain(`cannot connect to NATS at ${url} (NATS_URL)`);
    expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('finishes the item in hand on SIGTERM, publishes it, and exits 0', async () => {
    const bus = await connectNatsBus(testNatsUrl());
    closers.push(() => bus.close());
    const seen: Envelope[] = [];
    bus.subscribe(
      SUBJECTS.published,
      async (m) => void seen.push(parseEnvelope(JSON.parse(new TextDecoder().decode(m.data)))),
    );
    const jpeg = await readFile(join(SHARED_FIXTURES, 'images', 'chelsea.jpg'));
    // A slow image host: the frame arrives 2 s after it is asked for.
    const images = await startStandIn(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 2_000));
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    closers.push(images.close);
    const p = startService('publisher/src/main.ts', ['publisher'], {
      ...tinyClipEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' }),
      NATS_URL: testNatsUrl(),
    });
    await waitFor(() => (p.output().includes('enriched publisher ready') ? true : undefined), 60_000);
    const evt = {
      id: randomUUID(),
      topic: SUBJECTS.approved,
      ts: new Date().toISOString(),
      version: 'v1',
      source: 'test',
      payload: {
        artifact_uri: 's3://outputs/demo/cat.png',
        title: 'a photo of a cat',
        meta: { frames: [{ id: 'frame-0', url: `${images.url}/chelsea.jpg` }] },
      },
    };
    bus.publish(SUBJECTS.approved, JSON.stringify(evt));
    await waitFor(() => (images.requests.length > 0 ? true : undefined), 60_000);
    p.kill('SIGTERM'); // while the frame is still on its way
    const code = await p.exited;
    const out = seen.find((e) => e.parent_id === evt.id);
    expect(out, p.output()).toBeDefined();
    expect((out!.payload.meta as Record<string, unknown>).clip_best_match).toMatchObject({
      asset_id: 'frame-0',
    });
    expect(code).toBe(0);
    expect(p.output()).toContain('finishing the item in hand');
  });
});

describe('discord main', () => {
  it('requires DISCORD_WEBHOOK_URL and never echoes it when malformed', async () => {
    const p = startService('publisher/src/main.ts', ['discord'], {
      DISCORD_WEBHOOK_URL: 'not a url/secret-token',
    });
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('DISCORD_WEBHOOK_URL');
    expect(p.output()).not.toContain('secret-token');
  });
});
