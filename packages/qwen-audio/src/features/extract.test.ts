import { describe, expect, it } from 'vitest';
import { FeatureAccumulator, extractFeatures, toAnalysisAudioV1Features } from './extract';
import { estimateTempo } from './tempo';
import { audioFeaturesSchema } from '../schema';

const SR = 16000;
const sine = (f: number, seconds: number, amp = 0.5) =>
  Float32Array.from({ length: SR * seconds }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / SR));
function clicks(bpm: number, seconds: number): Float32Array {
  const out = new Float32Array(SR * seconds);
  const period = Math.round((60 / bpm) * SR);
  for (let start = 0; start < out.length; start += period) {
    for (let k = 0; k < 160 && start + k < out.length; k++)
      out[start + k] = Math.sin((2 * Math.PI * 2000 * k) / SR) * Math.exp(-k / 40);
  }
  return out;
}

describe('signal features (meyda)', () => {
  it('puts the spectral centroid and roll-off of a pure tone near its frequency, ZCR ≈ 2f/sr, RMS ≈ A/√2', () => {
    for (const f of [440, 1000, 3000]) {
      const feat = extractFeatures(sine(f, 3), SR);
      expect(audioFeaturesSchema.parse(feat)).toEqual(feat);
      expect(Math.abs(feat.spectral_centroid_mean - f)).toBeLessThan(f * 0.05);
      expect(Math.abs(feat.spectral_rolloff_mean - f)).toBeLessThan(60);
      expect(feat.zero_crossing_rate_mean).toBeCloseTo((2 * f) / SR, 2);
      expect(feat.rms_mean).toBeCloseTo(0.5 / Math.SQRT2, 2);
      expect(feat.mfcc_mean).toHaveLength(13);
      expect(feat.duration).toBe(3);
      expect(feat.analysed_seconds).toBe(3);
    }
  });

  it('distinguishes tones by MFCCs', () => {
    const a = extractFeatures(sine(300, 2), SR).mfcc_mean;
    const b = extractFeatures(sine(4000, 2), SR).mfcc_mean;
    const dist = Math.hypot(...a.map((x, i) => x - b[i]!));
    expect(dist).toBeGreaterThan(1);
  });

  it('estimates tempo on click tracks and returns null for a steady tone or silence', () => {
    expect(extractFeatures(clicks(120, 12), SR).tempo).toBeGreaterThan(117);
    expect(extractFeatures(clicks(120, 12), SR).tempo).toBeLessThan(123);
    const t90 = extractFeatures(clicks(90, 12), SR).tempo!;
    expect(Math.abs(t90 - 90)).toBeLessThan(3);
    expect(extractFeatures(new Float32Array(SR * 6), SR).tempo).toBeNull();
    expect(estimateTempo(new Float32Array(10), 31.25)).toBeNull();
  });

  it('streams: pushing in odd-sized blocks gives the same result as one block', () => {
    const x = sine(700, 4);
    const acc = new FeatureAccumulator(SR);
    for (let i = 0; i < x.length; i += 777) acc.push(x.subarray(i, i + 777));
    const streamed = acc.finish(4, 'full');
    expect(streamed).toEqual(extractFeatures(x, SR, 4));
  });

  it('analyses input shorter than one frame instead of reporting nothing, and maps to analysis.audio.v1', () => {
    const f = extractFeatures(sine(1000, 0.01), SR);
    expect(f.analysed_seconds).toBeCloseTo(0.01, 6);
    expect(f.spectral_centroid_mean).toBeGreaterThan(500);
    expect(toAnalysisAudioV1Features(f)).toEqual({
      global: {
        duration: f.duration,
        rms: f.rms_mean,
        spectral_centroid: f.spectral_centroid_mean,
        zero_crossing_rate: f.zero_crossing_rate_mean,
        tempo: null,
      },
    });
  });
});
