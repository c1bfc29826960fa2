import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorBrand } from './brand';
import { describeZodIssues, parseOrThrow } from './zod';

describe('describeZodIssues / parseOrThrow', () => {
  it('names every failing field once', () => {
    const schema = z.object({ a: z.number(), b: z.object({ c: z.string() }) });
    expect(() => parseOrThrow(schema, { a: 'x', b: { c: 1 } }, (m) => new Error(m), 'options')).toThrow(
      /^options\.a: .*; options\.b\.c: /,
    );
    const r = z.string().safeParse(1);
    expect(describeZodIssues(r.error!.issues)).toMatch(/^\(root\): /);
  });
});

describe('errorBrand', () => {
  it('recognises instances across copies of a class', () => {
    const brand = errorBrand('@pmoves/test.TestError');
    class A extends Error {
      constructor() {
        super('a');
        brand.mark(this);
      }
    }
    // A second copy of the module makes its own brand object for the same key.
    const copy = errorBrand('@pmoves/test.TestError');
    class B extends Error {
      constructor() {
        super('b');
        copy.mark(this);
      }
    }
    expect(brand.is(new A())).toBe(true);
    expect(brand.is(new B())).toBe(true);
    expect(brand.is(new Error())).toBe(false);
    expect(brand.is(null)).toBe(false);
  });
});
