// Signal-based speech detection: which parts of a window are worth a transcription call. No model:
// energy above an adaptive floor, then two properties of speech that steady or plucked tones, noise
// and silence lack together — loudness that rises and falls syllable by syllable, and a spectrum
// that keeps changing (voiced and unvoiced sounds alternate). Thresholds are documented in the README.
import MeydaModule from 'meyda';

// meyda ships CommonJS; depending on the loader the API is the module or its `default`.
const Meyda = ((MeydaModule as unknown as { default?: typeof MeydaModule }).default ?? MeydaModule) as {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(features: string[], signal: Float32Array): Record<string, unknown> | null;
};

/** Tunables of {@link detectSpeech}; the defaults are the documented ones. */
export interface SpeechDetectionOptions {
  /** Frames quieter than this are never speech, dBFS; default -50. */
  minLevelDb?: number;
  /** The activity threshold sits this far above the window's quiet level (10th percentile), dB; default 12. */
  aboveFloorDb?: number;
  /** …but never above this, so loud non-stop audio still counts as active, dBFS; default -35. */
  maxThresholdDb?: number;
  /** Mean level change over 50 ms within a 1 s block that speech reaches, dB; default 3. */
  minLevelChangeDb?: number;
  /** Mean normalised spectral flux within a 1 s block that speech reaches; default 0.05. */
  minSpectralFlux?: number;
  /** Speech regions closer than this are one region, seconds; default 0.5. */
  joinGapSeconds?: number;
  /** Shorter regions are dropped, seconds; default 0.5. */
  minRegionSeconds?: number;
}

/** A stretch of detected speech, seconds from the start of the analysed samples. */
export interface SpeechRegion {
  /** Start, seconds. */
  start: number;
  /** End, seconds. */
  end: number;
}

const FRAME = 512; // 32 ms at 16 kHz: one FFT frame
const HOP = 160; // 10 ms
const BLOCK_HALF = 50; // frames either side of a block centre: 1 s blocks
const STEP = 10; // blocks every 0.1 s
const LAG = 5; // level change measured over 50 ms

interface Frames {
  level: Float64Array;
  flux: Float64Array;
}

function measureFrames(pcm: Float32Array, sampleRate: number): Frames {
  const n = pcm.length >= FRAME ? Math.floor((pcm.length - FRAME) / HOP) + 1 : 0;
  const level = new Float64Array(n);
  const flux = new Float64Array(n);
  Meyda.bufferSize = FRAME;
  Meyda.sampleRate = sampleRate;
  Meyda.windowingFunction = 'hanning';
  let prev: Float32Array | null = null;
  for (let f = 0; f < n; f++) {
    const frame = pcm.subarray(f * HOP, f * HOP + FRAME);
    let sq = 0;
    for (let i = 0; i < FRAME; i++) sq += frame[i]! * frame[i]!;
    level[f] = 10 * Math.log10(sq / FRAME + 1e-12);
    const amp = Meyda.extract(['amplitudeSpectrum'], frame)?.amplitudeSpectrum as Float32Array | undefined;
    if (!amp) continue;
    if (prev) {
      let num = 0;
      let den = 0;
      for (let k = 0; k < amp.length; k++) {
        const d = amp[k]! - prev[k]!;
        num += d * d;
        den += amp[k]! * amp[k]! + prev[k]! * prev[k]!;
      }
      flux[f] = den > 0 ? num / den : 0;
    }
    prev = Float32Array.from(amp);
  }
  return { level, flux };
}

function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? -120;
}

/**
 * The stretches of `pcm` (mono, `sampleRate` Hz) that sound like speech, in order. Steady tones,
 * chords, plucked melodies, noise and silence give none; music with vocals or dense percussion
 * may be taken for speech (the transcription call then decides).
 */
export function detectSpeech(
  pcm: Float32Array,
  sampleRate: number,
  opts: SpeechDetectionOptions = {},
): SpeechRegion[] {
  const { level, flux } = measureFrames(pcm, sampleRate);
  const n = level.length;
  if (n === 0) return [];
  const threshold = Math.max(
    opts.minLevelDb ?? -50,
    Math.min(percentile(level, 0.1) + (opts.aboveFloorDb ?? 12), opts.maxThresholdDb ?? -35),
  );
  const active = Array.from(level, (l) => l > threshold);
  const speechLike = new Uint8Array(n);
  for (let centre = 0; centre < n; centre += STEP) {
    let count = 0;
    let change = 0;
    let changes = 0;
    let fluxSum = 0;
    for (let i = Math.max(0, centre - BLOCK_HALF); i < Math.min(n, centre + BLOCK_HALF); i++) {
      if (!active[i]) continue;
      count++;
      fluxSum += flux[i]!;
      if (i >= LAG && active[i - LAG]) {
        change += Math.abs(level[i]! - level[i - LAG]!);
        changes++;
      }
    }
    const isSpeech =
      count >= 30 && // at least 0.3 s of sound in the block
      changes > 0 &&
      change / changes >= (opts.minLevelChangeDb ?? 3) &&
      fluxSum / count >= (opts.minSpectralFlux ?? 0.05);
    if (isSpeech) speechLike.fill(1, centre, Math.min(n, centre + STEP));
  }
  const secondsOf = (frame: number) => (frame * HOP) / sampleRate;
  const regions: SpeechRegion[] = [];
  const joinGap = opts.joinGapSeconds ?? 0.5;
  let start = -1;
  for (let f = 0; f <= n; f++) {
    const on = f < n && active[f] && speechLike[f] === 1;
    if (on && start < 0) start = f;
    if (!on && start >= 0) {
      const r = { start: secondsOf(start), end: secondsOf(f - 1) + FRAME / sampleRate };
      const last = regions.at(-1);
      if (last && r.start - last.end < joinGap) last.end = r.end;
      else regions.push(r);
      start = -1;
    }
  }
  const minLength = opts.minRegionSeconds ?? 0.5;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return regions
    .filter((r) => r.end - r.start >= minLength)
    .map((r) => ({ start: round(r.start), end: round(Math.min(r.end, pcm.length / sampleRate)) }));
}
