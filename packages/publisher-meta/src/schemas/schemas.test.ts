import { describe, expect, it } from 'vitest';
import { createEnvelope, EnvelopeSchema, parseEnvelope, StrictEnvelopeSchema } from './envelope';
import { PublisherMetaValidationError } from './errors';
import { envelopeJsonSchema, publishedPayloadJsonSchema } from './json-schema';
import { PublishedPayloadSchema } from './published';

const payload = {
  artifact_uri: 's3://outputs/comfy/lofi-sunset.png',
  published_path: '/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png',
  namespace: 'pmoves-demo',
};

/** An envelope exactly as services/common/events.py builds it. */
const pythonEnvelope = {
  id: '0b9c5b5e-3c1f-4d58-9a39-5f4bb3e2c9a1',
  topic: 'content.published.v1',
  ts: '2025-10-01T12:00:03.123456Z',
  version: 'v1',
  source: 'publisher',
  payload,
  parent_id: 'a1b2c3d4-0000-4000-8000-000000000000',
  correlation_id: 'corr-7',
};

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PublisherMetaValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('EnvelopeSchema (parsing what PMOVES emits)', () => {
  it('accepts Python timestamps: microseconds + Z, no fraction + Z (utcnow() at .000000), and offsets', () => {
    for (const ts of [
      '2025-10-01T12:00:03.123456Z',
      '2025-10-01T12:00:03Z',
      '2025-10-01T12:00:03.123456+00:00',
    ]) {
      expect(parseEnvelope({ ...pythonEnvelope, ts }).ts).toBe(ts);
    }
  });

  it('accepts the optional actor and labels', () => {
    expect(
      EnvelopeSchema.safeParse({ ...pythonEnvelope, actor: 'reviewer@pmoves', labels: ['demo'] }).success,
    ).toBe(true);
  });

  it('rejects extra keys, naming them', () => {
    expect(messageOf(() => parseEnvelope({ ...pythonEnvelope, subject: 'x' }))).toMatch(/subject/);
  });

  it('rejects a version other than v1, a non-ISO ts, a non-object payload, and missing keys — by name', () => {
    expect(messageOf(() => parseEnvelope({ ...pythonEnvelope, version: 'v2' }))).toMatch(
      /^Invalid event envelope: version: /,
    );
    expect(messageOf(() => parseEnvelope({ ...pythonEnvelope, ts: 'yesterday' }))).toMatch(/ts: /);
    expect(messageOf(() => parseEnvelope({ ...pythonEnvelope, payload: [] }))).toMatch(/payload: /);
    const { source: _source, ...noSource } = pythonEnvelope;
    expect(messageOf(() => parseEnvelope(noSource))).toMatch(/source: /);
    expect(messageOf(() => parseEnvelope({ ...pythonEnvelope, labels: ['a', 1] }))).toMatch(/labels\[1\]/);
  });
});

describe('createEnvelope', () => {
  it('builds a strict envelope: UUID v4 id, UTC ts ending in Z, Python key order', () => {
    const env = createEnvelope('content.published.v1', payload, {
      source: 'publisher',
      parent_id: 'p1',
      correlation_id: 'c1',
      now: new Date('2025-10-01T12:00:03.5Z'),
    });
    expect(StrictEnvelopeSchema.safeParse(env).success).toBe(true);
    expect(env.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(env.ts).toBe('2025-10-01T12:00:03.500Z');
    expect(Object.keys(env)).toEqual([
      'id',
      'topic',
      'ts',
      'version',
      'source',
      'payload',
      'correlation_id',
      'parent_id',
    ]);
    expect(env.payload).toEqual(payload);
    expect(env.payload).not.toBe(payload);
  });

  it('defaults source to "agent" like events.py and leaves out empty optional ids', () => {
    const env = createEnvelope('content.published.v1', payload, { parent_id: '', correlation_id: null });
    expect(env.source).toBe('agent');
    expect(env).not.toHaveProperty('parent_id');
    expect(env).not.toHaveProperty('correlation_id');
  });

  it('gives every envelope a fresh id', () => {
    const ids = new Set(Array.from({ length: 50 }, () => createEnvelope('content.published.v1', payload).id));
    expect(ids.size).toBe(50);
  });

  it('validates the payload against the topic schema and names the field under payload.', () => {
    const bad = { ...payload, artifact_uri: 'file:///tmp/x.png' };
    expect(messageOf(() => createEnvelope('content.published.v1', bad))).toMatch(
      /payload\.artifact_uri: must start with s3:\/\//,
    );
    expect(
      messageOf(() => createEnvelope('content.publish.approved.v1', { artifact_uri: 's3://b/k' } as never)),
    ).toMatch(/payload\.title/);
  });

  it('rejects an id that is not a UUID v4 and an unknown topic', () => {
    expect(messageOf(() => createEnvelope('content.published.v1', payload, { id: 'abc' }))).toMatch(
      /^Invalid .*id: /,
    );
    expect(messageOf(() => createEnvelope('nope.v1' as never, payload as never))).toMatch(
      /Unknown topic: nope\.v1/,
    );
  });
});

describe('PublishedPayloadSchema', () => {
  const check = (value: unknown) => PublishedPayloadSchema.safeParse(value);
  const firstPath = (value: unknown) => check(value).error?.issues[0]?.path.join('.');

  it('requires artifact_uri (s3://) and published_path', () => {
    expect(check(payload).success).toBe(true);
    expect(firstPath({ published_path: 'x' })).toBe('artifact_uri');
    expect(firstPath({ ...payload, artifact_uri: 'S3://b/k' })).toBe('artifact_uri');
    expect(firstPath({ artifact_uri: 's3://b/k' })).toBe('published_path');
  });

  it('types the optional keys', () => {
    expect(firstPath({ ...payload, duration: -0.5 })).toBe('duration');
    expect(firstPath({ ...payload, tags: 'lofi' })).toBe('tags');
    expect(firstPath({ ...payload, title: 5 })).toBe('title');
    expect(firstPath({ ...payload, meta: [] })).toBe('meta');
  });

  it('keeps meta open to extra JSON keys', () => {
    const value = { ...payload, meta: { anything: { nested: [1, 'two', null, true] }, bucket: 'outputs' } };
    expect(check(value).success).toBe(true);
  });

  it('checks the enrichment keys in meta', () => {
    const meta = (m: Record<string, unknown>) => firstPath({ ...payload, meta: m });
    expect(meta({ clip_best_match: { asset_id: 'a', score: 0.3, model: 'clip' } })).toBeUndefined();
    expect(meta({ clip_best_match: { asset_id: 'a', score: 1.2 } })).toBe('meta.clip_best_match.score');
    expect(meta({ clip_best_match: { asset_id: 'a', score: -1.01 } })).toBe('meta.clip_best_match.score');
    expect(meta({ clip_best_match: { asset_id: '', score: 0.2 } })).toBe('meta.clip_best_match.asset_id');
    expect(meta({ clip_best_match: { asset_id: 'a', score: 0.2, rank: 1 } })).toBe('meta.clip_best_match');
    expect(meta({ clip_similarity: 3 })).toBe('meta.clip_similarity');
    expect(meta({ audio_tags: 'calm' })).toBe('meta.audio_tags');
    expect(meta({ audio_summary: 1 })).toBe('meta.audio_summary');
    expect(meta({ audio_mood: null })).toBe('meta.audio_mood');
    expect(meta({ qwen_confidence: 1.01 })).toBe('meta.qwen_confidence');
    expect(meta({ qwen_confidence: -0.01 })).toBe('meta.qwen_confidence');
    expect(meta({ enrichment: { generated_at: '2025-10-01T12:00:00+02:00' } })).toBe(
      'meta.enrichment.generated_at',
    );
    expect(
      meta({ enrichment: { generated_at: '2025-10-01T12:00:00.000Z', clip_model: 'c' } }),
    ).toBeUndefined();
  });
});

describe('JSON Schema generated from zod', () => {
  it('matches PMOVES published.v1.schema.json: required keys, property types, s3 pattern, open meta', () => {
    const schema = publishedPayloadJsonSchema() as {
      required: string[];
      properties: Record<string, { type?: string; pattern?: string; minimum?: number }>;
    };
    expect(schema.required).toEqual(['artifact_uri', 'published_path']);
    const upstream: Record<string, string> = {
      artifact_uri: 'string',
      published_path: 'string',
      title: 'string',
      description: 'string',
      tags: 'array',
      public_url: 'string',
      jellyfin_item_id: 'string',
      jellyfin_public_url: 'string',
      namespace: 'string',
      thumbnail_url: 'string',
      duration: 'number',
      meta: 'object',
    };
    for (const [key, type] of Object.entries(upstream)) expect(schema.properties[key]?.type, key).toBe(type);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(upstream).sort());
    expect(new RegExp(schema.properties.artifact_uri?.pattern ?? '$^').test('s3://b/k')).toBe(true);
    expect(new RegExp(schema.properties.artifact_uri?.pattern ?? '').test('http://b/k')).toBe(false);
    expect(schema.properties.duration?.minimum).toBe(0);
  });

  it('matches PMOVES envelope.schema.json: required keys and no additional properties', () => {
    const schema = envelopeJsonSchema() as {
      required: string[];
      additionalProperties: unknown;
      properties: object;
    };
    expect([...schema.required].sort()).toEqual(['id', 'payload', 'source', 'topic', 'ts', 'version']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        'actor',
        'correlation_id',
        'id',
        'labels',
        'parent_id',
        'payload',
        'source',
        'topic',
        'ts',
        'version',
      ].sort(),
    );
  });
});
