import type { z } from 'zod';

/** The part of a zod issue this error keeps. */
type IssueLike = { readonly path: readonly PropertyKey[]; readonly message: string };

/**
 * zod reports a failed union as one vague "Invalid input". Replace it by the issues of the branch that got
 * furthest (so `tags[1]` is named), or, when every branch failed on the value itself, list what was expected.
 */
function expandUnions(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): IssueLike[] {
  const out: IssueLike[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      out.push({ path, message: issue.message });
      continue;
    }
    const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(0, ...branch.map((i) => i.path.length));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
    if (depth(best) > 0) {
      out.push(...expandUnions(best, path));
      continue;
    }
    const expected = [
      ...new Set(
        issue.errors.flat().map((i) => (i.code === 'invalid_type' ? String(i.expected) : i.message)),
      ),
    ];
    out.push({ path, message: `Invalid input: expected ${expected.join(' | ')}` });
  }
  return out;
}

/**
 * Thrown when input does not match a publisher-meta schema.
 *
 * The message names every failing field by its path (for example
 * `payload.meta.qwen_confidence: Too big: expected number to be <=1`), so a log line alone says what to fix.
 */
export class PublisherMetaValidationError extends Error {
  /** Dotted path of the first failing field (`""` when the value itself is wrong). */
  readonly field: string;
  /** Every issue, each with its dotted path and zod's message. */
  readonly issues: readonly { path: string; message: string }[];

  /** Builds the error from zod issues; `label` names what was being validated (e.g. `content.published.v1 payload`). */
  constructor(
    label: string,
    issues: readonly (
      { readonly path: readonly PropertyKey[]; readonly message: string } | z.core.$ZodIssue
    )[],
    prefix: readonly PropertyKey[] = [],
  ) {
    const expanded = issues.flatMap((i) => ('code' in i ? expandUnions([i]) : [i]));
    const flat = expanded.map((issue) => ({
      path: formatPath([...prefix, ...issue.path]),
      message: issue.message,
    }));
    super(
      `Invalid ${label}: ${flat.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
    this.name = 'PublisherMetaValidationError';
    this.field = flat[0]?.path ?? '';
    this.issues = flat;
  }
}

/** `['meta', 'audio_tags', 3]` → `meta.audio_tags[3]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * Validates `value` against `schema` and returns it unchanged (not zod's copy: zod reorders object keys, and key
 * order is part of the PMOVES wire format), or throws {@link PublisherMetaValidationError}.
 */
export function assertValid<T>(
  schema: z.ZodType<T>,
  value: unknown,
  label: string,
  prefix: readonly PropertyKey[] = [],
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new PublisherMetaValidationError(label, result.error.issues, prefix);
  return value as T;
}
