import { describe, expect, it } from 'vitest';
import { fuseScores, normalizeScore } from './fuse';

describe('normalizeScore', () => {
  it('maps each score kind into [0,1] as documented', () => {
    expect(normalizeScore(0.7, 'probability')).toBe(0.7);
    expect(normalizeScore(1.3, 'probability')).toBe(1);
    expect(normalizeScore(-1, 'similarity')).toBe(0);
    expect(normalizeScore(0.3, 'similarity')).toBeCloseTo(0.65, 12);
    expect(normalizeScore(0, 'logit')).toBe(0.5);
    expect(normalizeScore(2, 'logit')).toBeCloseTo(0.8807970779778823, 12);
    expect(normalizeScore(4, 'rank', 4)).toBe(1);
    expect(normalizeScore(1, 'rank', 4)).toBe(0.25);
    expect(normalizeScore(Number.NaN, 'probability')).toBe(0);
  });
});

describe('fuseScores', () => {
  const items = [
    { id: 'a', score: 0.9, rerankScore: 0.1 },
    { id: 'b', score: 0.6, rerankScore: 1 },
    { id: 'c', score: 0.5, rerankScore: 0.6 },
    { id: 'd', score: 0.2, rerankScore: 1 },
  ];

  it('mul: score * (0.5 + 0.5 * s)', () => {
    const out = fuseScores(items, { fusion: 'mul', topn: 50, k: 10 });
    expect(out.map((o) => [o.id, +o.fusedScore.toFixed(6)])).toEqual([
      ['b', 0.6],
      ['a', 0.495],
      ['c', 0.4],
      ['d', 0.2],
    ]);
  });

  it('wsum: 0.5 * score + 0.5 * s', () => {
    const out = fuseScores(items, { fusion: 'wsum', topn: 50, k: 2 });
    expect(out.map((o) => [o.id, +o.fusedScore.toFixed(6)])).toEqual([
      ['b', 0.8],
      ['d', 0.6],
    ]);
  });

  it('fuses only the top-topn pool by retrieval score and returns k', () => {
    const out = fuseScores(items, { fusion: 'wsum', topn: 2, k: 10 });
    expect(out.map((o) => o.id)).toEqual(['b', 'a']);
  });

  it('gives an unscored item the pool mean (neutral)', () => {
    const out = fuseScores(
      [
        { id: 'x', score: 0.8, rerankScore: null },
        { id: 'y', score: 0.8, rerankScore: 0.2 },
        { id: 'z', score: 0.8, rerankScore: 0.6 },
      ],
      { fusion: 'mul' },
    );
    expect(out.find((o) => o.id === 'x')!.fusedScore).toBeCloseTo(0.8 * (0.5 + 0.5 * 0.4), 12);
  });
});
