import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../test/deep-freeze';
import { buildPublishedPayload } from '../payload/build';
import type { PublishedPayload } from '../schemas/published';
import { AUDIO_TRANSCRIPT_MAX_LENGTH } from '../schemas/enrichment';
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

describe('withEnrichment — similar library assets (meta.clip_similarity)', () => {
  const similar = [
    { asset_id: 'asset-3', score: 0.93 },
    { asset_id: 'asset-8', score: 0.71 },
  ];

  it('stores the top-k list as given, best first, and copies it', () => {
    const input = deepFreeze({ best_match: { asset_id: 'asset-3', score: 0.93 }, similarity: similar });
    const out = withEnrichment(payload(), { clip: input, generatedAt: T });
    expect(out.meta?.clip_similarity).toEqual(similar);
    expect(out.meta?.clip_similarity).not.toBe(similar);
  });

  it('still accepts the earlier single cosine', () => {
    const out = withEnrichment(payload(), { clip, generatedAt: T });
    expect(out.meta?.clip_similarity).toBe(0.251);
  });

  it('refuses a bad entry, an empty asset id, a score outside −1..1, and more than 100 entries', () => {
    const p = payload();
    const withSimilar = (similarity: unknown) =>
      withEnrichment(p, {
        clip: { best_match: { asset_id: 'a', score: 0.1 }, similarity: similarity as never },
      });
    expect(() => withSimilar([{ asset_id: '', score: 0.2 }])).toThrow(
      /enrichment\.clip\.similarity\[0\]\.asset_id/,
    );
    expect(() => withSimilar([{ asset_id: 'a', score: 1.2 }])).toThrow(
      /enrichment\.clip\.similarity\[0\]\.score/,
    );
    expect(() => withSimilar([{ asset_id: 'a', score: 0.2, rank: 1 }])).toThrow(
      /enrichment\.clip\.similarity/,
    );
    const many = Array.from({ length: 101 }, (_, i) => ({ asset_id: `a${i}`, score: 0.5 }));
    expect(() => withSimilar(many)).toThrow(/enrichment\.clip\.similarity/);
    expect(() => withSimilar(many.slice(0, 100))).not.toThrow();
  });
});

describe('withEnrichment — transcript excerpt (meta.audio_transcript)', () => {
  const transcript = {
    text: 'It is raining again. The roof is loud tonight.',
    language: 'en',
    segments: [
      { start: 0, end: 2.1, text: 'It is raining again.' },
      { start: 2.4, end: 4.9, text: 'The roof is loud tonight.' },
    ],
  };

  it("stores the text of analyze()'s transcript, or a string, as the excerpt", () => {
    expect(
      withEnrichment(payload(), { audio: { ...audio, transcript }, generatedAt: T }).meta?.audio_transcript,
    ).toBe(transcript.text);
    expect(
      withEnrichment(payload(), { audio: { ...audio, transcript: '  words  ' }, generatedAt: T }).meta
        ?.audio_transcript,
    ).toBe('words');
  });

  it('cuts a long transcript to 1000 code points at a grapheme boundary, with an ellipsis', () => {
    const excerptOf = (text: string) =>
      withEnrichment(payload(), { audio: { ...audio, transcript: { text } }, generatedAt: T }).meta
        ?.audio_transcript as string;
    const family = '👨‍👩‍👧‍👦'; // 7 code points, one grapheme
    const before = excerptOf(`${'word '.repeat(190)}${family} ${'more '.repeat(400)}`);
    expect([...before].length).toBeLessThanOrEqual(AUDIO_TRANSCRIPT_MAX_LENGTH);
    expect(before.endsWith('…')).toBe(true);
    expect(before).toContain(family);
    // The family straddles the cut: it is left out whole, never split.
    const straddling = excerptOf(`${'x'.repeat(995)}${family}${'y'.repeat(50)}`);
    expect(straddling).toBe(`${'x'.repeat(995)}…`);
  });

  it('leaves the key out for a blank or missing transcript, and drops a stale one with the audio group', () => {
    const first = withEnrichment(payload(), { audio: { ...audio, transcript }, generatedAt: T });
    const blank = withEnrichment(first, { audio: { ...audio, transcript: { text: '   ' } }, generatedAt: T });
    expect(blank.meta).not.toHaveProperty('audio_transcript');
    const none = withEnrichment(first, { audio, generatedAt: T });
    expect(none.meta).not.toHaveProperty('audio_transcript');
    const clipOnly = withEnrichment(first, { clip, generatedAt: T });
    expect(clipOnly.meta?.audio_transcript).toBe(transcript.text);
  });

  it('keeps the canonical key order: the excerpt after qwen_confidence, before the provenance', () => {
    const out = withEnrichment(payload(), { audio: { ...audio, transcript }, generatedAt: T });
    const keys = Object.keys(out.meta ?? {});
    expect(keys.slice(-3)).toEqual(['qwen_confidence', 'audio_transcript', 'enrichment']);
  });
});
