// PMOVES's producers are Python: `None` becomes JSON `null`. Where this package reads input leniently (parsing,
// formatting, the builder's and the extender's inputs), a `null` in a key the schema marks optional means
// "absent" and is left out before validation; the wire schemas themselves stay as strict as upstream's.
import { z } from 'zod';
import { assertDepth, assertValid } from './errors';
import { PublishedPayloadSchema, type PublishedPayload } from './published';

/**
 * `T` with `null` accepted wherever a key is optional, through nested objects: the type of what the lenient
 * entry points ({@link parsePublishedPayload}, `formatPublishedEmbed`, `withEnrichment`) accept.
 */
export type NullableOptionals<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? {
        [K in keyof T]: undefined extends T[K]
          ? NullableOptionals<Exclude<T[K], undefined>> | null | undefined
          : NullableOptionals<T[K]>;
      }
    : T;

/** A `content.published.v1` payload as the lenient entry points accept it: `null` for any optional key. */
export type PublishedPayloadInput = NullableOptionals<PublishedPayload>;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The schema inside optional/nullable/default wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
    s = s.unwrap() as z.ZodType;
  return s;
}

/** What stripping needs to know about a schema, worked out once (zod's `instanceof` checks are not free). */
type Plan =
  | { kind: 'object'; fields: Map<string, { optional: boolean; plan: Plan }> }
  | { kind: 'array'; element: Plan }
  | { kind: 'leaf' };
const LEAF: Plan = { kind: 'leaf' };
const plans = new WeakMap<z.ZodType, Plan>();

function planOf(schema: z.ZodType): Plan {
  const known = plans.get(schema);
  if (known) return known;
  const s = unwrap(schema);
  let plan: Plan = LEAF;
  if (s instanceof z.ZodArray) {
    const element = planOf(s.element as z.ZodType);
    plan = element === LEAF ? LEAF : { kind: 'array', element };
  } else if (s instanceof z.ZodObject) {
    const fields = new Map<string, { optional: boolean; plan: Plan }>();
    for (const [key, field] of Object.entries(s.shape as Record<string, z.ZodType>))
      fields.set(key, { optional: field.safeParse(undefined).success, plan: planOf(field) });
    plan = { kind: 'object', fields };
  }
  plans.set(schema, plan);
  return plan;
}

function strip(plan: Plan, value: unknown): unknown {
  if (plan.kind === 'array')
    return Array.isArray(value) ? value.map((item) => strip(plan.element, item)) : value;
  if (plan.kind !== 'object' || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const field = plan.fields.get(key);
    if (!field) out[key] = v;
    else if (v === null && field.optional) continue;
    else out[key] = field.plan === LEAF ? v : strip(field.plan, v);
  }
  return out;
}

/**
 * A copy of `value` without the `null`s that stand in for absent optional keys of `schema`, recursively through
 * the object (and array-of-object) schemas it is made of. Keys keep their order; keys the schema does not type
 * (open `meta` keys, extra top-level keys) are kept as they are, `null` included, since they are data. `value` is
 * never modified. It recurses along the schema only; the caller checks the depth of the whole value
 * (`assertDepth`) before validating it.
 */
export function stripNullOptionals(schema: z.ZodType, value: unknown): unknown {
  return strip(planOf(schema), value);
}

/**
 * Validates `value` against `schema` leniently: refuses nesting beyond `MAX_JSON_DEPTH`, leaves out the `null`s
 * of optional keys, then validates strictly. Returns the cleaned copy.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field.
 */
export function assertValidLenient<T>(
  schema: z.ZodType<T>,
  value: unknown,
  label: string,
  prefix: readonly PropertyKey[] = [],
): T {
  assertDepth(value, label, prefix);
  return assertValid(schema, stripNullOptionals(schema, value), label, prefix);
}

/**
 * Parses a `content.published.v1` payload as PMOVES's Python services emit it: a `null` in any optional key (top
 * level, the typed `meta` keys, `clip_best_match.model`, the `enrichment` provenance) counts as absent and is left
 * out of the result; a `null` required key, a wrong type, `NaN` or `Infinity` is an error. Returns a copy that
 * satisfies {@link PublishedPayloadSchema} (what `createEnvelope` requires); the input is never modified.
 *
 * @throws {@link PublisherMetaValidationError} naming the failing field, or when objects nest deeper than
 *   `MAX_JSON_DEPTH`.
 */
export function parsePublishedPayload(value: unknown): PublishedPayload {
  return structuredClone(assertValidLenient(PublishedPayloadSchema, value, 'content.published.v1 payload'));
}
