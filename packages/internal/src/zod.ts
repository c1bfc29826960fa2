// "zod result → one message listing every issue", written once for every package.
import type { z } from 'zod';

/** A path as dotted text (`a.b.0`), `(root)` for the value itself. */
function pathText(path: readonly PropertyKey[], prefix?: string): string {
  const p = path.map(String).join('.');
  if (prefix) return p ? `${prefix}.${p}` : prefix;
  return p || '(root)';
}

/**
 * One line naming each failing field: `a.b: expected number; c: required`. `prefix` names what was
 * validated (`options`, `payload`) and is put before every path.
 */
export function describeZodIssues(
  issues: readonly Pick<z.core.$ZodIssue, 'path' | 'message'>[],
  prefix?: string,
): string {
  return issues.map((i) => `${pathText(i.path, prefix)}: ${i.message}`).join('; ');
}

/**
 * Validates `value` with `schema`; on failure throws `makeError(message)` where the message names
 * every failing field.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  makeError: (message: string, error: z.ZodError) => Error,
  prefix?: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw makeError(describeZodIssues(r.error.issues, prefix), r.error);
  return r.data;
}
