// Small helpers that reproduce Python semantics the PMOVES services rely on.

/** Python truthiness for JSON-like values: None, "", 0, [], {} and False are falsy. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Python's `round(x)` to an integer: half to even (`round(2.5) == 2`). */
export function pyRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python's `str()` for JSON values, close enough for display. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/**
 * Python's `float(value)` for the values JSON can carry: numbers, numeric strings (surrounding whitespace allowed)
 * and booleans; anything else (or a non-finite result) is `undefined`.
 */
export function pyFloat(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
    const n = Number(text);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * PMOVES publisher-discord's `_coerce_tags`: a string is split on commas; a list keeps its strings and numbers;
 * every item is trimmed and empty items are dropped. Anything else gives no tags.
 */
export function coerceTags(raw: unknown): string[] {
  let candidates: string[];
  if (typeof raw === 'string') {
    candidates = raw.split(',').map((part) => part.trim());
  } else if (Array.isArray(raw)) {
    candidates = [];
    for (const item of raw) {
      if (item === null || item === undefined) continue;
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const text = pyStr(item).trim();
        if (text) candidates.push(text);
      }
    }
  } else {
    return [];
  }
  return candidates.filter((item) => item.length > 0);
}

/** Deep copy of a JSON value (plain objects, arrays, primitives), so results never alias their inputs. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}
