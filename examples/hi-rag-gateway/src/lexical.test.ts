import { describe, expect, it } from 'vitest';
import { indelDistance, tokenSetRatio } from './lexical';

describe('tokenSetRatio (rapidfuzz 3.9 fuzz.token_set_ratio)', () => {
  it("gives rapidfuzz's documented values", () => {
    // The examples of rapidfuzz's docstring, with its printed results.
    expect(tokenSetRatio('fuzzy was a bear', 'fuzzy fuzzy was a bear')).toBe(100);
    expect(tokenSetRatio('fuzzy was a bear but not a dog', 'fuzzy was a bear')).toBe(100);
    expect(tokenSetRatio('fuzzy was a bear but not a dog', 'fuzzy was a bear but not a cat')).toBeCloseTo(
      92.3076923076923,
      12,
    );
  });

  it('does no preprocessing: case and punctuation count, and no shared token means the difference ratio', () => {
    expect(tokenSetRatio('Harbour', 'harbour')).toBeCloseTo(100 - (100 * 2) / 14, 12);
    expect(tokenSetRatio('a red circle', 'A red circle!')).toBeLessThan(100);
    expect(tokenSetRatio('', 'anything')).toBe(0);
    expect(tokenSetRatio('   ', 'anything')).toBe(0);
  });

  it('scores the intersection against each side', () => {
    // sect "b", ab "a", ba "c d": the best of ratio("b a", "b c d") = 50, ratio("b", "b a") = 50
    // and ratio("b", "b c d") = 33.3 (ratio = 100·(1 − indel / total length)).
    expect(tokenSetRatio('a b', 'b c d')).toBeCloseTo(50, 12);
    // "sunset bay" vs "sunset over the bay": one contains the other.
    expect(tokenSetRatio('sunset bay', 'sunset over the bay')).toBe(100);
  });

  it('counts code points, not UTF-16 units', () => {
    expect(indelDistance('😀a', '😀b')).toBe(2);
    expect(indelDistance('abc', 'abd')).toBe(2);
    expect(indelDistance('', 'xyz')).toBe(3);
  });
});
