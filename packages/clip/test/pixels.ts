// How far two images of the same size are apart, per byte (shared by the preprocessing fixture
// test and the preprocessing benchmark).

/** Largest and mean absolute difference of two byte arrays of the same length. */
export function pixelDiff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}
