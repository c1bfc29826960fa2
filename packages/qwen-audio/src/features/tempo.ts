/**
 * Tempo from an onset-strength envelope by autocorrelation (meyda has no tempo extractor and no
 * maintained JS beat tracker fits a streaming, dependency-light pipeline). Like librosa's
 * `tempo()`, the autocorrelation is weighted by a log-normal prior centred on 120 BPM (one octave
 * wide) to settle octave ambiguity; the peak lag is refined by parabolic interpolation.
 *
 * @param onset - onset strength per frame (e.g. half-wave-rectified log spectral flux)
 * @param frameRate - frames per second of `onset`
 * @returns BPM, or null with under 4 s of envelope or no periodicity
 */
export function estimateTempo(
  onset: Float32Array,
  frameRate: number,
  minBpm = 40,
  maxBpm = 240,
): number | null {
  const n = onset.length;
  if (n < frameRate * 4) return null;
  // Remove the mean so a steady level does not look periodic at every lag.
  let mean = 0;
  for (let i = 0; i < n; i++) mean += onset[i]!;
  mean /= n;
  const x = new Float32Array(n);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    x[i] = onset[i]! - mean;
    energy += x[i]! * x[i]!;
  }
  if (energy <= 1e-12) return null;
  const minLag = Math.max(1, Math.floor((60 * frameRate) / maxBpm));
  const maxLag = Math.min(n - 1, Math.ceil((60 * frameRate) / minBpm));
  const ac = new Float64Array(maxLag + 2);
  for (let lag = minLag - 1; lag <= maxLag + 1 && lag < n; lag++) {
    let s = 0;
    for (let i = 0; i + lag < n; i++) s += x[i]! * x[i + lag]!;
    ac[lag] = s / (n - lag);
  }
  let best = -1;
  let bestScore = 0;
  for (let lag = minLag; lag <= maxLag; lag++) {
    const bpm = (60 * frameRate) / lag;
    const prior = Math.exp(-0.5 * Math.log2(bpm / 120) ** 2);
    const score = ac[lag]! * prior;
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  if (best < 0) return null;
  const a = ac[best - 1] ?? 0;
  const b = ac[best]!;
  const c = ac[best + 1] ?? 0;
  const denom = a - 2 * b + c;
  const shift = denom !== 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / denom)) : 0;
  return Math.round(((60 * frameRate) / (best + shift)) * 10) / 10;
}
