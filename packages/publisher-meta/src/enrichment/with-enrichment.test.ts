import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../test/deep-freeze';
import { buildPublishedPayload } from '../payload/build';
import type { PublishedPayload } from '../schemas/published';
import { withEnrichment, type AudioEnrichment, type ClipEnrichment } from './with-enrichment';

const T = '2025-10-01T12:05:00.000Z';
const payload = (): PublishedPayload =>
  deepFreeze(
    buildPublishedPayload({
      artifact_uri: 's3://outputs/audio/rain-loop.flac',
      published_path: '/library/audio/pmoves-demo/pmoves-demo--rain-loop.flac',
      namespace: 'pmoves-demo',
      title: 'Rain Loop',
      slug: 'rain-loop',
      namespace_slug: 'pmoves-demo',
      filename: 'pmoves-demo--rain-loop.flac',
      extension: '.flac',
      incoming_meta: { source: 'field-recorder' },
      public_url: 'https://media.example/pmoves-demo/pmoves-demo--rain-loop.flac',
    }),
  );
// Shapes as @pmoves/rerank and @pmoves/qwen-audio hand them over (extra analyze() keys included).
const clip: ClipEnrichment = deepFreeze({
  best_match: { asset_id: 'asset-42', score: 0.287, model: 'clip-vit-b-32' },
  similarity: 0.251,
});
const audio: AudioEnrichment = deepFreeze({
  summary: 'Steady rain on a tin roof with distant thunder.',
  tags: ['rain', 'ambient', 'thunder'],
  mood: 'calm',
  confidence: 0.82,
  model: 'qwen2-audio-7b-instruct',
  confidenceSource: 'logprobs',
  chunks: [{ start: 0, end: 30 }],
});

describe('withEnrichment', () => {
  it('fills the enrichment keys in meta, after the existing keys', () => {
    const out = withEnrichment(payload(), { clip, audio, generatedAt: T });
    expect(out.meta).toMatchObject({
      source: 'field-recorder',
      clip_best_match: { asset_id: 'asset-42', score: 0.287, model: 'clip-vit-b-32' },
      clip_similarity: 0.251,
      audio_tags: ['rain', 'ambient', 'thunder'],
      audio_summary: 'Steady rain on a tin roof with distant thunder.',
      audio_mood: 'calm',
      qwen_confidence: 0.82,
      enrichment: { clip_model: 'clip-vit-b-32', audio_model: 'qwen2-audio-7b-instruct', generated_at: T },
    });
    expect(Object.keys(out.meta ?? {}).slice(-7)).toEqual([
      'clip_best_match',
      'clip_similarity',
      'audio_tags',
      'audio_summary',
      'audio_mood',
      'qwen_confidence',
      'enrichment',
    ]);
    // Keys of analyze() that the payload does not carry stay out.
    expect(JSON.stringify(out)).not.toMatch(/confidenceSource|chunks/);
  });

  it('leaves qwen_confidence out when the analysis had no confidence source, and replaces a stale one', () => {
    const before = withEnrichment(payload(), { audio, generatedAt: T });
    expect(before.meta?.qwen_confidence).toBe(0.82);
    const out = withEnrichment(before, {
      audio: { ...audio, confidence: null, confidenceSource: 'none' },
      generatedAt: T,
    });
    expect(out.meta).toMatchObject({ audio_summary: audio.summary, audio_tags: audio.tags });
    expect(Object.hasOwn(out.meta ?? {}, 'qwen_confidence')).toBe(false);
  });

  it('composes: clip then audio equals both at once, down to the JSON text', () => {
    const stepwise = withEnrichment(withEnrichment(payload(), { clip, generatedAt: T }), {
      audio,
      generatedAt: T,
    });
    const once = withEnrichment(payload(), { clip, audio, generatedAt: T });
    expect(stepwise).toEqual(once);
    expect(JSON.stringify(stepwise)).toBe(JSON.stringify(once));
    const reversed = withEnrichment(withEnrichment(payload(), { audio, generatedAt: T }), {
      clip,
      generatedAt: T,
    });
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(once));
  });

  it('is idempotent', () => {
    const once = withEnrichment(payload(), { clip, audio, generatedAt: T });
    expect(withEnrichment(once, { clip, audio, generatedAt: T })).toEqual(once);
  });

  it('never mutates its (deep-frozen) inputs and shares no objects with them', () => {
    const p = payload();
    const before = JSON.stringify(p);
    const out = withEnrichment(p, deepFreeze({ clip, audio, generatedAt: T }));
    expect(JSON.stringify(p)).toBe(before);
    expect(out).not.toBe(p);
    expect(out.meta).not.toBe(p.meta);
    expect(out.meta?.audio_tags).not.toBe(audio.tags);
    expect(out.meta?.clip_best_match).not.toBe(clip.best_match);
  });

  it('leaves everything untouched when given nothing', () => {
    const p = payload();
    const out = withEnrichment(p, {});
    expect(out).toEqual(p);
    expect(out).not.toBe(p);
  });

  it('leaves the other group untouched and keeps its provenance', () => {
    const withClip = withEnrichment(payload(), { clip, generatedAt: T });
    const out = withEnrichment(withClip, { audio, generatedAt: '2025-10-02T00:00:00.000Z' });
    expect(out.meta?.clip_best_match).toEqual(clip.best_match);
    expect(out.meta?.enrichment).toEqual({
      clip_model: 'clip-vit-b-32',
      audio_model: 'qwen2-audio-7b-instruct',
      generated_at: '2025-10-02T00:00:00.000Z',
    });
  });

  it('never writes undefined keys: optional inputs that are absent are left out', () => {
    const out = withEnrichment(payload(), {
      clip: { best_match: { asset_id: 'a', score: -0.1 } },
      audio: { summary: 's', tags: [], mood: null, confidence: 0, model: null },
      generatedAt: new Date(T),
    });
    const meta = out.meta ?? {};
    expect(meta.clip_best_match).toEqual({ asset_id: 'a', score: -0.1 });
    expect(meta).not.toHaveProperty('clip_similarity');
    expect(meta).not.toHaveProperty('audio_mood');
    expect(meta.enrichment).toEqual({ generated_at: T });
    const hasUndefined = (v: unknown): boolean =>
      v === undefined || (typeof v === 'object' && v !== null && Object.values(v).some(hasUndefined));
    expect(hasUndefined(out)).toBe(false);
  });

  it('replaces a group as a whole, so stale optional values do not survive', () => {
    const first = withEnrichment(payload(), { clip, audio, generatedAt: T });
    const out = withEnrichment(first, {
      clip: { best_match: { asset_id: 'asset-7', score: 0.3 } },
      audio: { summary: 'Birdsong.', tags: ['birds'], confidence: 0.5 },
      generatedAt: T,
    });
    expect(out.meta).not.toHaveProperty('clip_similarity');
    expect(out.meta).not.toHaveProperty('audio_mood');
    expect(out.meta?.enrichment).toEqual({ generated_at: T });
  });

  it('uses the clip model option over the best match model for provenance', () => {
    const out = withEnrichment(payload(), { clip: { ...clip, model: 'ViT-B-32-quantized' }, generatedAt: T });
    expect(out.meta?.enrichment).toEqual({ clip_model: 'ViT-B-32-quantized', generated_at: T });
  });

  it('stamps the current time when generatedAt is omitted', () => {
    const before = Date.now();
    const stamp = withEnrichment(payload(), { audio }).meta?.enrichment?.generated_at ?? '';
    expect(stamp).toMatch(/Z$/);
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before);
  });

  it('rejects bad input with the failing field named', () => {
    const p = payload();
    expect(() => withEnrichment(p, { clip: { best_match: { asset_id: 'a', score: 1.5 } } })).toThrow(
      /enrichment\.clip\.best_match\.score/,
    );
    expect(() => withEnrichment(p, { audio: { ...audio, confidence: 2 } })).toThrow(
      /enrichment\.audio\.confidence/,
    );
    expect(() => withEnrichment(p, { audio: { ...audio, tags: [1] as unknown as string[] } })).toThrow(
      /enrichment\.audio\.tags\[0\]/,
    );
    expect(() => withEnrichment(p, { audio, generatedAt: 'yesterday' })).toThrow(/enrichment\.generatedAt/);
    expect(() => withEnrichment({ ...p, artifact_uri: 'x' }, { audio })).toThrow(/payload\.artifact_uri/);
  });

  it('works on a payload without meta', () => {
    const out = withEnrichment({ artifact_uri: 's3://b/k', published_path: '/p' }, { audio, generatedAt: T });
    expect(out.meta?.audio_summary).toBe(audio.summary);
  });
});
