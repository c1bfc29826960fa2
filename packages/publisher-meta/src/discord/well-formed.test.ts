// Issue #17 item 2: every string the formatter sends is well formed (lone surrogates become U+FFFD before
// fitting), and `checkDiscordLimits(formatPublishedEmbed(x))` holds for every `x` the formatter accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPublisherMetaValidationError } from '../schemas/errors';
import { formatPublishedEmbed, type DiscordFormatOptions } from './format';
import { checkDiscordLimits, type DiscordWebhookBody } from './limits';

const HIGH = '\uD83D'; // a high surrogate with no low one after it
const LOW = '\uDE00'; // a low surrogate with no high one before it
const base = { artifact_uri: 's3://b/k', published_path: '/p' };

/** Every string of the body, with where it is. */
function strings(body: DiscordWebhookBody): [string, string][] {
  const out: [string, string][] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') out.push([at, v]);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
  };
  walk(body, 'body');
  return out;
}
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('formatPublishedEmbed sends well-formed Unicode', () => {
  it('replaces lone surrogates by U+FFFD in the title, every field, the username, content and URLs', () => {
    const body = formatPublishedEmbed(
      {
        ...base,
        title: `Rain${HIGH}`,
        namespace: `${LOW}ns`,
        description: `a${HIGH}b${LOW}c`,
        tags: [`t${HIGH}`],
        public_url: `https://media.example/${HIGH}x`,
        thumbnail_url: `https://cdn.example/${LOW}.jpg`,
        jellyfin_item_id: `jf${LOW}`,
        meta: {
          audio_mood: `calm${HIGH}`,
          audio_tags: [`rain${LOW}`],
          audio_summary: `${HIGH}summary`,
          audio_transcript: `words${LOW}`,
          clip_best_match: { asset_id: `asset${HIGH}`, score: 0.3, model: `m${LOW}` },
          clip_similarity: [{ asset_id: `sim${HIGH}`, score: 0.9 }],
        },
      },
      { username: `bot${HIGH}`, content: `hi${LOW}`, avatarUrl: `https://a.example/${HIGH}.png` },
    );
    expect(checkDiscordLimits(body)).toEqual([]);
    for (const [at, s] of strings(body)) expect(LONE.test(s), at).toBe(false);
    const embed = body.embeds[0];
    expect(embed?.title).toBe('Published: Rain\uFFFD');
    expect(body.username).toBe('bot\uFFFD');
    expect(body.content).toBe('hi\uFFFD');
    expect(embed?.url).toBe('https://media.example/\uFFFDx');
    expect(embed?.fields.find((f) => f.name === 'Audio mood')?.value).toBe('calm\uFFFD');
  });

  it('keeps surrogate pairs (emoji) as they are', () => {
    const body = formatPublishedEmbed({ ...base, title: 'Rain 😀🌧' });
    expect(body.embeds[0]?.title).toBe('Published: Rain 😀🌧');
  });
});

// Hostile text: lone surrogates at every position, clusters that must not be split, markdown links, backticks,
// whitespace-only runs, and long runs that force cuts.
const atoms = fc.constantFrom(
  HIGH,
  LOW,
  `${LOW}${HIGH}`,
  '😀',
  '👨‍👩‍👧‍👦',
  '🇺🇸',
  'e\u0301',
  '[docs](https://example.com/a)',
  '[',
  '](',
  '`',
  '```',
  ' ',
  '\n',
  '\u200b',
  'discord',
  'a',
  'Z',
  '漢',
  '…',
);
const hostile = (maxAtoms: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(atoms, { maxLength: maxAtoms }).map((a) => a.join('')) },
    { weight: 1, arbitrary: fc.tuple(atoms, fc.integer({ min: 0, max: 3000 })).map(([a, n]) => a.repeat(n)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: maxAtoms }) },
  );
/** An optional value: `null` (Python's None) or present; `fc.record` also leaves keys out. */
const opt = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(null), arb) as fc.Arbitrary<T | null>;
const url = hostile(40).map((s) => `https://media.example/${s}`);
const score = fc.double({ min: -1, max: 1, noNaN: true });

const metaArb = fc.record(
  {
    clip_best_match: opt(
      fc.record({ asset_id: hostile(60).map((s) => `a${s}`), score, model: opt(hostile(30)) }),
    ),
    clip_similarity: opt(
      fc.oneof(
        score,
        fc.array(fc.record({ asset_id: hostile(60).map((s) => `s${s}`), score }), { maxLength: 40 }),
      ),
    ),
    audio_tags: opt(fc.array(hostile(20), { maxLength: 60 })),
    audio_summary: opt(hostile(400)),
    audio_mood: opt(hostile(40)),
    audio_transcript: opt(hostile(300).map((s) => [...s].slice(0, 1000).join(''))),
    qwen_confidence: opt(fc.double({ min: 0, max: 1, noNaN: true })),
    summary: opt(hostile(400)),
    tags: opt(fc.array(hostile(20), { maxLength: 30 })),
    thumbnail_url: opt(url),
  },
  { requiredKeys: [] },
);
const payloadArb = fc.record(
  {
    artifact_uri: hostile(80).map((s) => `s3://bucket/${s}`),
    published_path: hostile(200),
    namespace: opt(hostile(60)),
    title: opt(hostile(200)),
    description: opt(hostile(600)),
    summary: hostile(600),
    slug: hostile(60),
    tags: opt(fc.array(hostile(20), { maxLength: 40 })),
    thumbnail_url: opt(url),
    duration: opt(fc.double({ min: 0, max: 1e7, noNaN: true })),
    meta: opt(metaArb),
    public_url: opt(url),
    jellyfin_item_id: opt(hostile(80)),
    jellyfin_public_url: opt(url),
  },
  { requiredKeys: ['artifact_uri', 'published_path'] },
);
const optsArb = fc.record(
  {
    prefix: hostile(60),
    username: hostile(100),
    avatarUrl: url,
    jellyfinBaseUrl: url,
    content: hostile(3000),
  },
  { requiredKeys: [] },
);

describe('formatPublishedEmbed over generated hostile input (property)', () => {
  it('every accepted payload gives a body checkDiscordLimits accepts', { timeout: 120_000 }, () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(payloadArb, optsArb, (payload, opts) => {
        runs++;
        let body: DiscordWebhookBody;
        try {
          body = formatPublishedEmbed(payload as never, opts as DiscordFormatOptions);
        } catch (err) {
          // Refusing is allowed only with the package's typed error.
          if (!isPublisherMetaValidationError(err)) throw err;
          return;
        }
        accepted++;
        expect(checkDiscordLimits(body)).toEqual([]);
        for (const [at, s] of strings(body)) expect(LONE.test(s), at).toBe(false);
      }),
      { seed: 20251001, numRuns: 400 },
    );
    // The generator makes valid payloads; the property must not hold vacuously.
    expect(accepted).toBeGreaterThan(runs * 0.9);
  });
});
