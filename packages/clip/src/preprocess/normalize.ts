// Rescale and normalise exactly as transformers does it in numpy: `x.astype(float64) * rescale_factor`
// cast to float32, then `(x - mean) / std` in float32. A uint8 has 256 values, so a table per channel
// gives the same float32 bits as the reference at the cost of a lookup.
import type { PreprocessorConfig } from './config';

/** Per-channel tables: `tables[c][v]` is the model input for level `v` of channel `c`. */
export function normalisationTables(config: PreprocessorConfig): [Float32Array, Float32Array, Float32Array] {
  const make = (c: 0 | 1 | 2): Float32Array => {
    const table = new Float32Array(256);
    const mean = Math.fround(config.image_mean[c]);
    const std = Math.fround(config.image_std[c]);
    for (let v = 0; v < 256; v++) {
      let x = config.do_rescale ? Math.fround(v * config.rescale_factor) : v;
      if (config.do_normalize) x = Math.fround(Math.fround(x - mean) / std);
      table[v] = x;
    }
    return table;
  };
  return [make(0), make(1), make(2)];
}

/** Write an HWC RGB crop as CHW float32 into `target` at `offset`. */
export function writeChw(
  rgb: Uint8Array,
  pixels: number,
  tables: readonly [Float32Array, Float32Array, Float32Array],
  target: Float32Array,
  offset: number,
): void {
  const [t0, t1, t2] = tables;
  const g = offset + pixels;
  const b = offset + 2 * pixels;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    target[offset + i] = t0[rgb[p]!]!;
    target[g + i] = t1[rgb[p + 1]!]!;
    target[b + i] = t2[rgb[p + 2]!]!;
  }
}
