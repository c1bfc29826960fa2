// Issue #17 item 3: deep nesting is a validation error (the package's typed error, at a documented depth), never
// an untyped `RangeError: Maximum call stack size exceeded`.
import { describe, expect, it } from 'vitest';
import { formatPublishedEmbed } from '../discord/format';
import { withEnrichment } from '../enrichment/with-enrichment';
import { publishInputFromApproval } from '../payload/approval';
import { buildPublishedPayload } from '../payload/build';
import { createEnvelope, parseEnvelope } from './envelope';
import { isPublisherMetaValidationError, MAX_JSON_DEPTH } from './errors';
import { parsePublishedPayload } from './lenient';

/** `levels` objects nested in each other (`{ a: { a: … {} } }`): depth `levels`. */
function nested(levels: number, leaf: unknown = {}): unknown {
  let v: unknown = leaf;
  for (let i = 1; i < levels; i++) v = i % 2 ? { a: v } : [v];
  return v;
}
const base = { artifact_uri: 's3://a/b', published_path: '/p' };
const buildInput = (meta: unknown) => ({
  ...base,
  namespace: 'ns',
  title: 'T',
  slug: 't',
  namespace_slug: 'ns',
  filename: 'ns--t.png',
  extension: '.png',
  incoming_meta: meta as Record<string, never>,
});
const envelope = (payload: unknown) => ({
  id: '0b9c5b5e-3c1f-4d58-9a39-5f4bb3e2c9a1',
  topic: 'content.published.v1',
  ts: '2025-10-01T12:00:03.123456Z',
  version: 'v1',
  source: 'publisher',
  payload,
});

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isPublisherMetaValidationError(err), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected a validation error');
}

/** Every entry point, given a payload whose meta holds `deep`. */
const ENTRY_POINTS: [string, (deep: unknown) => unknown][] = [
  ['formatPublishedEmbed', (deep) => formatPublishedEmbed({ ...base, meta: { deep } } as never)],
  ['buildPublishedPayload', (deep) => buildPublishedPayload(buildInput({ deep }))],
  ['parseEnvelope', (deep) => parseEnvelope(envelope({ ...base, meta: { deep } }))],
  ['createEnvelope', (deep) => createEnvelope('content.published.v1', { ...base, meta: { deep } } as never)],
  ['withEnrichment', (deep) => withEnrichment({ ...base, meta: { deep } } as never, {})],
  ['parsePublishedPayload', (deep) => parsePublishedPayload({ ...base, meta: { deep } })],
  [
    'publishInputFromApproval',
    (deep) => publishInputFromApproval({ artifact_uri: 's3://b/k.png', title: 't', meta: { deep } }),
  ],
];

describe('deep nesting', () => {
  it('documents a depth of 64', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
  });

  it.each(ENTRY_POINTS)('%s refuses meta nested 1 300 deep with the typed error naming the path', (_, fn) => {
    const err = refusal(() => fn(nested(1300)));
    expect(err.message).toMatch(/nested deeper than 64/);
    expect(err.message).toMatch(/meta\.deep(\.a|\[0\])+/);
  });

  it.each(ENTRY_POINTS)('%s refuses 200 000 levels without exhausting the stack', (_, fn) => {
    refusal(() => fn(nested(200_000)));
  });

  it('accepts a payload at exactly the limit and refuses one level more (counted from the input root)', () => {
    // payload (1) → meta (2) → deep (3 …): the innermost container is at depth 64.
    expect(() => formatPublishedEmbed({ ...base, meta: { deep: nested(62) } } as never)).not.toThrow();
    expect(() => parsePublishedPayload({ ...base, meta: { deep: nested(62) } })).not.toThrow();
    refusal(() => formatPublishedEmbed({ ...base, meta: { deep: nested(63) } } as never));
    // In an envelope the payload is one level down.
    expect(() => parseEnvelope(envelope({ ...base, meta: { deep: nested(61) } }))).not.toThrow();
    refusal(() => parseEnvelope(envelope({ ...base, meta: { deep: nested(62) } })));
  });

  it('refuses a cyclic value instead of looping', () => {
    const meta: Record<string, unknown> = {};
    meta.self = meta;
    const err = refusal(() => formatPublishedEmbed({ ...base, meta } as never));
    expect(err.message).toMatch(/nested deeper than 64/);
  });

  it('accepts a wide, shallow value', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => ({ i, tags: ['a'] }));
    expect(parsePublishedPayload({ ...base, meta: { wide } }).meta).toHaveProperty('wide');
  });
});
