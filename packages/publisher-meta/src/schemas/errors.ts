import type { z } from 'zod';
import { errorBrand } from '@pmoves/internal';

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

const brand = errorBrand('@pmoves/publisher-meta.PublisherMetaValidationError');

/**
 * Whether `value` is a {@link PublisherMetaValidationError} from any copy of this package (its ESM and CJS builds, a second
 * installed version); `instanceof PublisherMetaValidationError` answers the same, by the same brand.
 */
export function isPublisherMetaValidationError(value: unknown): value is PublisherMetaValidationError {
  return brand.is(value);
}

/**
 * What went wrong, stable across versions: `invalid-input` (a value does not match a schema, or nests deeper than
 * {@link MAX_JSON_DEPTH}) or `config` (an environment variable is invalid).
 */
export type PublisherMetaErrorCode = 'invalid-input' | 'config';

/**
 * Thrown when input does not match a publisher-meta schema, or when the environment is invalid.
 *
 * The message names every failing field by its path (for example
 * `payload.meta.qwen_confidence: Too big: expected number to be <=1`), or every bad variable, so a log line alone
 * says what to fix.
 */
export class PublisherMetaValidationError extends Error {
  /** `instanceof` checks the brand, so an error from another copy of the package is recognised too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brand.is(value);
  }

  /** `invalid-input` or `config` (see {@link PublisherMetaErrorCode}). */
  readonly code: PublisherMetaErrorCode;
  /** Dotted path of the first failing field (`""` when the value itself is wrong); the variable for `config`. */
  readonly field: string;
  /** Every issue, each with its dotted path and zod's message. */
  readonly issues: readonly { path: string; message: string }[];

  /**
   * Builds the error from zod issues; `label` names what was being validated (e.g. `content.published.v1 payload`),
   * `prefix` is put before every path.
   */
  constructor(
    label: string,
    issues: readonly (
      { readonly path: readonly PropertyKey[]; readonly message: string } | z.core.$ZodIssue
    )[],
    prefix: readonly PropertyKey[] = [],
    code: PublisherMetaErrorCode = 'invalid-input',
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
    brand.mark(this);
    this.code = code;
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
  assertDepth(value, label, prefix);
  const result = schema.safeParse(value);
  if (!result.success) throw new PublisherMetaValidationError(label, result.error.issues, prefix);
  return value as T;
}

/**
 * How deeply objects and arrays may nest in any input this package validates, counted from the input's root (a
 * payload is depth 1, its `meta` 2; in an envelope the payload is 2). Deeper input is refused with
 * {@link PublisherMetaValidationError} before anything recursive (zod, `structuredClone`) walks it, so hostile
 * nesting can never exhaust the stack. PMOVES's own payloads nest fewer than ten levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses `value` when its objects and arrays nest deeper than {@link MAX_JSON_DEPTH}, naming the path where the
 * limit was crossed. Iterative, so it is safe at any depth; a cyclic value is refused the same way.
 */
export function assertDepth(value: unknown, label: string, prefix: readonly PropertyKey[] = []): void {
  if (typeof value !== 'object' || value === null) return;
  // Containers still to visit and their depths, in two parallel stacks (no per-entry allocation).
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop() as object;
    const depth = depths.pop() as number;
    if (depth >= MAX_JSON_DEPTH) {
      // Only a child container can cross the limit.
      if (hasContainerChild(v)) throw tooDeep(value, label, prefix);
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        const child: unknown = (v as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
}

function hasContainerChild(v: object): boolean {
  for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) return true;
  return false;
}

/** The error for `value`, naming the first path (depth first) whose container lies beyond the limit. */
function tooDeep(value: object, label: string, prefix: readonly PropertyKey[]): PublisherMetaValidationError {
  type Frame = { v: object; depth: number; key: PropertyKey | undefined; parent: Frame | undefined };
  const stack: Frame[] = [{ v: value, depth: 1, key: undefined, parent: undefined }];
  let found: Frame | undefined;
  while (stack.length > 0 && !found) {
    const frame = stack.pop() as Frame;
    if (frame.depth > MAX_JSON_DEPTH) found = frame;
    else
      for (const [key, child] of Object.entries(frame.v).reverse()) {
        if (typeof child === 'object' && child !== null)
          stack.push({
            v: child,
            depth: frame.depth + 1,
            key: Array.isArray(frame.v) ? Number(key) : key,
            parent: frame,
          });
      }
  }
  const path: PropertyKey[] = [];
  for (let f = found; f?.key !== undefined; f = f.parent) path.unshift(f.key);
  return new PublisherMetaValidationError(
    label,
    [{ path, message: `nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` }],
    prefix,
  );
}
