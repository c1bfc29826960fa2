import { AudioQwenPayloadSchema, TOPIC_SCHEMAS, parseEnvelope } from '@pmoves/publisher-meta';
import type { AnalysisResult, Transcript } from '@pmoves/qwen-audio';
import { describe, expect, it } from 'vitest';
import { AudioProcessorError } from './errors';
import { ANALYSIS_TOPIC, analysisEnvelope, fitEnvelope, payloadFromResult, payloadFromStored } from './event';

const transcript: Transcript = {
  text: 'Hello there. General Kenobi.',
  language: 'en',
  segments: [
    { start: 0.4, end: 1.6, text: 'Hello there.' },
    { start: 5.2, end: 6.9, text: 'General Kenobi.' },
  ],
  confidence: 0.91,
  confidenceSource: 'logprobs',
  scope: 'full',
};

const result: AnalysisResult = {
  status: 'ok',
  summary: 'Solo piano, slow.',
  tags: ['piano'],
  mood: 'calm',
  confidence: 0.8,
  confidenceSource: 'logprobs',
  language: null,
  chunks: [
    {
      index: 0,
      startSeconds: 0,
      durationSeconds: 2,
      summary: 'Solo piano, slow.',
      tags: ['piano'],
      mood: 'calm',
      language: null,
      confidence: 0.8,
      confidenceSource: 'logprobs',
      attempts: 1,
    },
  ],
  model: 'Qwen/Qwen2-Audio-7B-Instruct',
  backend: 'openai',
  promptVersion: 'v1',
  audio: { sha256: 'a'.repeat(64), durationSeconds: 2, windowCount: 1 },
  features: null,
  transcript: null,
  timings: { decodeMs: 1, featuresMs: 1, modelMs: 1, transcriptMs: 0, totalMs: 3 },
};

describe('analysis.audio.qwen.v1', () => {
  it('builds a PMOVES envelope on its own topic, never analysis.audio.v1', () => {
    const env = analysisEnvelope(payloadFromResult(result, { item_id: 'x', namespace: 'music' }), {
      correlation_id: 'c-1',
    });
    expect(env.topic).toBe(ANALYSIS_TOPIC);
    expect(ANALYSIS_TOPIC).not.toBe('analysis.audio.v1');
    expect(Object.keys(env)).toEqual(['id', 'topic', 'ts', 'version', 'source', 'payload', 'correlation_id']);
    expect(env.payload).toMatchObject({
      item_id: 'x',
      namespace: 'music',
      content_hash: 'a'.repeat(64),
      confidence_source: 'logprobs',
      window_count: 1,
    });
    expect(env.payload).not.toHaveProperty('emotions');
    expect(env.payload).not.toHaveProperty('transcript');
    // The registered topic schema is the one that validated it.
    expect(TOPIC_SCHEMAS[ANALYSIS_TOPIC]).toBe(AudioQwenPayloadSchema);
    expect(parseEnvelope(JSON.parse(JSON.stringify(env)))).toEqual(env);
  });

  it('carries the transcript, in the topic snake_case, when one was made', () => {
    const env = analysisEnvelope(payloadFromResult({ ...result, transcript }, { item_id: 'x' }));
    expect(env.payload.transcript).toEqual({
      text: 'Hello there. General Kenobi.',
      language: 'en',
      segments: transcript.segments,
      confidence: 0.91,
      confidence_source: 'logprobs',
      scope: 'full',
    });
    expect(AudioQwenPayloadSchema.parse(env.payload).transcript?.segments).toHaveLength(2);
  });

  it('refuses a transcript the topic schema rejects (a segment ending before it starts)', () => {
    const bad = payloadFromResult(
      { ...result, transcript: { ...transcript, segments: [{ start: 3, end: 1, text: 'x' }] } },
      { item_id: 'x' },
    );
    expect(() => analysisEnvelope(bad)).toThrow(
      /payload\.transcript\.segments\[0\]\.end: end must not be before start/,
    );
  });

  it('refuses a made-up confidence when the source says there is none', () => {
    const bad = { ...payloadFromResult(result, { item_id: 'x' }), confidence_source: 'none' as const };
    expect(() => analysisEnvelope(bad)).toThrow(/payload\.confidence/);
  });

  it('refuses a payload that fails the schema, naming the field', () => {
    const bad = { ...payloadFromResult(result, { item_id: 'x' }), confidence: 1.5 };
    expect(() => analysisEnvelope(bad)).toThrow(AudioProcessorError);
    expect(() => analysisEnvelope(bad)).toThrow(/payload\.confidence/);
    const err = (() => {
      try {
        analysisEnvelope(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'queue', permanent: true });
  });

  it('rebuilds the payload from a stored row, and gives null for a failed one', () => {
    const row = {
      itemId: 'x',
      namespace: 'pmoves',
      summary: 's',
      tags: ['t'],
      mood: 'm',
      confidence: null,
      confidenceSource: null,
      language: 'en',
      model: 'q',
      backend: 'openai',
      promptVersion: 'v1',
      audioSha256: 'b'.repeat(64),
      durationSeconds: 3,
      features: null,
      transcript,
      raw: { audio: { windowCount: 2 } },
      status: 'ok' as const,
      error: null,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-02T00:00:00Z'),
    };
    const p = payloadFromStored(row, {})!;
    expect(p).toMatchObject({ content_hash: 'b'.repeat(64), window_count: 2, confidence_source: 'none' });
    expect(p.transcript).toMatchObject({ text: transcript.text, confidence_source: 'logprobs' });
    expect(payloadFromStored({ ...row, transcript: null }, {})).not.toHaveProperty('transcript');
    expect(p.analyzed_at).toBe('2026-01-02T00:00:00.000Z');
    expect(analysisEnvelope(p).payload).toEqual(p);
    expect(payloadFromStored({ ...row, status: 'failed' }, {})).toBeNull();
  });

  it('fits a long transcript in the server max_payload by keeping its leading segments, marked truncated', () => {
    const segments = Array.from({ length: 2000 }, (_, i) => ({
      start: i * 2,
      end: i * 2 + 1.5,
      text: `Sentence number ${i} of a very long recording.`,
    }));
    const long: Transcript = { ...transcript, segments, text: segments.map((x) => x.text).join(' ') };
    const payload = payloadFromResult({ ...result, transcript: long }, { item_id: 'long' });
    const whole = fitEnvelope(payload, 10 * 1024 * 1024);
    expect(whole.droppedSegments).toBe(0);
    expect(whole.envelope.payload.transcript).not.toHaveProperty('truncated');
    const max = Math.floor(whole.data.byteLength / 3);
    const cut = fitEnvelope(payload, max);
    expect(cut.data.byteLength).toBeLessThanOrEqual(max);
    expect(cut.droppedSegments).toBeGreaterThan(0);
    const t = JSON.parse(new TextDecoder().decode(cut.data)).payload.transcript;
    expect(t.truncated).toBe(true);
    expect(t.segments).toEqual(segments.slice(0, segments.length - cut.droppedSegments));
    expect(t.text).toBe(t.segments.map((x: { text: string }) => x.text).join(' '));
    // One more segment would not have fitted.
    const more = segments.slice(0, t.segments.length + 1);
    const next = fitEnvelope(
      {
        ...payload,
        transcript: { ...t, segments: more, text: more.map((x) => x.text).join(' ') },
      },
      10 * 1024 * 1024,
    );
    expect(next.data.byteLength).toBeGreaterThan(max);
    expect(() => fitEnvelope(payload, 200)).toThrow(/max_payload of 200/);
  });
});
