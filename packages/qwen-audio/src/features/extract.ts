import MeydaModule from 'meyda';
import type { AudioFeatures } from '../schema';
import { estimateTempo } from './tempo';

// meyda ships CommonJS; depending on the loader the API is the module or its `default`.
const Meyda = ((MeydaModule as unknown as { default?: typeof MeydaModule }).default ?? MeydaModule) as {
  bufferSize: number;
  sampleRate: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  extract(features: string[], signal: Float32Array): Record<string, unknown> | null;
};

/** Analysis frame length in samples (64 ms at 16 kHz). */
export const FRAME_SIZE = 1024;
/** Hop between frames in samples (32 ms at 16 kHz). */
export const HOP_SIZE = 512;

/**
 * Streaming signal-feature extractor on meyda: push PCM blocks of any size, then `finish()`.
 * Keeps only running sums and the onset envelope (4 bytes per 32 ms), so memory is flat in length.
 */
export class FeatureAccumulator {
  private readonly frame = new Float32Array(FRAME_SIZE);
  private filled = 0;
  private frames = 0;
  private samples = 0;
  private readonly mfccSum = new Float64Array(13);
  private centroidSum = 0;
  private rolloffSum = 0;
  private zcrSum = 0;
  private rmsSum = 0;
  private prevLogSpectrum: Float32Array | null = null;
  private onset: Float32Array = new Float32Array(1024);
  private onsetLength = 0;

  /** @param sampleRate - rate of the pushed PCM, Hz */
  constructor(private readonly sampleRate: number) {}

  /** Adds mono samples; call as often as needed. A new segment (window) should call `breakSegment()` first. */
  push(block: Float32Array): void {
    this.samples += block.length;
    let i = 0;
    while (i < block.length) {
      const take = Math.min(FRAME_SIZE - this.filled, block.length - i);
      this.frame.set(block.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      if (this.filled === FRAME_SIZE) {
        this.processFrame();
        // Keep the last (FRAME_SIZE - HOP_SIZE) samples: frames overlap by half.
        this.frame.copyWithin(0, HOP_SIZE);
        this.filled = FRAME_SIZE - HOP_SIZE;
      }
    }
  }

  /** Starts a new, non-contiguous segment: no frame or onset spans the gap. */
  breakSegment(): void {
    this.filled = 0;
    this.prevLogSpectrum = null;
  }

  private processFrame(): void {
    Meyda.bufferSize = FRAME_SIZE;
    Meyda.sampleRate = this.sampleRate;
    Meyda.numberOfMFCCCoefficients = 13;
    Meyda.windowingFunction = 'hanning';
    const f = Meyda.extract(['mfcc', 'spectralCentroid', 'spectralRolloff', 'amplitudeSpectrum'], this.frame);
    if (!f) return;
    const mfcc = f.mfcc as number[];
    for (let k = 0; k < 13; k++) this.mfccSum[k]! += mfcc[k] ?? 0;
    // meyda's centroid is in FFT bins; convert to Hz. Silent frames give NaN: count them as 0 Hz.
    const centroidBin = f.spectralCentroid as number;
    this.centroidSum += Number.isFinite(centroidBin) ? (centroidBin * this.sampleRate) / FRAME_SIZE : 0;
    const rolloff = f.spectralRolloff as number;
    this.rolloffSum += Number.isFinite(rolloff) ? rolloff : 0;
    // RMS and ZCR on the raw frame, as librosa computes them: meyda hands its extractors the
    // Hann-windowed frame, which scales RMS by about 0.61.
    let sq = 0;
    let crossings = 0;
    for (let k = 0; k < FRAME_SIZE; k++) {
      const v = this.frame[k]!;
      sq += v * v;
      if (k > 0 && this.frame[k - 1]! >= 0 !== v >= 0) crossings++;
    }
    this.zcrSum += crossings / (FRAME_SIZE - 1);
    this.rmsSum += Math.sqrt(sq / FRAME_SIZE);
    this.frames++;
    // Onset strength: half-wave-rectified log-magnitude spectral flux.
    const amp = f.amplitudeSpectrum as Float32Array;
    const logSpec = new Float32Array(amp.length);
    for (let k = 0; k < amp.length; k++) logSpec[k] = Math.log1p(100 * amp[k]!);
    let flux = 0;
    if (this.prevLogSpectrum) {
      for (let k = 0; k < logSpec.length; k++) {
        const d = logSpec[k]! - this.prevLogSpectrum[k]!;
        if (d > 0) flux += d;
      }
    }
    this.prevLogSpectrum = logSpec;
    if (this.onsetLength === this.onset.length) {
      const grown = new Float32Array(this.onset.length * 2);
      grown.set(this.onset);
      this.onset = grown;
    }
    this.onset[this.onsetLength++] = flux;
  }

  /**
   * Means over all frames, plus tempo from the onset envelope.
   *
   * @param durationSeconds - length of the whole item (the features may cover only part of it)
   * @param scope - whether the pushed audio was the analysed windows or the whole item
   */
  finish(durationSeconds: number, scope: 'windows' | 'full'): AudioFeatures {
    if (this.frames === 0 && this.filled > 0) {
      // Shorter than one frame: analyse it zero-padded rather than report nothing.
      this.frame.fill(0, this.filled);
      this.processFrame();
    }
    const n = Math.max(1, this.frames);
    const r = (x: number) => Math.round(x * 1e6) / 1e6;
    return {
      duration: r(durationSeconds),
      sample_rate: this.sampleRate,
      tempo: estimateTempo(this.onset.subarray(0, this.onsetLength), this.sampleRate / HOP_SIZE),
      mfcc_mean: Array.from(this.mfccSum, (s) => r(s / n)),
      spectral_centroid_mean: r(this.centroidSum / n),
      spectral_rolloff_mean: r(this.rolloffSum / n),
      zero_crossing_rate_mean: r(this.zcrSum / n),
      rms_mean: r(this.rmsSum / n),
      analysed_seconds: r(this.samples / this.sampleRate),
      scope,
    };
  }
}

/** Features of one block of mono PCM (scope `full`: the block is the whole item unless `durationSeconds` says otherwise). */
export function extractFeatures(
  pcm: Float32Array,
  sampleRate: number,
  durationSeconds?: number,
): AudioFeatures {
  const acc = new FeatureAccumulator(sampleRate);
  acc.push(pcm);
  return acc.finish(durationSeconds ?? pcm.length / sampleRate, 'full');
}

/**
 * Maps features to the `features` object of PMOVES's `analysis.audio.v1` schema
 * (`global.duration`, `rms`, `spectral_centroid`, `zero_crossing_rate`, `tempo`).
 */
export function toAnalysisAudioV1Features(f: AudioFeatures): {
  global: Record<string, number | null>;
} {
  return {
    global: {
      duration: f.duration,
      rms: f.rms_mean,
      spectral_centroid: f.spectral_centroid_mean,
      zero_crossing_rate: f.zero_crossing_rate_mean,
      tempo: f.tempo,
    },
  };
}

/**
 * Features of an item's analysed windows, each window its own segment (no frame spans a gap):
 * scope `full` when the windows cover the item (to within half a second), else `windows`.
 */
export function featuresOfWindows(
  windows: ReadonlyArray<{ pcm: Float32Array }>,
  durationSeconds: number,
  sampleRate: number,
): AudioFeatures {
  const acc = new FeatureAccumulator(sampleRate);
  for (const w of windows) {
    acc.breakSegment();
    acc.push(w.pcm);
  }
  const covered = windows.reduce((a, w) => a + w.pcm.length, 0) / sampleRate;
  return acc.finish(durationSeconds, covered >= durationSeconds - 0.5 ? 'full' : 'windows');
}
