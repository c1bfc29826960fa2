// The publisher and the Discord notifier end to end on a real nats-server and a real PostgreSQL
// (both started by scripts/test.sh): approval in → enriched content.published.v1 out → a request
// at a loopback stand-in for Discord's webhook, with the CLIP best match (tiny generated model,
// thumbnails from a loopback image host) and the audio analysis the audio processor stored.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  buildPublishedPayload,
  checkDiscordLimits,
  parseEnvelope,
  PublishedPayloadSchema,
  PublishFailedPayloadSchema,
  publishInputFromApproval,
  StrictEnvelopeSchema,
  TOPIC_SCHEMAS,
  type DiscordWebhookBody,
  type Envelope,
} from '@pmoves/publisher-meta';
import { createPostgresStore, type AudioAnalysisStore } from '@pmoves/qwen-audio';
import { createRerankerFromEnv, type Reranker } from '@pmoves/rerank';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus, type Bus } from '../../common/src/bus';
import { createLogger } from '../../common/src/log';
import {
  startDiscordWebhook,
  startFileServer,
  testDatabaseUrl,
  testNatsUrl,
  waitFor,
} from '../../test/helpers';
import { SHARED_FIXTURES, tinyClipEnv } from '../../test/models';
import { sha256File } from '../../common/src/hash';
import { synthTone } from '../../test/audio';
import { clipRerankerEnv, loadPublisherConfig } from './config';
import { startDiscordNotifier } from './discord-notifier';
import { audioHook, clipHook } from './enrichment';
import { PUBLISH_FAILED_TOPIC } from './failed-event';
import { SUBJECTS, startPublisherService } from './service';
import { openAudioStore, openClip } from './wiring';

const log = createLogger('test', { PMOVES_EXAMPLES_QUIET: '1' });
const fast = { baseDelayMs: 20, maxDelayMs: 40 };

function approval(meta: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    topic: SUBJECTS.approved,
    ts: '2026-11-24T10:00:00.123456Z',
    version: 'v1',
    source: 'review-ui',
    correlation_id: `corr-${randomUUID()}`,
    payload: {
      artifact_uri: 's3://outputs/demo/harbour-session.mp4',
      title: 'a photo of a cat',
      namespace: 'pmoves',
      description: 'Session recording',
      tags: ['session'],
      meta,
      ...overrides,
    },
  };
}

describe('approval → enriched content.published.v1 → Discord (real NATS and PostgreSQL)', () => {
  let bus: Bus;
  let store: AudioAnalysisStore;
  let reranker: Reranker;
  let images: Awaited<ReturnType<typeof startFileServer>>;
  const schema = `examples_${randomBytes(4).toString('hex')}`;
  const seen: Envelope[] = [];
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups = [];
  });

  beforeAll(async () => {
    bus = await connectNatsBus(testNatsUrl());
    for (const subject of [SUBJECTS.published, PUBLISH_FAILED_TOPIC])
      bus.subscribe(
        subject,
        async (m) => void seen.push(parseEnvelope(JSON.parse(new TextDecoder().decode(m.data)))),
      );
    store = createPostgresStore({ connectionString: testDatabaseUrl(), schema });
    await store.migrate();
    images = await startFileServer(join(SHARED_FIXTURES, 'images'));
    reranker = await createRerankerFromEnv(
      clipRerankerEnv(tinyClipEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' })),
    );
  });
  afterAll(async () => {
    await bus?.close();
    await store?.close();
    await images?.close();
    await reranker?.dispose();
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });

  it('publishes the CLIP best match and the stored audio analysis, and Discord receives them', async () => {
    const itemId = `jf-${randomUUID()}`;
    // What the audio processor stored for this item.
    await store.upsert({
      itemId,
      namespace: 'pmoves',
      summary: 'Gulls and a distant foghorn over slow waves.',
      tags: ['ocean', 'birds'],
      mood: 'calm',
      confidence: 0.82,
      confidenceSource: 'logprobs',
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'openai',
      promptVersion: 'v1',
      status: 'ok',
    });
    const webhook = await startDiscordWebhook([{ status: 429, headers: { 'retry-after': '0.05' } }]);
    const queue = `q-${randomUUID()}`;
    const svc = startPublisherService({
      bus,
      queue,
      log,
      publish: { mediaLibraryPath: '/library/media' },
      hooks: { clip: clipHook(reranker), audio: audioHook({ store, log }) },
    });
    const notifier = startDiscordNotifier({
      bus,
      queue,
      webhookUrl: webhook.url,
      format: { jellyfinBaseUrl: '' },
      post: fast,
      log,
    });
    // Stopped even when an assertion fails, so no service of this test answers the next one's events.
    cleanups.push(
      () => svc.drain(),
      () => notifier.drain(),
      webhook.close,
    );
    await bus.flush();
    const thumbs = ['chelsea.jpg', 'rocket.jpg'].map((f, i) => ({
      id: `frame-${i}`,
      url: `${images.url}/${f}`,
    }));
    const evt = approval({ jellyfin_item_id: itemId, thumbnails: thumbs });
    bus.publish(SUBJECTS.approved, JSON.stringify(evt));

    const out = await waitFor(
      () => seen.find((e) => e.topic === SUBJECTS.published && e.parent_id === evt.id),
      60_000,
    );
    expect(out.correlation_id).toBe(evt.correlation_id);
    const meta = PublishedPayloadSchema.parse(out.payload).meta!;
    expect(['frame-0', 'frame-1']).toContain(meta.clip_best_match?.asset_id);
    expect(meta.clip_best_match?.model).toBe(tinyClipEnv().CLIP_MODEL_PATH);
    expect(meta.audio_summary).toBe('Gulls and a distant foghorn over slow waves.');
    expect(meta.audio_tags).toEqual(['ocean', 'birds']);
    expect(meta.audio_mood).toBe('calm');
    expect(meta.qwen_confidence).toBe(0.82);
    expect(meta.enrichment?.audio_model).toBe('Qwen/Qwen2-Audio-7B-Instruct');

    // Rate limited once, then delivered.
    await waitFor(() => (webhook.requests.length >= 2 ? true : undefined));
    const body = webhook.requests[1]!.json as DiscordWebhookBody;
    expect(checkDiscordLimits(body)).toEqual([]);
    const fields = Object.fromEntries((body.embeds?.[0]?.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields['Top CLIP match']).toContain(meta.clip_best_match!.asset_id);
    expect(fields['Audio summary']).toContain('Gulls and a distant foghorn');
    expect(fields['Audio tags']).toMatch(/ocean/);
    expect(fields['Audio mood']).toBe('calm');
    expect(seen.some((e) => e.topic === PUBLISH_FAILED_TOPIC && e.parent_id === out.id)).toBe(false);
  });

  it('emits content.publish.failed.v1 when Discord refuses the post', async () => {
    const webhook = await startDiscordWebhook([
      { status: 400, body: { message: 'Invalid Form Body', code: 50035 } },
    ]);
    const queue = `q-${randomUUID()}`;
    const svc = startPublisherService({ bus, queue, log });
    const notifier = startDiscordNotifier({ bus, queue, webhookUrl: webhook.url, post: fast, log });
    cleanups.push(
      () => svc.drain(),
      () => notifier.drain(),
      webhook.close,
    );
    await bus.flush();
    const evt = approval({});
    bus.publish(SUBJECTS.approved, JSON.stringify(evt));
    const published = await waitFor(() =>
      seen.find((e) => e.topic === SUBJECTS.published && e.parent_id === evt.id),
    );
    const failed = await waitFor(() =>
      seen.find((e) => e.topic === PUBLISH_FAILED_TOPIC && e.parent_id === published.id),
    );
    // publisher-meta's registry knows the topic: the strict envelope and its payload schema hold.
    expect(StrictEnvelopeSchema.parse(failed)).toEqual(failed);
    expect(failed.source).toBe('publisher-discord');
    const payload = TOPIC_SCHEMAS[PUBLISH_FAILED_TOPIC].parse(failed.payload);
    expect(PublishFailedPayloadSchema.parse(failed.payload)).toEqual(payload);
    expect(payload).toMatchObject({
      stage: 'discord',
      outcome: 'partial',
      retryable: false,
      publish_event_id: published.id,
      artifact_uri: 's3://outputs/demo/harbour-session.mp4',
      details: { attempts: 1, status: 400 },
    });
    expect(payload.reason).toContain('HTTP 400');
    expect(JSON.stringify(failed)).not.toContain('secret-token');
    expect(failed.correlation_id).toBe(evt.correlation_id);
    // A 4xx other than 429 fails at once: one request, no retry.
    expect(webhook.requests).toHaveLength(1);
  });

  it('still publishes when a hook fails, and survives a malformed approval', async () => {
    const svc = startPublisherService({
      bus,
      queue: `q-${randomUUID()}`,
      log,
      hooks: {
        clip: async () => {
          throw new Error('CLIP endpoint unreachable');
        },
      },
    });
    await bus.flush();
    bus.publish(SUBJECTS.approved, JSON.stringify(approval({}, { artifact_uri: 'http://not-s3/x.png' })));
    bus.publish(SUBJECTS.approved, 'not json');
    const good = approval({});
    bus.publish(SUBJECTS.approved, JSON.stringify(good));
    const out = await waitFor(() => seen.find((e) => e.parent_id === good.id));
    const meta = PublishedPayloadSchema.parse(out.payload).meta ?? {};
    expect(meta.clip_best_match).toBeUndefined();
    expect(meta.title).toBe('a photo of a cat');
    await svc.drain();
  });

  it('with a CLIP index and the stored analysis of the same bytes: similar assets, the transcript excerpt, one Discord post', async () => {
    // What `npm run publisher` opens for this environment: the reranker and the index share one embedder.
    const env = {
      ...tinyClipEnv({ CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' }),
      NATS_URL: testNatsUrl(),
      DATABASE_URL: testDatabaseUrl(),
      CLIP_INDEX_STORE: 'pglite',
      CLIP_INDEX_DIMS: '16', // the tiny model's projection
      CLIP_INDEX_NAMESPACE: 'jellyfin',
      PUBLISHER_CLIP_SIMILAR_K: '3',
    };
    const cfg = await loadPublisherConfig(env);
    expect(cfg.clip).toBe(true);
    expect(cfg.clipIndex?.store).toMatchObject({ kind: 'pglite', dims: 16 });
    const clip = await openClip(cfg, env);
    cleanups.push(() => clip.close());
    const audio = openAudioStore(cfg.store, { schema });
    cleanups.push(() => audio.close());
    await audio.store!.migrate();
    const library = ['coffee.png', 'rocket.jpg', 'astronaut.jpg', 'camera.png', 'logo.png'];
    const report = await clip.library!.index.upsert([
      ...library.map((f) => ({ id: `jf-${f.split('.')[0]}`, image: join(SHARED_FIXTURES, 'images', f) })),
      { id: 'jf-self', image: join(SHARED_FIXTURES, 'images', 'chelsea.jpg') },
    ]);
    expect(report.failed).toEqual([]);
    const expected = (await clip.library!.index.similar('jf-self', { k: 3 })).map(({ asset_id, score }) => ({
      asset_id,
      score,
    }));

    // The audio processor analysed the item's audio under another id; the published file has the same bytes.
    const dir = await mkdtemp(join(tmpdir(), 'pmoves-flow-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // The approval names the item's Jellyfin id; its file is already where the publisher places it.
    const evt = approval(
      {
        jellyfin_item_id: 'jf-self',
        thumbnails: [{ id: 'frame-0', url: `${images.url}/chelsea.jpg` }],
      },
      { artifact_uri: 's3://outputs/demo/self.mp3', title: 'self' },
    );
    const publishedPath = buildPublishedPayload(
      publishInputFromApproval(evt.payload, { mediaLibraryPath: dir }),
    ).published_path;
    await mkdir(dirname(publishedPath), { recursive: true });
    const file = await synthTone(publishedPath, 370);
    await audio.store!.upsert({
      itemId: `jf-audio-${randomUUID()}`,
      summary: 'A voice over a steady tone.',
      tags: ['speech'],
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      backend: 'openai',
      promptVersion: 'v1',
      audioSha256: await sha256File(file),
      transcript: {
        text: 'Welcome to the harbour. '.repeat(80).trim(),
        language: 'en',
        segments: [{ start: 0.5, end: 30, text: 'Welcome to the harbour. '.repeat(80).trim() }],
        confidence: null,
        confidenceSource: 'none',
        scope: 'windows',
      },
      status: 'ok',
    });

    const webhook = await startDiscordWebhook([]);
    const queue = `q-${randomUUID()}`;
    const svc = startPublisherService({
      bus,
      queue,
      log,
      publish: { mediaLibraryPath: dir },
      hooks: {
        clip: clipHook(clip.reranker, { library: clip.library!, log }),
        audio: audioHook({ store: audio.store!, findByContentHash: audio.findByContentHash!, log }),
      },
    });
    const notifier = startDiscordNotifier({ bus, queue, webhookUrl: webhook.url, post: fast, log });
    cleanups.push(
      () => svc.drain(),
      () => notifier.drain(),
      webhook.close,
    );
    await bus.flush();
    bus.publish(SUBJECTS.approved, JSON.stringify(evt));
    const out = await waitFor(
      () => seen.find((e) => e.topic === SUBJECTS.published && e.parent_id === evt.id),
      60_000,
    );
    const payload = PublishedPayloadSchema.parse(out.payload);
    const meta = payload.meta!;
    expect(meta.clip_similarity).toEqual(expected);
    expect(meta.clip_best_match).toMatchObject({ asset_id: expected[0]!.asset_id });
    expect(meta.clip_similarity).not.toContainEqual(expect.objectContaining({ asset_id: 'jf-self' }));
    expect(meta.audio_summary).toBe('A voice over a steady tone.');
    expect([...(meta.audio_transcript as string)].length).toBeLessThanOrEqual(1000);
    expect(meta.audio_transcript).toMatch(/^Welcome to the harbour\. Welcome/);

    await waitFor(() => (webhook.requests.length >= 1 ? true : undefined));
    const body = webhook.requests[0]!.json as DiscordWebhookBody;
    expect(checkDiscordLimits(body)).toEqual([]);
    const fields = Object.fromEntries((body.embeds?.[0]?.fields ?? []).map((f) => [f.name, f.value]));
    for (const m of expected) expect(fields['Similar assets']).toContain(m.asset_id);
    expect(fields['Top CLIP match']).toContain(expected[0]!.asset_id);
    expect(fields['Audio transcript']).toMatch(/^Welcome to the harbour/);
    expect(webhook.requests).toHaveLength(1);
  });
});
