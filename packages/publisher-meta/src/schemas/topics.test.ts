import { describe, expect, it } from 'vitest';
import { createEnvelope, TOPIC_SCHEMAS, TOPICS, type KnownTopic } from './envelope';
import { PublisherMetaValidationError } from './errors';
import { topicJsonSchema } from './json-schema';

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PublisherMetaValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

/** An `analysis.audio.qwen.v1` payload as the audio processor publishes it after storing the analysis. */
const qwen = {
  item_id: 'jf-1234',
  namespace: 'pmoves-demo',
  content_hash: 'a'.repeat(64),
  source_uri: 's3://media/audio/rain.flac',
  summary: 'Steady rain on a tin roof with distant thunder.',
  tags: ['rain', 'ambient'],
  mood: 'calm',
  language: null,
  confidence: 0.74,
  confidence_source: 'agreement',
  model: 'Qwen/Qwen2-Audio-7B-Instruct',
  backend: 'openai',
  prompt_version: 'v3',
  duration_seconds: 184.6,
  window_count: 6,
  features: {
    duration: 184.6,
    sample_rate: 16000,
    tempo: null,
    mfcc_mean: Array.from({ length: 13 }, (_, i) => -i),
    spectral_centroid_mean: 1820.5,
    spectral_rolloff_mean: 5210,
    zero_crossing_rate_mean: 0.08,
    rms_mean: 0.05,
    analysed_seconds: 180,
    scope: 'windows',
  },
  transcript: {
    text: 'It is raining again.',
    language: 'en',
    segments: [{ start: 12.5, end: 14.25, text: 'It is raining again.' }],
  },
  analyzed_at: '2025-10-01T12:00:00.000Z',
} as const;

describe('analysis.audio.qwen.v1', () => {
  const create = (payload: unknown) => () =>
    createEnvelope('analysis.audio.qwen.v1', payload as never, { source: 'jellyfin-audio-processor' });

  it('builds an envelope for a full payload, and for one without the optional keys', () => {
    expect(create(qwen)().payload).toEqual(qwen);
    const { namespace: _n, source_uri: _s, transcript: _t, ...minimal } = qwen;
    expect(create({ ...minimal, features: null, confidence: null, confidence_source: 'none' })).not.toThrow();
    expect(create({ ...qwen, transcript: null, namespace: null, source_uri: null })).not.toThrow();
    // Extra keys are allowed (JSON values), so fields added later do not break consumers.
    expect(create({ ...qwen, speech_ratio: 0.4 })).not.toThrow();
  });

  it('refuses what a consumer could not trust, naming the field', () => {
    const bad = (patch: Record<string, unknown>) => messageOf(create({ ...qwen, ...patch }));
    expect(bad({ content_hash: 'A'.repeat(64) })).toMatch(/payload\.content_hash: must be a sha256 digest/);
    expect(bad({ content_hash: 'abc' })).toMatch(/payload\.content_hash/);
    expect(bad({ item_id: '' })).toMatch(/payload\.item_id/);
    expect(bad({ summary: '  ' })).toMatch(/payload\.summary/);
    expect(bad({ mood: '' })).toMatch(/payload\.mood/);
    expect(bad({ confidence: 1.5 })).toMatch(/payload\.confidence/);
    expect(bad({ confidence_source: 'none' })).toMatch(
      /payload\.confidence: must be null when confidence_source is 'none'/,
    );
    expect(bad({ confidence_source: 'guess' })).toMatch(/payload\.confidence_source/);
    expect(bad({ window_count: 0 })).toMatch(/payload\.window_count/);
    expect(bad({ duration_seconds: -1 })).toMatch(/payload\.duration_seconds/);
    expect(bad({ analyzed_at: '2025-10-01T14:00:00+02:00' })).toMatch(/payload\.analyzed_at/);
    expect(bad({ features: { ...qwen.features, mfcc_mean: [1, 2] } })).toMatch(
      /payload\.features\.mfcc_mean/,
    );
    expect(bad({ features: { ...qwen.features, scope: 'some' } })).toMatch(/payload\.features\.scope/);
    expect(bad({ transcript: { ...qwen.transcript, segments: [{ start: 5, end: 4, text: 'x' }] } })).toMatch(
      /payload\.transcript\.segments\[0\]\.end: end must not be before start/,
    );
    expect(bad({ transcript: { text: 'x', segments: [] } })).toMatch(/payload\.transcript\.language/);
    const { model: _m, ...noModel } = qwen;
    expect(messageOf(create(noModel))).toMatch(/payload\.model/);
  });
});

describe('analysis.audio.v1 (mirrors upstream, stricter on emotions)', () => {
  const create = (payload: unknown) => () => createEnvelope('analysis.audio.v1', payload as never);

  it('accepts upstream-shaped payloads with real emotions', () => {
    expect(
      create({
        video_id: 'v1',
        namespace: null,
        emotions: [{ label: 'joy', score: 0.8, ts_seconds: 3.5, speaker: null }],
        transcript: { text: 'hi', language: 'en', segments: [{ id: 0, start: 0, end: 1, text: 'hi' }] },
        features: { global: { duration: 10, rms: 0.1, tempo: null }, by_segment: {} },
      }),
    ).not.toThrow();
  });

  it('refuses an event without real emotions', () => {
    expect(messageOf(create({ video_id: 'v1' }))).toMatch(/payload\.emotions/);
    expect(messageOf(create({ emotions: [] }))).toMatch(/payload\.emotions: must hold at least one emotion/);
    expect(messageOf(create({ emotions: [{ label: 'joy' }] }))).toMatch(/payload\.emotions\[0\]\.score/);
    expect(messageOf(create({ emotions: [{ label: ' ', score: 1 }] }))).toMatch(
      /payload\.emotions\[0\]\.label/,
    );
    expect(messageOf(create({ emotions: [{ label: 'joy', score: Number.NaN }] }))).toMatch(
      /payload\.emotions\[0\]\.score/,
    );
    // A Qwen analysis is not an emotion analysis: it does not pass as analysis.audio.v1.
    expect(messageOf(create(qwen))).toMatch(/payload\.emotions/);
  });
});

describe('content.publish.failed.v1 (mirrors upstream)', () => {
  const create = (payload: unknown) => () => createEnvelope('content.publish.failed.v1', payload as never);
  const failed = { stage: 'discord', reason: 'HTTP 400 from Discord', retryable: false, outcome: 'partial' };

  it('accepts what the publisher emits', () => {
    expect(
      create({
        ...failed,
        artifact_uri: 's3://b/k',
        publish_event_id: 'e1',
        details: { status: 400, attempts: 1 },
      }),
    ).not.toThrow();
  });

  it('requires stage, reason, retryable and outcome (fatal | partial)', () => {
    for (const key of ['stage', 'reason', 'retryable', 'outcome']) {
      const payload: Record<string, unknown> = { ...failed };
      delete payload[key];
      expect(messageOf(create(payload))).toMatch(new RegExp(`payload\\.${key}`));
    }
    expect(messageOf(create({ ...failed, outcome: 'retry' }))).toMatch(/payload\.outcome/);
    expect(messageOf(create({ ...failed, retryable: 'no' }))).toMatch(/payload\.retryable/);
  });
});

describe('the topic registry', () => {
  const topics = Object.keys(TOPIC_SCHEMAS) as KnownTopic[];

  it('describes every topic it has a schema for, and says which ones this SDK defines', () => {
    expect(Object.keys(TOPICS).sort()).toEqual([...topics].sort());
    expect(topics.filter((t) => TOPICS[t].origin === 'sdk')).toEqual(['analysis.audio.qwen.v1']);
    expect(TOPICS['analysis.audio.v1'].schemaPath).toBe('schemas/analysis/audio.v1.schema.json');
    expect(TOPICS['content.publish.failed.v1'].schemaPath).toBe(
      'schemas/content/publish.failed.v1.schema.json',
    );
  });

  it('generates a JSON Schema for every topic, titled with the topic', () => {
    for (const topic of topics) {
      const schema = topicJsonSchema(topic);
      expect(schema.title).toBe(topic);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.type).toBe('object');
    }
    expect(topicJsonSchema('analysis.audio.qwen.v1')).not.toBe(topicJsonSchema('analysis.audio.qwen.v1'));
  });

  it('JSON Schema: required keys as the contracts say', () => {
    const required = (topic: KnownTopic) => [...((topicJsonSchema(topic).required as string[]) ?? [])].sort();
    expect(required('analysis.audio.v1')).toEqual(['emotions']);
    expect(required('content.publish.failed.v1')).toEqual(['outcome', 'reason', 'retryable', 'stage']);
    expect(required('analysis.audio.qwen.v1')).toEqual(
      [
        'item_id',
        'content_hash',
        'summary',
        'tags',
        'mood',
        'language',
        'confidence',
        'confidence_source',
        'model',
        'backend',
        'prompt_version',
        'duration_seconds',
        'window_count',
        'features',
        'analyzed_at',
      ].sort(),
    );
    const qwenProps = topicJsonSchema('analysis.audio.qwen.v1').properties as Record<
      string,
      Record<string, unknown>
    >;
    expect(qwenProps.content_hash?.pattern).toBe('^[0-9a-f]{64}$');
    expect(Object.keys(qwenProps)).toContain('transcript');
    const emotions = (
      topicJsonSchema('analysis.audio.v1').properties as Record<string, Record<string, unknown>>
    ).emotions;
    expect(emotions?.minItems).toBe(1);
  });

  it('refuses an unknown topic, even one named like an Object property', () => {
    expect(messageOf(() => topicJsonSchema('nope.v1' as never))).toMatch(/Unknown topic: nope\.v1/);
    expect(messageOf(() => createEnvelope('toString' as never, {} as never))).toMatch(
      /Unknown topic: toString/,
    );
  });
});
