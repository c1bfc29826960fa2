// Vector arithmetic of CLIP scoring: cached vectors are unit length, so a score is a dot product.

/** An embedding. */
export type Vector = Float32Array;

/** Dot product. */
export function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Clamp a cosine into [−1, 1] (rounding can step just outside). */
export const clampCos = (c: number) => Math.max(-1, Math.min(1, c));

/** Cosine of a unit query against any vector (precomputed embeddings may not be normalised). */
export function cosine(unitQuery: Vector, v: Vector): number {
  const norm = Math.sqrt(dot(v, v));
  return norm > 0 ? clampCos(dot(unitQuery, v) / norm) : 0;
}

/** The vector scaled to unit length (as is when it already is, or is zero). */
export function unit(v: Vector): Vector {
  const n = Math.sqrt(dot(v, v));
  if (n === 0 || Math.abs(n - 1) < 1e-6) return v;
  return v.map((x) => x / n);
}
