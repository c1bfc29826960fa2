// Cross-package contracts: publisher-meta's `analysis.audio.qwen.v1` schema describes what @pmoves/qwen-audio
// produces, without either package importing the other (publisher-meta depends on nothing of ours). This test is
// where a drift between the two shows.
import { AudioFeaturesSchema, AudioQwenPayloadSchema, ConfidenceSourceSchema } from '@pmoves/publisher-meta';
import { audioFeaturesSchema, confidenceSourceSchema } from '@pmoves/qwen-audio';
import { describe, expect, it } from 'vitest';

const sampleFeatures = {
  duration: 184.6,
  sample_rate: 16000,
  tempo: 92.3,
  mfcc_mean: Array.from({ length: 13 }, (_, i) => i / 10),
  spectral_centroid_mean: 1820.5,
  spectral_rolloff_mean: 5210,
  zero_crossing_rate_mean: 0.08,
  rms_mean: 0.05,
  analysed_seconds: 180,
  scope: 'windows',
};

describe('analysis.audio.qwen.v1 ↔ @pmoves/qwen-audio', () => {
  it("features: the same keys as qwen-audio's audioFeaturesSchema, and what one accepts the other does", () => {
    expect(Object.keys(AudioFeaturesSchema.shape).sort()).toEqual(
      Object.keys(audioFeaturesSchema.shape).sort(),
    );
    expect(audioFeaturesSchema.parse(sampleFeatures)).toEqual(sampleFeatures);
    expect(AudioFeaturesSchema.parse(sampleFeatures)).toEqual(sampleFeatures);
    for (const patch of [{ tempo: null }, { scope: 'full' }, { mfcc_mean: [1] }, { sample_rate: 0 }]) {
      const value = { ...sampleFeatures, ...patch };
      expect(AudioFeaturesSchema.safeParse(value).success, JSON.stringify(patch)).toBe(
        audioFeaturesSchema.safeParse(value).success,
      );
    }
  });

  it('confidence sources: the same values', () => {
    expect([...ConfidenceSourceSchema.options].sort()).toEqual([...confidenceSourceSchema.options].sort());
  });

  it('the payload takes features as qwen-audio computes them', () => {
    const payload = {
      item_id: 'jf-1',
      content_hash: 'f'.repeat(64),
      summary: 's',
      tags: [],
      mood: 'calm',
      language: null,
      confidence: null,
      confidence_source: 'none',
      model: 'm',
      backend: 'openai',
      prompt_version: 'v1',
      duration_seconds: 184.6,
      window_count: 1,
      features: audioFeaturesSchema.parse(sampleFeatures),
      analyzed_at: '2026-01-01T00:00:00.000Z',
    };
    expect(AudioQwenPayloadSchema.safeParse(payload).success).toBe(true);
  });
});
