import { describe, expect, it } from 'vitest';
import { cosineSimilarity, similarities, topK } from '.';

describe('similarity helpers', () => {
  it('cosine, one-against-many and topK', () => {
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [-3, 0])).toBeCloseTo(-1, 12);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/different lengths/);
    const cands = [Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(1, 1)];
    expect(Array.from(similarities([1, 0], cands)).map((v) => +v.toFixed(4))).toEqual([0, 1, 0.7071]);
    expect(topK([1, 0], cands, 2)).toEqual([
      { index: 1, score: 1 },
      { index: 2, score: expect.closeTo(0.7071, 4) },
    ]);
    expect(topK([1, 0], cands, 0)).toEqual([]);
    expect(() => topK([1, 0], cands, -1)).toThrow(/non-negative/);
  });
});
