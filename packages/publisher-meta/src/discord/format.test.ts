import { describe, expect, it } from 'vitest';
import type { PublishedPayload } from '../schemas/published';
import { withEnrichment } from '../enrichment/with-enrichment';
import { formatDuration, formatPublishedEmbed } from './format';
import { checkDiscordLimits } from './limits';

const GREEN = 0x22c55e;
const jf = { jellyfinBaseUrl: 'http://jellyfin.local:8096/' };

// Expected values below were worked out by reading publisher-discord's `_format_event` (content.published.v1
// branch), `_coerce_tags`, `_pick_thumbnail` and `_post_discord`, with DISCORD_PUBLISH_PREFIX="Published: " and
// JELLYFIN_URL="http://jellyfin.local:8096/".
describe('formatPublishedEmbed — parity with publisher-discord', () => {
  it('a published item with a public URL, duration, Jellyfin item and description', () => {
    const payload: PublishedPayload = {
      artifact_uri: 's3://outputs/comfy/lofi-sunset.png',
      published_path: '/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png',
      namespace: 'pmoves-demo',
      title: 'Lofi Sunset',
      description: 'A warm lofi cover',
      tags: ['lofi', 'sunset'],
      thumbnail_url: 'https://cdn.example/lofi.jpg',
      duration: 3725.5,
      meta: { jellyfin_item_id: 'abc' },
      public_url: 'https://media.example/pmoves-demo/lofi.png',
      jellyfin_item_id: 'abc',
    };
    expect(formatPublishedEmbed(payload, jf)).toEqual({
      username: 'PMOVES',
      embeds: [
        {
          title: 'Published: Lofi Sunset',
          fields: [
            { name: 'Public URL', value: 'https://media.example/pmoves-demo/lofi.png', inline: false },
            { name: 'Namespace', value: 'pmoves-demo', inline: true },
            {
              name: 'Published Path',
              value: '`/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png`',
              inline: false,
            },
            { name: 'Artifact URI', value: 's3://outputs/comfy/lofi-sunset.png', inline: false },
            { name: 'Duration', value: '1:02:06', inline: true },
            { name: 'Jellyfin Item', value: '`abc`', inline: true },
            {
              name: 'Jellyfin',
              value: 'http://jellyfin.local:8096/web/index.html#!/details?id=abc',
              inline: false,
            },
            { name: 'Tags', value: '`lofi`, `sunset`', inline: false },
            { name: 'Summary', value: 'A warm lofi cover', inline: false },
          ],
          color: GREEN,
          url: 'https://media.example/pmoves-demo/lofi.png',
          description: '[Open published content](https://media.example/pmoves-demo/lofi.png)',
          thumbnail: { url: 'https://cdn.example/lofi.jpg' },
        },
      ],
    });
  });

  it('no URL: Path/Namespace lines, title from published_path, comma tags, meta start_time, cover_art thumbnail', () => {
    const payload = {
      artifact_uri: 's3://b/k.png',
      published_path: '/library/images/ns/ns--k.png',
      namespace: 'ns',
      meta: {
        tags: 'a, b ,,c',
        start_time: '12.5',
        summary: 'meta summary',
        thumb: 'https://ignored/meta-thumb.jpg',
      },
      jellyfin_item_id: 'jf1',
      cover_art: {
        thumbnails: [
          { url: 'https://c/small.jpg', width: 100, height: 100 },
          { url: 'https://c/big.jpg', width: '640', height: 480 },
        ],
      },
    };
    expect(formatPublishedEmbed(payload, jf).embeds[0]).toEqual({
      title: 'Published: /library/images/ns/ns--k.png',
      fields: [
        { name: 'Public URL', value: '_not available_', inline: false },
        { name: 'Namespace', value: 'ns', inline: true },
        { name: 'Published Path', value: '`/library/images/ns/ns--k.png`', inline: false },
        { name: 'Artifact URI', value: 's3://b/k.png', inline: false },
        { name: 'Jellyfin Item', value: '`jf1`', inline: true },
        // round(12.5) is 12 in Python (half to even).
        {
          name: 'Jellyfin',
          value: 'http://jellyfin.local:8096/web/index.html#!/details?id=jf1&startTime=12',
          inline: false,
        },
        { name: 'Tags', value: '`a`, `b`, `c`', inline: false },
        { name: 'Summary', value: 'meta summary', inline: false },
      ],
      color: GREEN,
      description: 'Path: `/library/images/ns/ns--k.png`\nNamespace: `ns`',
      thumbnail: { url: 'https://c/big.jpg' },
    });
  });

  it('no URL, path or namespace: the summary goes into the description, 1800 characters, the rest continues', () => {
    const payload = { artifact_uri: 's3://b/k.png', published_path: '', summary: 'S'.repeat(2000) };
    expect(formatPublishedEmbed(payload).embeds[0]).toEqual({
      title: 'Published: content',
      fields: [
        { name: 'Public URL', value: '_not available_', inline: false },
        { name: 'Artifact URI', value: 's3://b/k.png', inline: false },
        { name: 'Summary (cont.)', value: 'S'.repeat(200), inline: false },
      ],
      color: GREEN,
      description: 'S'.repeat(1800),
    });
  });

  it('title from slug; url from the Jellyfin URL; duration 0.5 rounds to 0:00:00; meta tags coerced', () => {
    const payload = {
      artifact_uri: 's3://b/k.png',
      published_path: '/p',
      slug: 'my-slug',
      jellyfin_public_url: 'https://jf/x',
      duration: 0.5,
      meta: { duration: 99, tags: [' x ', null, 3, ''] },
    };
    expect(formatPublishedEmbed(payload).embeds[0]).toEqual({
      title: 'Published: my-slug',
      fields: [
        { name: 'Public URL', value: 'https://jf/x', inline: false },
        { name: 'Published Path', value: '`/p`', inline: false },
        { name: 'Artifact URI', value: 's3://b/k.png', inline: false },
        { name: 'Duration', value: '0:00:00', inline: true },
        { name: 'Tags', value: '`x`, `3`', inline: false },
      ],
      color: GREEN,
      url: 'https://jf/x',
      description: '[Open published content](https://jf/x)',
    });
  });

  it('Jellyfin URL field is the given URL when there is one; no deep link without a base URL', () => {
    const base = { artifact_uri: 's3://b/k', published_path: '/p', jellyfin_item_id: 'i1' };
    const withUrl = formatPublishedEmbed({ ...base, jellyfin_public_url: 'https://jf/item/i1' });
    expect(withUrl.embeds[0]?.fields.find((f) => f.name === 'Jellyfin')?.value).toBe('https://jf/item/i1');
    const noBase = formatPublishedEmbed(base);
    expect(noBase.embeds[0]?.fields.map((f) => f.name)).not.toContain('Jellyfin');
    const payloadBase = formatPublishedEmbed({
      ...base,
      jellyfin_base_url: 'https://jf.example',
      t: -3,
      position: 61.5,
    });
    expect(payloadBase.embeds[0]?.fields.find((f) => f.name === 'Jellyfin')?.value).toBe(
      'https://jf.example/web/index.html#!/details?id=i1&startTime=62',
    );
  });

  it('at most 12 tags', () => {
    const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const value = formatPublishedEmbed({
      artifact_uri: 's3://b/k',
      published_path: '/p',
      tags,
    }).embeds[0]?.fields.find((f) => f.name === 'Tags')?.value;
    expect(value).toBe(
      tags
        .slice(0, 12)
        .map((t) => `\`${t}\``)
        .join(', '),
    );
  });

  it('thumbnail: thumbnail_url, then meta.thumbnail_url, then thumb, then cover_art.url', () => {
    const base = { artifact_uri: 's3://b/k', published_path: '/p' };
    const thumb = (p: Record<string, unknown>) =>
      formatPublishedEmbed({ ...base, ...p }).embeds[0]?.thumbnail?.url;
    expect(
      thumb({
        thumbnail_url: 'https://a/1.jpg',
        meta: { thumbnail_url: 'https://a/2.jpg' },
        thumb: 'https://a/3.jpg',
      }),
    ).toBe('https://a/1.jpg');
    expect(thumb({ meta: { thumbnail_url: 'https://a/2.jpg' }, thumb: 'https://a/3.jpg' })).toBe(
      'https://a/2.jpg',
    );
    expect(thumb({ thumb: 'https://a/3.jpg', cover_art: { url: 'https://a/4.jpg' } })).toBe(
      'https://a/3.jpg',
    );
    expect(thumb({ cover_art: { url: 'https://a/4.jpg' } })).toBe('https://a/4.jpg');
    expect(thumb({})).toBeUndefined();
  });

  it('prefix, username and avatar from the options; an empty prefix gives the bare title', () => {
    const body = formatPublishedEmbed(
      { artifact_uri: 's3://b/k', published_path: '/p', title: 'T' },
      { prefix: '', username: 'Publisher', avatarUrl: 'https://cdn.example/a.png' },
    );
    expect(body.username).toBe('Publisher');
    expect(body.avatar_url).toBe('https://cdn.example/a.png');
    expect(body.embeds[0]?.title).toBe('T');
    expect(Object.keys(body)).toEqual(['username', 'avatar_url', 'embeds']);
  });
});

describe('formatPublishedEmbed — enrichment fields', () => {
  const payload = withEnrichment(
    { artifact_uri: 's3://b/rain.flac', published_path: '/lib/rain.flac', namespace: 'ns', meta: {} },
    {
      clip: { best_match: { asset_id: 'asset-42', score: 0.2874, model: 'clip-vit-b-32' }, similarity: 0.25 },
      audio: {
        summary: 'Steady rain.',
        tags: ['rain', 'ambient'],
        mood: 'calm',
        confidence: 0.82,
        model: 'qwen',
      },
      generatedAt: '2025-10-01T12:05:00.000Z',
    },
  );

  it('adds Audio mood, Audio tags, Audio summary and Top CLIP match after the upstream fields', () => {
    const fields = formatPublishedEmbed(payload).embeds[0]?.fields ?? [];
    expect(fields.slice(-4)).toEqual([
      { name: 'Audio mood', value: 'calm', inline: true },
      { name: 'Audio tags', value: '`rain`, `ambient`', inline: false },
      { name: 'Audio summary', value: 'Steady rain.\n_confidence 0.82_', inline: false },
      {
        name: 'Top CLIP match',
        value: '`asset-42` · cosine 0.287 · similarity 0.250 · clip-vit-b-32',
        inline: true,
      },
    ]);
  });

  it('adds none of them when meta has no enrichment', () => {
    const names = formatPublishedEmbed({
      artifact_uri: 's3://b/k',
      published_path: '/p',
    }).embeds[0]?.fields.map((f) => f.name);
    expect(names).toEqual(['Public URL', 'Published Path', 'Artifact URI']);
  });
});

describe('formatPublishedEmbed — bodies Discord accepts', () => {
  it('leaves out URLs Discord would reject and usernames it refuses', () => {
    const body = formatPublishedEmbed(
      {
        artifact_uri: 's3://b/k',
        published_path: '/p',
        public_url: '/library/images/p.png',
        thumbnail_url: 's3://b/thumb.png',
      },
      { username: 'My Discord Bot', avatarUrl: 'not a url' },
    );
    expect(body).not.toHaveProperty('username');
    expect(body).not.toHaveProperty('avatar_url');
    expect(body.embeds[0]).not.toHaveProperty('url');
    expect(body.embeds[0]).not.toHaveProperty('thumbnail');
    // The field and the description still show the path-like URL, as upstream does.
    expect(body.embeds[0]?.description).toBe('[Open published content](/library/images/p.png)');
    expect(checkDiscordLimits(body)).toEqual([]);
  });

  it('drops blank field values instead of sending them', () => {
    const body = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p', namespace: '   ' });
    expect(body.embeds[0]?.fields.map((f) => f.name)).not.toContain('Namespace');
    expect(checkDiscordLimits(body)).toEqual([]);
  });

  it('cuts a long username to 80 characters and content to 2000', () => {
    const body = formatPublishedEmbed(
      { artifact_uri: 's3://b/k', published_path: '/p' },
      { username: 'u'.repeat(200), content: 'c'.repeat(5000) },
    );
    expect([...(body.username ?? '')].length).toBe(80);
    expect([...(body.content ?? '')].length).toBe(2000);
    expect(checkDiscordLimits(body)).toEqual([]);
  });

  it('rejects an invalid payload, naming the field', () => {
    expect(() => formatPublishedEmbed({ artifact_uri: 'http://x', published_path: '/p' })).toThrow(
      /payload\.artifact_uri/,
    );
    expect(() =>
      formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p' }, { prefix: 1 } as never),
    ).toThrow(/opts\.prefix/);
  });
});

describe('formatDuration', () => {
  it('formats H:MM:SS of seconds rounded half to even, like Python round()', () => {
    expect(formatDuration(0)).toBe('0:00:00');
    expect(formatDuration(59.5)).toBe('0:01:00');
    expect(formatDuration(2.5)).toBe('0:00:02');
    expect(formatDuration(3599.4)).toBe('0:59:59');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(360000)).toBe('100:00:00');
  });
});

describe('formatPublishedEmbed — blank public URL', () => {
  it('treats a blank public_url as none and falls back to the Jellyfin URL', () => {
    const body = formatPublishedEmbed({
      artifact_uri: 's3://b/k',
      published_path: '/p',
      public_url: '  ',
      jellyfin_public_url: 'https://jf/x',
    });
    expect(body.embeds[0]?.fields[0]).toEqual({ name: 'Public URL', value: 'https://jf/x', inline: false });
    const none = formatPublishedEmbed({ artifact_uri: 's3://b/k', published_path: '/p', public_url: ' ' });
    expect(none.embeds[0]?.fields[0]?.value).toBe('_not available_');
    expect(none.embeds[0]?.description).toBe('Path: `/p`');
  });
});

describe('formatPublishedEmbed — similar assets and the transcript excerpt', () => {
  const base = { artifact_uri: 's3://b/rain.flac', published_path: '/lib/rain.flac' };
  const similar = (n: number, id = (i: number) => `asset-${i}`) =>
    Array.from({ length: n }, (_, i) => ({ asset_id: id(i), score: 0.9 - i / 100 }));
  const fieldsOf = (meta: Record<string, unknown>) =>
    formatPublishedEmbed({ ...base, meta } as never).embeds[0]?.fields ?? [];

  it('lists the similar assets one per line after the top match, each with its cosine', () => {
    const fields = fieldsOf({
      clip_best_match: { asset_id: 'asset-0', score: 0.9 },
      clip_similarity: similar(3),
    });
    expect(fields.slice(-2)).toEqual([
      { name: 'Top CLIP match', value: '`asset-0` · cosine 0.900', inline: true },
      {
        name: 'Similar assets',
        value: '`asset-0` · 0.900\n`asset-1` · 0.890\n`asset-2` · 0.880',
        inline: false,
      },
    ]);
  });

  it('shows at most 10 and says how many more there are', () => {
    const value = fieldsOf({ clip_similarity: similar(25) }).at(-1)?.value ?? '';
    expect(value.split('\n')).toHaveLength(11);
    expect(value.endsWith('\n…and 15 more')).toBe(true);
  });

  it('drops whole lines when long asset ids do not fit in a field (1024), ending with …', () => {
    const value =
      fieldsOf({ clip_similarity: similar(10, (i) => `${i}-${'x'.repeat(300)}`) }).at(-1)?.value ?? '';
    expect(value.length).toBeLessThanOrEqual(1024);
    const lines = value.split('\n');
    expect(lines.at(-1)).toBe('…');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^`\d+-x{300}` · 0\.\d{3}$/);
  });

  it('shows the old single-number clip_similarity next to the top match, as before', () => {
    const fields = fieldsOf({ clip_best_match: { asset_id: 'a', score: 0.3 }, clip_similarity: 0.25 });
    expect(fields.at(-1)).toEqual({
      name: 'Top CLIP match',
      value: '`a` · cosine 0.300 · similarity 0.250',
      inline: true,
    });
  });

  it('shows the transcript excerpt after the audio summary', () => {
    const fields = fieldsOf({ audio_summary: 'Rain.', audio_transcript: 'It is raining again.' });
    expect(fields.slice(-2)).toEqual([
      { name: 'Audio summary', value: 'Rain.', inline: false },
      { name: 'Audio transcript', value: 'It is raining again.', inline: false },
    ]);
  });

  it('refuses a transcript excerpt over 1000 code points or blank, and an empty asset id in the list', () => {
    const fmt = (meta: Record<string, unknown>) => () => formatPublishedEmbed({ ...base, meta } as never);
    expect(fmt({ audio_transcript: 'a'.repeat(1001) })).toThrow(/meta\.audio_transcript/);
    expect(fmt({ audio_transcript: '😀'.repeat(1000) })).not.toThrow();
    expect(fmt({ audio_transcript: '  ' })).toThrow(/meta\.audio_transcript/);
    expect(fmt({ clip_similarity: [{ asset_id: '', score: 0.1 }] })).toThrow(/meta\.clip_similarity/);
  });

  it('stays within every Discord limit with everything enriched and huge', () => {
    const body = formatPublishedEmbed({
      ...base,
      title: 't'.repeat(5000),
      description: 'd'.repeat(5000),
      tags: Array.from({ length: 50 }, (_, i) => `tag-${i}-${'z'.repeat(80)}`),
      meta: {
        clip_best_match: { asset_id: 'b'.repeat(2000), score: 0.3, model: 'm'.repeat(500) },
        clip_similarity: similar(100, (i) => `${i}${'s'.repeat(500)}`),
        audio_tags: Array.from({ length: 50 }, (_, i) => `t${i}${'q'.repeat(60)}`),
        audio_summary: 'u'.repeat(5000),
        audio_mood: 'm'.repeat(2000),
        audio_transcript: 'w'.repeat(1000),
        qwen_confidence: 0.5,
      },
    });
    expect(checkDiscordLimits(body)).toEqual([]);
  });
});
