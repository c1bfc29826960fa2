import {
  checkDiscordLimits,
  parseEnvelope,
  PublishedPayloadSchema,
  type DiscordWebhookBody,
  type Envelope,
} from '@pmoves/publisher-meta';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordNotifier } from '../src/discord-notifier';
import { SUBJECTS, startPublisherService } from '../src/publisher-service';
import { startDiscordWebhook, testNatsUrl, waitFor } from './helpers';

process.env.PMOVES_EXAMPLES_QUIET = '1';

function approval(overrides: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    topic: SUBJECTS.approved,
    ts: '2026-11-24T10:00:00.123456Z',
    version: 'v1',
    source: 'review-ui',
    correlation_id: 'corr-1',
    payload: {
      artifact_uri: 's3://outputs/demo/sunset.png',
      title: 'Sunset over the bay',
      namespace: 'pmoves',
      description: 'An evening shot',
      tags: ['sunset', 'sea'],
      ...overrides,
    },
  };
}

describe('enriched publisher → NATS → Discord notifier', () => {
  let nc: NatsConnection;
  const published: Envelope[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl() });
    const sub = nc.subscribe(SUBJECTS.published);
    void (async () => {
      for await (const m of sub) published.push(parseEnvelope(JSON.parse(new TextDecoder().decode(m.data))));
    })();
  });
  afterAll(async () => {
    await nc?.drain();
  });

  it('publishes an enriched content.published.v1 and posts a valid Discord body', async () => {
    const webhook = await startDiscordWebhook({ rateLimitFirst: true });
    const svc = startPublisherService({
      nc,
      queue: `q-${randomUUID()}`,
      publish: { mediaLibraryPath: '/library/images' },
      hooks: {
        clip: async () => ({ best_match: { asset_id: 'thumb-7', score: 0.31, model: 'test-clip' } }),
        audio: async () => ({
          summary: 'Waves and gulls.',
          tags: ['ocean', 'birds'],
          mood: 'calm',
          confidence: 0.8,
        }),
      },
    });
    const notifier = startDiscordNotifier({ nc, webhookUrl: webhook.url, format: { jellyfinBaseUrl: '' } });
    await nc.flush();
    const evt = approval();
    nc.publish(SUBJECTS.approved, JSON.stringify(evt));

    const out = await waitFor(() => published.find((e) => e.parent_id === evt.id));
    expect(out.topic).toBe('content.published.v1');
    expect(out.correlation_id).toBe('corr-1');
    const payload = PublishedPayloadSchema.parse(out.payload);
    expect(payload.published_path).toBe('/library/images/pmoves/pmoves--sunset-over-the-bay.png');
    expect(payload.meta?.clip_best_match).toEqual({ asset_id: 'thumb-7', score: 0.31, model: 'test-clip' });
    expect(payload.meta?.audio_tags).toEqual(['ocean', 'birds']);
    expect(payload.meta?.qwen_confidence).toBe(0.8);

    // The first post is rate limited (429); the notifier honours retry_after and posts again.
    const body = (await waitFor(() => webhook.bodies[0])) as DiscordWebhookBody;
    expect(checkDiscordLimits(body)).toEqual([]);
    expect(body.embeds?.[0]?.title).toBe('Published: Sunset over the bay');
    const names = (body.embeds?.[0]?.fields ?? []).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['Audio mood', 'Audio tags', 'Top CLIP match']));

    svc.unsubscribe();
    notifier.unsubscribe();
    await webhook.close();
  });

  it('still publishes when an enrichment hook fails, and survives a malformed approval', async () => {
    const svc = startPublisherService({
      nc,
      queue: `q-${randomUUID()}`,
      hooks: {
        clip: async () => {
          throw new Error('CLIP endpoint unreachable');
        },
      },
    });
    await nc.flush();
    nc.publish(SUBJECTS.approved, JSON.stringify(approval({ artifact_uri: 'http://not-s3/x.png' })));
    const good = approval();
    nc.publish(SUBJECTS.approved, JSON.stringify(good));
    const out = await waitFor(() => published.find((e) => e.parent_id === good.id));
    const meta = PublishedPayloadSchema.parse(out.payload).meta ?? {};
    expect(meta.clip_best_match).toBeUndefined();
    expect(meta.title).toBe('Sunset over the bay');
    svc.unsubscribe();
  });
});
