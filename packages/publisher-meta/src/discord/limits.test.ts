import { describe, expect, it } from 'vitest';
import type { PublishedPayload } from '../schemas/published';
import { withEnrichment } from '../enrichment/with-enrichment';
import { formatPublishedEmbed, type DiscordFormatOptions } from './format';
import {
  checkDiscordLimits,
  DISCORD_LIMITS,
  discordLength,
  embedTextLength,
  type DiscordWebhookBody,
} from './limits';
import { ELLIPSIS, truncateText } from './truncate';

const FAMILY = '👨‍👩‍👧‍👦'; // 4 emoji + 3 ZWJ = 7 code points, one grapheme
const FLAGS = '🇺🇸🇫🇷'; // two graphemes of two regional indicators each
const ACCENTED = 'ø\u0301\u0302'; // one grapheme, three code points; ø never appears alone below
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/**
 * Grapheme clusters of `s`. Node's segmenter is quadratic in the string length, so the text is first split where
 * two ASCII characters meet (always a cluster boundary except CR LF) and only the pieces are segmented.
 */
function graphemes(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  const flush = (end: number) => {
    const piece = s.slice(start, end);
    if (piece.length === 1 && piece.charCodeAt(0) < 0x80) out.push(piece);
    else out.push(...[...segmenter.segment(piece)].map((g) => g.segment));
    start = end;
  };
  for (let i = 1; i < s.length; i++) {
    const a = s.charCodeAt(i - 1);
    const b = s.charCodeAt(i);
    if (a < 0x80 && b < 0x80 && !(a === 13 && b === 10)) flush(i);
  }
  if (start < s.length) flush(s.length);
  return out;
}

describe('discordLength', () => {
  it('counts code points, as Discord does, not UTF-16 units', () => {
    expect(discordLength('abc')).toBe(3);
    expect(discordLength('𝒜')).toBe(1);
    expect('𝒜'.length).toBe(2);
    expect(discordLength(FAMILY)).toBe(7);
    expect(discordLength(FLAGS)).toBe(4);
    expect(discordLength('\u{10FFFF} \uFFFF')).toBe(3); // the example a Discord engineer gave
  });
});

describe('truncateText', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateText('hello', 5)).toBe('hello');
  });

  it('cuts with an ellipsis within the limit', () => {
    expect(truncateText('hello world', 8)).toBe('hello w…');
    expect(truncateText('hello world', 7)).toBe('hello…'); // the space before the cut is dropped
    expect(truncateText('abcdefghij', 5)).toBe('abcd…');
    expect(truncateText('abc', 1)).toBe(ELLIPSIS);
    expect(truncateText('abc', 0)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    expect(truncateText(`${'a'.repeat(8)}😀😀b`, 10)).toBe(`${'a'.repeat(8)}😀…`);
    expect(truncateText(`${'a'.repeat(9)}😀😀`, 10)).toBe(`${'a'.repeat(9)}…`);
    expect(truncateText(`${'a'.repeat(8)}😀😀`, 10)).toBe(`${'a'.repeat(8)}😀😀`); // 10 code points fit
  });

  it('never splits a ZWJ sequence, a flag or a letter with combining marks', () => {
    expect(truncateText(`ab${FAMILY}cd`, 8)).toBe('ab…');
    expect(truncateText(`ab${FAMILY}cd`, 10)).toBe(`ab${FAMILY}…`);
    expect(truncateText(`ab${FLAGS}`, 5)).toBe('ab🇺🇸…');
    expect(truncateText(`ab${FLAGS}`, 4)).toBe('ab…');
    expect(truncateText(`ab${ACCENTED}cd`, 4)).toBe('ab…');
    expect(truncateText(`ab${ACCENTED}cd`, 6)).toBe(`ab${ACCENTED}…`);
  });

  it('never cuts inside a markdown link', () => {
    const text = 'see [the docs](https://example.com/docs) now';
    expect(truncateText(text, 20)).toBe('see…');
    expect(truncateText(text, 41)).toBe('see [the docs](https://example.com/docs)…');
  });
});

describe('checkDiscordLimits', () => {
  const ok: DiscordWebhookBody = {
    username: 'PMOVES',
    embeds: [{ title: 't', fields: [{ name: 'n', value: 'v', inline: false }] }],
  };

  it('accepts a small body and reports each kind of violation', () => {
    expect(checkDiscordLimits(ok)).toEqual([]);
    const field = { name: 'n', value: 'v', inline: false };
    const bad = (b: DiscordWebhookBody) => checkDiscordLimits(b).join('\n');
    expect(bad({ embeds: [{ title: 'x'.repeat(257), fields: [] }] })).toMatch(/title is 257/);
    expect(bad({ embeds: [{ description: 'x'.repeat(4097), fields: [] }] })).toMatch(/description is 4097/);
    expect(bad({ embeds: [{ fields: Array.from({ length: 26 }, () => field) }] })).toMatch(/26 fields/);
    expect(bad({ embeds: [{ fields: [{ ...field, value: 'x'.repeat(1025) }] }] })).toMatch(/value is 1025/);
    expect(bad({ embeds: [{ fields: [{ ...field, name: 'x'.repeat(257) }] }] })).toMatch(/name is 257/);
    expect(bad({ embeds: [{ fields: [{ ...field, value: ' ' }] }] })).toMatch(/value is empty/);
    expect(bad({ embeds: [{ fields: [], footer: { text: 'x'.repeat(2049) } }] })).toMatch(
      /footer.text is 2049/,
    );
    expect(bad({ embeds: [{ fields: [], author: { name: 'x'.repeat(257) } }] })).toMatch(
      /author.name is 257/,
    );
    expect(bad({ content: 'x'.repeat(2001), embeds: [] })).toMatch(/content is 2001/);
    expect(
      bad({ embeds: [{ description: 'x'.repeat(4000), fields: [], footer: { text: 'y'.repeat(2001) } }] }),
    ).toMatch(/totals 6001/);
    expect(bad({ embeds: [{ title: 'a\uD83D', fields: [] }] })).toMatch(/lone surrogate/);
  });
});

// ---- adversarial formatting -------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every run checks the same cases and a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}

const TOKENS = [
  'lorem',
  'ipsum',
  ' ',
  ' ',
  '\n',
  'rain',
  '😀',
  FAMILY,
  '🇺🇸',
  '🇯🇵',
  ACCENTED,
  '𝒜',
  '漢字',
  '👍🏽',
  '1️⃣',
  '[docs](https://example.com/a/b)',
  '`code`',
  'é',
  '—',
  '\u200b',
] as const;

function randomText(r: ReturnType<typeof rng>, maxTokens: number): string {
  const n = r.next() < 0.2 ? r.int(maxTokens * 8) : r.int(maxTokens);
  let out = '';
  for (let i = 0; i < n; i++) out += r.pick(TOKENS);
  return out;
}

function randomCase(seed: number): { payload: PublishedPayload; opts: DiscordFormatOptions } {
  const r = rng(seed);
  const maybe = <T>(v: () => T): T | undefined => (r.next() < 0.6 ? v() : undefined);
  const longUrl = () =>
    `https://media.example/${'p'.repeat(r.int(3000))}/${encodeURIComponent(randomText(r, 20))}`;
  const payload: Record<string, unknown> = {
    artifact_uri: `s3://bucket/${randomText(r, 400)}`,
    published_path: maybe(() => `/library/${randomText(r, 400)}`) ?? '',
    namespace: maybe(() => randomText(r, 100)),
    title: maybe(() => randomText(r, 200)),
    description: maybe(() => randomText(r, 1200)),
    summary: maybe(() => randomText(r, 1500)),
    tags: maybe(() => Array.from({ length: r.int(r.next() < 0.3 ? 200 : 15) }, () => randomText(r, 40))),
    duration: maybe(() => r.next() * 1e6),
    public_url: maybe(longUrl),
    jellyfin_item_id: maybe(() => randomText(r, 300)),
    jellyfin_public_url: maybe(longUrl),
    thumbnail_url: maybe(longUrl),
    meta: {},
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  let out = payload as PublishedPayload;
  if (r.next() < 0.7) {
    out = withEnrichment(out, {
      clip: maybe(() => ({
        best_match: {
          asset_id: randomText(r, 300) || 'a',
          score: r.next() * 2 - 1,
          model: maybe(() => randomText(r, 80) || 'm'),
        },
        similarity: maybe(() => r.next()),
      })),
      audio: maybe(() => ({
        summary: randomText(r, 1500),
        tags: Array.from({ length: r.int(r.next() < 0.3 ? 200 : 10) }, () => randomText(r, 30)),
        mood: maybe(() => randomText(r, 300)),
        confidence: r.next(),
      })),
      generatedAt: '2025-10-01T12:00:00.000Z',
    });
  }
  const opts: DiscordFormatOptions = {
    prefix: maybe(() => randomText(r, 100)),
    username: maybe(() => randomText(r, 60)),
    avatarUrl: maybe(longUrl),
    jellyfinBaseUrl: maybe(() => `https://jf.example/${randomText(r, 50)}`),
    content: maybe(() => randomText(r, 1500)),
  };
  return { payload: out, opts };
}

const texts = (body: DiscordWebhookBody) => {
  const e = body.embeds[0];
  return [
    body.content ?? '',
    body.username ?? '',
    e?.title ?? '',
    e?.description ?? '',
    ...(e?.fields ?? []).flatMap((f) => [f.name, f.value]),
  ];
};

/** Every random text is made of TOKENS, so a grapheme that is in no token (nor ASCII) is a split cluster. */
const KNOWN = new Set([...TOKENS.flatMap(graphemes), ELLIPSIS, '·']);
function assertNoBrokenClusters(body: DiscordWebhookBody) {
  const known = KNOWN;
  for (const text of texts(body)) {
    for (const g of graphemes(text)) {
      if (!known.has(g) && !/^[\x20-\x7e]$/.test(g))
        throw new Error(`broken grapheme ${JSON.stringify(g)} in ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
}

/** Brackets only ever come from whole links in the generator, so every `[` left must open a whole link. */
function assertLinksWhole(body: DiscordWebhookBody) {
  for (const text of texts(body)) {
    const opens = (text.match(/\[/g) ?? []).length;
    const links = (text.match(/\[[^\]\n]*\]\([^)\s]*\)/g) ?? []).length;
    expect(links, text.slice(0, 120)).toBe(opens);
  }
}

function assertAccepted(body: DiscordWebhookBody) {
  expect(checkDiscordLimits(body)).toEqual([]);
  const embed = body.embeds[0];
  expect(body.embeds).toHaveLength(1);
  expect(embed?.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
  expect(embedTextLength(body.embeds)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  expect(discordLength(embed?.title ?? '')).toBeLessThanOrEqual(DISCORD_LIMITS.title);
  expect(discordLength(embed?.description ?? '')).toBeLessThanOrEqual(DISCORD_LIMITS.description);
  expect(discordLength(body.content ?? '')).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  for (const f of embed?.fields ?? []) {
    expect(f.name.trim()).not.toBe('');
    expect(f.value.trim()).not.toBe('');
    expect(discordLength(f.name)).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
    expect(discordLength(f.value)).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
  }
  // Core fields are never dropped.
  expect(embed?.fields[0]?.name).toBe('Public URL');
}

describe('formatPublishedEmbed under adversarial input', () => {
  it('stays within every Discord limit for 200 seeded random payloads', { timeout: 60_000 }, () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { payload, opts } = randomCase(seed);
      const body = formatPublishedEmbed(payload, opts);
      try {
        assertAccepted(body);
        assertNoBrokenClusters(body);
        assertLinksWhole(body);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  it('with everything optional missing', () => {
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '' });
    assertAccepted(body);
    expect(body.embeds[0]?.title).toBe('Published: content');
  });

  it('cuts a very long title to 256 and keeps the prefix, without breaking a ZWJ sequence at the cut', () => {
    const title = `${'a'.repeat(243)}${FAMILY}${'b'.repeat(500)}`;
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p', title });
    // "Published: " is 11; 11 + 243 = 254, the family (7) does not fit before the ellipsis.
    expect(body.embeds[0]?.title).toBe(`Published: ${'a'.repeat(243)}…`);
    assertAccepted(body);
  });

  it('splits the summary at 1800 without breaking an astral grapheme that straddles the cut', () => {
    const summary = `${'a'.repeat(1799)}${FAMILY}${'z'.repeat(100)}`;
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '', summary });
    expect(body.embeds[0]?.description).toBe('a'.repeat(1799));
    expect(body.embeds[0]?.fields.at(-1)).toEqual({
      name: 'Summary (cont.)',
      value: `${FAMILY}${'z'.repeat(100)}`,
      inline: false,
    });
  });

  it('keeps a markdown link near the 1024 cut whole or leaves it out', () => {
    const summary = `${'x'.repeat(1000)} [the source](https://example.com/some/long/path) and more`;
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p', summary });
    expect(body.embeds[0]?.fields.find((f) => f.name === 'Summary')?.value).toBe(`${'x'.repeat(1000)}…`);
  });

  it('with 200 long tags shows at most 12 and ends a cut list with an ellipsis', () => {
    const tags = Array.from({ length: 200 }, (_, i) => `${i}-${'t'.repeat(150)}🇯🇵`);
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p', tags });
    const value = body.embeds[0]?.fields.find((f) => f.name === 'Tags')?.value ?? '';
    expect(value.endsWith(`, ${ELLIPSIS}`)).toBe(true);
    expect(value.split('`, `').length).toBeLessThanOrEqual(12);
    assertAccepted(body);
  });

  it('when everything is huge: enrichment and summary give way first, core text stays', () => {
    const huge = (c: string) => c.repeat(5000);
    const payload = withEnrichment(
      {
        artifact_uri: `s3://b/${huge('k')}`,
        published_path: `/p/${huge('p')}`,
        namespace: huge('n'),
        title: huge('T'),
        summary: huge('S'),
        tags: Array.from({ length: 200 }, (_, i) => `tag${i}-${'g'.repeat(100)}`),
        duration: 12,
        jellyfin_item_id: huge('j'),
        jellyfin_public_url: `https://jf/${huge('u')}`,
        meta: {},
      },
      {
        clip: { best_match: { asset_id: huge('c'), score: 0.3 } },
        audio: {
          summary: huge('A'),
          tags: Array.from({ length: 50 }, () => huge('a').slice(0, 200)),
          mood: huge('m'),
          confidence: 0.5,
        },
        generatedAt: '2025-10-01T12:00:00.000Z',
      },
    );
    const body = formatPublishedEmbed(payload);
    assertAccepted(body);
    const fields = body.embeds[0]?.fields ?? [];
    const len = (name: string) => discordLength(fields.find((f) => f.name === name)?.value ?? '');
    expect(discordLength(body.embeds[0]?.title ?? '')).toBe(256);
    // Core text gets its room before anything else.
    expect(len('Public URL')).toBe(1024);
    expect(len('Namespace')).toBe(1024);
    expect(len('Published Path')).toBe(1024);
    expect(len('Artifact URI')).toBe(1024);
    // Then optional fields, in order, while room lasts…
    expect(len('Jellyfin Item')).toBe(1024);
    // …while the summary and the enrichment fields were shrunk to their smallest useful size (48, plus the fixed
    // confidence line for the audio summary).
    expect(len('Summary')).toBe(48);
    expect(len('Audio mood')).toBe(48);
    expect(len('Audio summary')).toBe(48 + discordLength('\n_confidence 0.50_'));
    expect(embedTextLength(body.embeds)).toBeGreaterThan(5900);
  });
});

describe('truncateText on long non-ASCII runs (segmented in stretches)', () => {
  it('never splits a ZWJ sequence where a stretch ends', () => {
    const text = FAMILY.repeat(200); // 11 UTF-16 units each: stretch ends fall inside families
    for (const max of [7, 50, 93, 300, 512, 700, 1399]) {
      const out = truncateText(text, max);
      const families = Math.floor((max - 1) / 7);
      expect(out, String(max)).toBe(`${FAMILY.repeat(families)}${ELLIPSIS}`);
    }
  });

  it('keeps a cluster longer than a stretch whole (or leaves it out)', () => {
    const zalgo = `x${'\u0301'.repeat(1000)}`; // one grapheme of 1001 code points
    const text = `${zalgo}${'y'.repeat(10)}`;
    expect(truncateText(text, 500)).toBe(ELLIPSIS);
    expect(truncateText(text, 1005)).toBe(`${zalgo}yyy${ELLIPSIS}`);
  });
});
