// Issue #17 item 1: PMOVES's producers are Python, where `None` becomes JSON `null`. In every lenient path
// (parse, format, build input, withEnrichment input) a `null` optional field means "absent" and is left out;
// wrong types stay errors.
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../test/deep-freeze';
import { formatPublishedEmbed } from '../discord/format';
import { withEnrichment } from '../enrichment/with-enrichment';
import { publishInputFromApproval } from '../payload/approval';
import { buildPublishedPayload, type BuildPublishedPayloadInput } from '../payload/build';
import { parseEnvelope } from './envelope';
import { isPublisherMetaValidationError } from './errors';
import { parsePublishedPayload } from './lenient';

const T = '2025-10-01T12:05:00.000Z';
const base = { artifact_uri: 's3://a/b.flac', published_path: '/p/b.flac' };

/** Every optional top-level key of the payload contract. */
const OPTIONAL_TOP = [
  'namespace',
  'title',
  'description',
  'tags',
  'thumbnail_url',
  'duration',
  'meta',
  'public_url',
  'jellyfin_item_id',
  'jellyfin_public_url',
] as const;
/** Every typed key of `meta`. */
const OPTIONAL_META = [
  'clip_best_match',
  'clip_similarity',
  'audio_tags',
  'audio_summary',
  'audio_mood',
  'audio_transcript',
  'qwen_confidence',
  'enrichment',
] as const;

/** A payload with every optional key filled (no nulls). */
const full = deepFreeze({
  ...base,
  namespace: 'pmoves-demo',
  title: 'Rain',
  description: 'Rain on a roof',
  tags: ['rain'],
  thumbnail_url: 'https://cdn.example/t.jpg',
  duration: 12.5,
  meta: {
    source: 'recorder',
    clip_best_match: { asset_id: 'asset-1', score: 0.3, model: 'clip-b32' },
    clip_similarity: [{ asset_id: 'asset-2', score: 0.91 }],
    audio_tags: ['rain', 'ambient'],
    audio_summary: 'Steady rain.',
    audio_mood: 'calm',
    audio_transcript: 'no words, only rain',
    qwen_confidence: 0.8,
    enrichment: { clip_model: 'clip-b32', audio_model: 'qwen2-audio', generated_at: T },
  },
  public_url: 'https://media.example/b.flac',
  jellyfin_item_id: 'jf-1',
  jellyfin_public_url: 'https://jf.example/b',
});

/** `full` with the key at `path` set to null, and `full` with it removed. */
function withNullAt(path: readonly string[]): { nulled: unknown; absent: unknown } {
  const nulled = structuredClone(full) as Record<string, unknown>;
  const absent = structuredClone(full) as Record<string, unknown>;
  let a: Record<string, unknown> = nulled;
  let b: Record<string, unknown> = absent;
  for (const key of path.slice(0, -1)) {
    a = a[key] as Record<string, unknown>;
    b = b[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  a[last] = null;
  delete b[last];
  return { nulled: deepFreeze(nulled), absent: deepFreeze(absent) };
}

const NULL_PATHS: string[][] = [
  ...OPTIONAL_TOP.map((k) => [k]),
  ...OPTIONAL_META.map((k) => ['meta', k]),
  ['meta', 'clip_best_match', 'model'],
  ['meta', 'enrichment', 'clip_model'],
  ['meta', 'enrichment', 'audio_model'],
];

const expectValidationError = (fn: () => unknown, field: RegExp) => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isPublisherMetaValidationError(caught), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(field);
};

describe('null means absent', () => {
  it('in parsePublishedPayload: the null key is left out of the result', () => {
    for (const path of NULL_PATHS) {
      const { nulled, absent } = withNullAt(path);
      expect(parsePublishedPayload(nulled), path.join('.')).toEqual(absent);
      expect(JSON.stringify(parsePublishedPayload(nulled)), path.join('.')).toBe(JSON.stringify(absent));
    }
  });

  it('in formatPublishedEmbed: the body equals the body without the key', () => {
    for (const path of NULL_PATHS) {
      const { nulled, absent } = withNullAt(path);
      expect(formatPublishedEmbed(nulled as never), path.join('.')).toEqual(
        formatPublishedEmbed(absent as never),
      );
    }
  });

  it('in formatPublishedEmbed: the example from the issue posts', () => {
    const body = formatPublishedEmbed({ ...base, meta: { audio_mood: null } } as never);
    expect(body.embeds[0]?.fields.map((f) => f.name)).not.toContain('Audio mood');
  });

  it("in withEnrichment's payload: the result equals the result without the key", () => {
    const clip = { best_match: { asset_id: 'asset-9', score: 0.25 } };
    for (const path of NULL_PATHS) {
      const { nulled, absent } = withNullAt(path);
      const a = withEnrichment(nulled as never, { clip, generatedAt: T });
      const b = withEnrichment(absent as never, { clip, generatedAt: T });
      expect(JSON.stringify(a), path.join('.')).toBe(JSON.stringify(b));
    }
  });

  it("in withEnrichment's enrichment input: every optional field may be null", () => {
    const out = withEnrichment(base, {
      clip: { best_match: { asset_id: 'asset-9', score: 0.25, model: null }, similarity: null, model: null },
      audio: {
        summary: 'Rain.',
        tags: ['rain'],
        mood: null,
        confidence: null,
        model: null,
        transcript: null,
        language: null,
        features: null,
      },
      generatedAt: T,
    });
    expect(out.meta).toEqual({
      clip_best_match: { asset_id: 'asset-9', score: 0.25 },
      audio_tags: ['rain'],
      audio_summary: 'Rain.',
      enrichment: { generated_at: T },
    });
    expect(JSON.stringify(out)).not.toContain('null');
    expect(withEnrichment(base, { clip: null, audio: null, generatedAt: null })).toEqual(base);
  });

  it("in buildPublishedPayload's incoming meta: typed keys that are null are left out, others kept", () => {
    const input: BuildPublishedPayloadInput = {
      ...base,
      namespace: 'ns',
      title: 'Rain',
      slug: 'rain',
      namespace_slug: 'ns',
      filename: 'ns--rain.flac',
      extension: '.flac',
      incoming_meta: {
        audio_mood: null,
        clip_best_match: { asset_id: 'a', score: 0.2, model: null },
        clip_similarity: null,
        qwen_confidence: null,
        enrichment: null,
        reviewer: null,
      },
    };
    const meta = buildPublishedPayload(deepFreeze(input)).meta as Record<string, unknown>;
    expect(meta).not.toHaveProperty('audio_mood');
    expect(meta).not.toHaveProperty('clip_similarity');
    expect(meta).not.toHaveProperty('qwen_confidence');
    expect(meta).not.toHaveProperty('enrichment');
    expect(meta.clip_best_match).toEqual({ asset_id: 'a', score: 0.2 });
    // An untyped key of meta is open JSON: its null is data, kept as Python keeps it.
    expect(meta).toHaveProperty('reviewer', null);
  });

  it("in publishInputFromApproval: an approval event's optional nulls are absent", () => {
    const approval = {
      artifact_uri: 's3://outputs/rain.flac',
      title: 'Rain',
      description: null,
      tags: null,
      namespace: null,
      meta: null,
    };
    const input = publishInputFromApproval(approval);
    expect(input).toEqual(publishInputFromApproval({ artifact_uri: approval.artifact_uri, title: 'Rain' }));
    expect(input.namespace).toBe('pmoves-demo');
    expect(buildPublishedPayload(input).meta).not.toHaveProperty('description');
  });

  it('in parseEnvelope: null optional envelope keys are left out', () => {
    const env = parseEnvelope({
      id: 'e1',
      topic: 'content.published.v1',
      ts: '2025-10-01T12:00:03.123456Z',
      version: 'v1',
      source: 'publisher',
      payload: base,
      correlation_id: null,
      parent_id: null,
    });
    expect(env).not.toHaveProperty('correlation_id');
    expect(env).not.toHaveProperty('parent_id');
  });

  it('wrong types stay errors: a string score, NaN and Infinity', () => {
    const meta = (m: Record<string, unknown>) => ({ ...base, meta: m }) as never;
    expectValidationError(
      () => formatPublishedEmbed(meta({ clip_best_match: { asset_id: 'a', score: '0.3' } })),
      /meta\.clip_best_match\.score/,
    );
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '0.5']) {
      expectValidationError(() => formatPublishedEmbed(meta({ qwen_confidence: bad })), /qwen_confidence/);
      expectValidationError(() => parsePublishedPayload({ ...base, duration: bad }), /duration/);
      expectValidationError(
        () => withEnrichment(base, { audio: { summary: 's', tags: [], confidence: bad as number } }),
        /enrichment\.audio\.confidence/,
      );
      expectValidationError(
        () => withEnrichment(base, { clip: { best_match: { asset_id: 'a', score: bad as number } } }),
        /enrichment\.clip\.best_match\.score/,
      );
    }
    expectValidationError(
      () => parsePublishedPayload({ ...base, meta: { audio_tags: 'rain' } }),
      /audio_tags/,
    );
    expectValidationError(() => parsePublishedPayload({ ...base, title: 5 }), /title/);
  });

  it('a required key stays required: null artifact_uri or published_path is an error', () => {
    expectValidationError(() => parsePublishedPayload({ ...base, artifact_uri: null }), /artifact_uri/);
    expectValidationError(
      () => formatPublishedEmbed({ ...base, published_path: null } as never),
      /published_path/,
    );
  });
});
