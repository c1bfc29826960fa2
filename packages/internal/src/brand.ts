// Error classes recognisable across copies of a package (ESM and CJS builds loaded side by side,
// two installed versions, separate bundles of `.` and `./fetch`): `instanceof` compares
// constructors, so each class also carries a process-wide symbol from `Symbol.for`.

/** A brand: the symbol an error instance carries and the check that reads it. */
export interface ErrorBrand {
  /** `Symbol.for(key)`, the same in every copy of the package. */
  readonly symbol: symbol;
  /** Whether `value` is an error of the branded class, from any copy. */
  is(value: unknown): boolean;
  /** Brands an instance (call it in the class's constructor); the mark is not enumerable. */
  mark(target: object): void;
}

/** Makes the brand for `key` (e.g. `@pmoves/clip.ClipError`). */
export function errorBrand(key: string): ErrorBrand {
  const symbol = Symbol.for(key);
  return {
    symbol,
    is: (value: unknown): boolean =>
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[symbol] === true,
    mark: (target: object): void => {
      Object.defineProperty(target, symbol, { value: true });
    },
  };
}
