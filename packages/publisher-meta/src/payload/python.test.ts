import { describe, expect, it } from 'vitest';
import { coerceTags, pyFloat, pyRound, pyStr, pyTruthy } from './python';

describe('Python semantics helpers', () => {
  it('pyTruthy: None, "", 0, [], {} and False are falsy', () => {
    for (const v of [null, undefined, '', 0, Number.NaN, [], {}, false])
      expect(pyTruthy(v), String(v)).toBe(false);
    for (const v of ['0', ' ', 1, -1, [0], { a: null }, true])
      expect(pyTruthy(v), JSON.stringify(v)).toBe(true);
  });

  it('pyRound rounds half to even like round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999, 2.5001].map(pyRound)).toEqual([0, 2, 2, 4, 0, -2, 2, 3]);
  });

  it('pyFloat accepts what float() accepts from JSON values, else undefined', () => {
    expect(pyFloat(' 12.5 ')).toBe(12.5);
    expect(pyFloat('1e3')).toBe(1000);
    expect(pyFloat('.5')).toBe(0.5);
    expect(pyFloat(true)).toBe(1);
    expect(pyFloat(7)).toBe(7);
    for (const v of ['abc', '', '1,5', null, [], {}, Number.POSITIVE_INFINITY])
      expect(pyFloat(v)).toBeUndefined();
  });

  it('pyStr mirrors str() for JSON values', () => {
    expect([pyStr('x'), pyStr(3), pyStr(true), pyStr(null)]).toEqual(['x', '3', 'True', 'None']);
  });

  it("coerceTags mirrors publisher-discord's _coerce_tags", () => {
    expect(coerceTags('a, b ,,c')).toEqual(['a', 'b', 'c']);
    expect(coerceTags([' x ', null, 3, '', false, { no: 1 }])).toEqual(['x', '3', 'False']);
    expect(coerceTags(42)).toEqual([]);
    expect(coerceTags(undefined)).toEqual([]);
  });
});
