// Discord's API takes UTF-8; a lone UTF-16 surrogate has no UTF-8 form, and `checkDiscordLimits` rejects it.
// Replace each by U+FFFD (as `String.prototype.toWellFormed` does) before any text is measured or cut.

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** `text` with every lone surrogate replaced by U+FFFD; surrogate pairs are kept. */
export function wellFormed(text: string): string {
  return HAS_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, '\uFFFD') : text;
}

/**
 * A copy of a JSON-like value with every string made {@link wellFormed}; parts with nothing to replace are
 * returned as they are (no copy). Object keys are not rendered, so they are left alone. Recursive: call it on
 * values whose depth was checked (`assertDepth`).
 */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = wellFormedDeep(item);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return (out ?? value) as T;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    let out: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = wellFormedDeep(item);
      if (next !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
    }
    return (out ?? value) as T;
  }
  return value;
}
