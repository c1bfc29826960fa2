import { describe, expect, it } from 'vitest';
import { buildPublishedPayload, type BuildPublishedPayloadInput } from './build';
import { PublisherMetaValidationError } from '../schemas/errors';
import { deepFreeze } from '../../test/deep-freeze';

/** The required arguments; every test adds what it exercises. */
const base: BuildPublishedPayloadInput = {
  artifact_uri: 's3://outputs/comfy/lofi-sunset.png',
  published_path: '/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png',
  namespace: 'pmoves-demo',
  title: 'Lofi Sunset',
  slug: 'lofi-sunset',
  namespace_slug: 'pmoves-demo',
  filename: 'pmoves-demo--lofi-sunset.png',
  extension: '.png',
};
const build = (extra: Partial<BuildPublishedPayloadInput>) => buildPublishedPayload({ ...base, ...extra });

describe('buildPublishedPayload — top-level keys', () => {
  it('always has artifact_uri, published_path, namespace and meta; nothing else when the rest is None', () => {
    const out = build({ title: '' });
    expect(Object.keys(out)).toEqual(['artifact_uri', 'published_path', 'namespace', 'meta']);
    expect(out.namespace).toBe('pmoves-demo');
  });

  it('keeps the Python key order when every key is present', () => {
    const out = build({
      description: 'd',
      tags: ['t'],
      thumbnail_url: 'https://x/t.jpg',
      duration: 3,
      public_url: 'https://x/p.png',
      jellyfin_item_id: 'jf1',
      jellyfin_public_url: 'https://jf/item',
    });
    expect(Object.keys(out)).toEqual([
      'artifact_uri',
      'published_path',
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
    ]);
  });

  it('adds title only when truthy', () => {
    expect(build({ title: 'Lofi Sunset' }).title).toBe('Lofi Sunset');
    expect(build({ title: '' })).not.toHaveProperty('title');
  });

  it('adds description only when truthy', () => {
    expect(build({ description: 'warm' }).description).toBe('warm');
    expect(build({ description: '' })).not.toHaveProperty('description');
    expect(build({ description: null })).not.toHaveProperty('description');
  });

  it('adds tags only when a non-empty list, as a copy', () => {
    const tags = ['lofi', 'sunset'];
    const out = build({ tags });
    expect(out.tags).toEqual(['lofi', 'sunset']);
    expect(out.tags).not.toBe(tags);
    expect(build({ tags: [] })).not.toHaveProperty('tags');
    expect(build({ tags: null })).not.toHaveProperty('tags');
  });

  it('keeps list items exactly as given (Python list(tags) does not trim or filter)', () => {
    expect(build({ tags: [' a ', ''] }).tags).toEqual([' a ', '']);
  });

  it('deliberate difference: a single tags string is one tag, not a list of characters', () => {
    expect(build({ tags: 'lofi' }).tags).toEqual(['lofi']);
  });

  it('deliberate difference: a comma-separated string is split and trimmed like publisher-discord does', () => {
    const out = build({ tags: ' lofi, sunset ,, chill ' });
    expect(out.tags).toEqual(['lofi', 'sunset', 'chill']);
    expect(out.meta?.tags).toEqual(['lofi', 'sunset', 'chill']);
  });

  it('a tags string with no tag in it gives no tags', () => {
    const out = build({ tags: ' , ', incoming_meta: { tags: ['kept'] } });
    expect(out).not.toHaveProperty('tags');
    expect(out.meta?.tags).toEqual(['kept']);
  });

  it('adds thumbnail_url only when truthy', () => {
    expect(build({ thumbnail_url: 'https://x/t.jpg' }).thumbnail_url).toBe('https://x/t.jpg');
    expect(build({ thumbnail_url: '' })).not.toHaveProperty('thumbnail_url');
  });

  it('adds duration when not None, keeping 0', () => {
    expect(build({ duration: 0 }).duration).toBe(0);
    expect(build({ duration: 12.5 }).duration).toBe(12.5);
    expect(build({ duration: null })).not.toHaveProperty('duration');
    expect(build({})).not.toHaveProperty('duration');
  });

  it('adds public_url, jellyfin_item_id, jellyfin_public_url only when truthy', () => {
    const out = build({
      public_url: 'https://x/p',
      jellyfin_item_id: 'id1',
      jellyfin_public_url: 'https://jf/i',
    });
    expect(out.public_url).toBe('https://x/p');
    expect(out.jellyfin_item_id).toBe('id1');
    expect(out.jellyfin_public_url).toBe('https://jf/i');
    const empty = build({ public_url: '', jellyfin_item_id: '', jellyfin_public_url: '' });
    expect(empty).not.toHaveProperty('public_url');
    expect(empty).not.toHaveProperty('jellyfin_item_id');
    expect(empty).not.toHaveProperty('jellyfin_public_url');
  });
});

describe('buildPublishedPayload — meta', () => {
  it('starts from a copy of incoming meta and appends the derived keys in Python order', () => {
    const out = build({ incoming_meta: { source: 'comfyui', seed: 42 } });
    expect(out.meta).toEqual({
      source: 'comfyui',
      seed: 42,
      title: 'Lofi Sunset',
      slug: 'lofi-sunset',
      namespace_slug: 'pmoves-demo',
      filename: 'pmoves-demo--lofi-sunset.png',
      extension: 'png',
    });
    expect(Object.keys(out.meta ?? {})).toEqual([
      'source',
      'seed',
      'title',
      'slug',
      'namespace_slug',
      'filename',
      'extension',
    ]);
  });

  it('sets title, slug, namespace_slug only when the key is missing (setdefault keeps even null and "")', () => {
    const out = build({ incoming_meta: { title: 'Original', slug: null, namespace_slug: '' } });
    expect(out.meta?.title).toBe('Original');
    expect(out.meta?.slug).toBeNull();
    expect(out.meta?.namespace_slug).toBe('');
  });

  it('sets meta.title to the title even when it is empty (setdefault has no truthiness check)', () => {
    expect(build({ title: '' }).meta?.title).toBe('');
  });

  it('overwrites description and tags only when truthy, in place', () => {
    const incoming = { description: 'old', tags: ['old'], other: 1 };
    const kept = build({ incoming_meta: incoming, description: '', tags: [] });
    expect(kept.meta?.description).toBe('old');
    expect(kept.meta?.tags).toEqual(['old']);
    const replaced = build({ incoming_meta: incoming, description: 'new', tags: ['new'] });
    expect(replaced.meta?.description).toBe('new');
    expect(replaced.meta?.tags).toEqual(['new']);
    // A Python dict keeps the position of an overwritten key.
    expect(Object.keys(replaced.meta ?? {}).slice(0, 3)).toEqual(['description', 'tags', 'other']);
  });

  it('always overwrites filename', () => {
    expect(build({ incoming_meta: { filename: 'stale.png' } }).meta?.filename).toBe(
      'pmoves-demo--lofi-sunset.png',
    );
  });

  it('always overwrites extension with every leading dot stripped, or ""', () => {
    expect(build({ extension: '..mp4', incoming_meta: { extension: 'x' } }).meta?.extension).toBe('mp4');
    expect(build({ extension: 'mp4' }).meta?.extension).toBe('mp4');
    expect(build({ extension: '' }).meta?.extension).toBe('');
    expect(build({ extension: null }).meta?.extension).toBe('');
    expect(build({ extension: 'tar.gz' }).meta?.extension).toBe('tar.gz');
  });

  it('merges the non-null Jellyfin metadata after the derived keys', () => {
    const out = build({ jellyfin_meta: { jellyfin_name: 'Lofi Sunset', overview: null, runtime_ticks: 0 } });
    expect(out.meta).toMatchObject({ jellyfin_name: 'Lofi Sunset', runtime_ticks: 0 });
    expect(out.meta).not.toHaveProperty('overview');
    expect(Object.keys(out.meta ?? {}).slice(-2)).toEqual(['jellyfin_name', 'runtime_ticks']);
  });

  it('a null Jellyfin value never overwrites incoming meta', () => {
    expect(
      build({ incoming_meta: { overview: 'mine' }, jellyfin_meta: { overview: null } }).meta?.overview,
    ).toBe('mine');
  });

  it('thumbnail_url / duration / jellyfin_public_url / jellyfin_item_id win over Jellyfin keys', () => {
    const out = build({
      jellyfin_meta: {
        thumbnail_url: 'jf-thumb',
        duration: 99,
        jellyfin_public_url: 'jf-url',
        jellyfin_item_id: 'x',
      },
      thumbnail_url: 'https://x/t.jpg',
      duration: 12,
      jellyfin_public_url: 'https://jf/i',
      jellyfin_item_id: 'id1',
    });
    expect(out.meta).toMatchObject({
      thumbnail_url: 'https://x/t.jpg',
      duration: 12,
      jellyfin_public_url: 'https://jf/i',
      jellyfin_item_id: 'id1',
    });
  });

  it('Jellyfin values stay when the extras are None', () => {
    const out = build({ jellyfin_meta: { thumbnail_url: 'https://jf/thumb.jpg', duration: 99 } });
    expect(out.meta).toMatchObject({ thumbnail_url: 'https://jf/thumb.jpg', duration: 99 });
    expect(out).not.toHaveProperty('thumbnail_url');
  });

  it('keeps false and "" from the merge (only None is dropped)', () => {
    const out = build({
      jellyfin_meta: { jellyfin_refreshed: false },
      thumbnail_url: '',
      jellyfin_item_id: '',
      incoming_meta: { thumbnail_url: 'https://old/t.jpg' },
    });
    expect(out.meta?.jellyfin_refreshed).toBe(false);
    expect(out.meta?.thumbnail_url).toBe('');
    expect(out.meta?.jellyfin_item_id).toBe('');
    expect(out).not.toHaveProperty('thumbnail_url');
    expect(out).not.toHaveProperty('jellyfin_item_id');
  });

  it('duration 0 reaches meta too', () => {
    expect(build({ duration: 0 }).meta?.duration).toBe(0);
  });

  it('never modifies its input and shares no objects with it', () => {
    const incoming = deepFreeze({ nested: { a: 1 }, list: [1, 2] });
    const jellyfin = deepFreeze({ info: { b: 2 } });
    const input = deepFreeze({ ...base, incoming_meta: incoming, jellyfin_meta: jellyfin, tags: ['x'] });
    const out = buildPublishedPayload(input);
    expect(out.meta?.nested).toEqual({ a: 1 });
    expect(out.meta?.nested).not.toBe(incoming.nested);
    expect(out.meta?.info).not.toBe(jellyfin.info);
    expect(incoming).toEqual({ nested: { a: 1 }, list: [1, 2] });
  });
});

describe('buildPublishedPayload — parity with the Python publisher', () => {
  it('matches build_published_payload() for a Jellyfin-refreshed publish', () => {
    // Expected value worked out from services/publisher/publisher.py for these arguments.
    const out = buildPublishedPayload({
      artifact_uri: 's3://outputs/comfy/lofi-sunset.png',
      published_path: '/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png',
      namespace: 'pmoves-demo',
      title: 'Lofi Sunset',
      description: 'A warm lofi cover',
      tags: ['lofi', 'sunset'],
      incoming_meta: { source: 'comfyui', title: 'From meta', approved_at: '2025-10-01T12:00:00Z' },
      public_url: 'https://jf.example/web/index.html#!/details?id=abc',
      jellyfin_item_id: 'abc',
      jellyfin_public_url: 'https://jf.example/web/index.html#!/details?id=abc',
      thumbnail_url: 'https://cdn.example/lofi.jpg',
      duration: 0,
      jellyfin_meta: {
        jellyfin_name: 'Lofi Sunset',
        thumbnail_url: 'https://jf.example/thumb',
        missing: null,
      },
      slug: 'lofi-sunset',
      namespace_slug: 'pmoves-demo',
      filename: 'pmoves-demo--lofi-sunset.png',
      extension: '.png',
    });
    expect(JSON.stringify(out)).toBe(
      JSON.stringify({
        artifact_uri: 's3://outputs/comfy/lofi-sunset.png',
        published_path: '/library/images/pmoves-demo/pmoves-demo--lofi-sunset.png',
        namespace: 'pmoves-demo',
        title: 'Lofi Sunset',
        description: 'A warm lofi cover',
        tags: ['lofi', 'sunset'],
        thumbnail_url: 'https://cdn.example/lofi.jpg',
        duration: 0,
        meta: {
          source: 'comfyui',
          title: 'From meta',
          approved_at: '2025-10-01T12:00:00Z',
          description: 'A warm lofi cover',
          tags: ['lofi', 'sunset'],
          slug: 'lofi-sunset',
          namespace_slug: 'pmoves-demo',
          filename: 'pmoves-demo--lofi-sunset.png',
          extension: 'png',
          jellyfin_name: 'Lofi Sunset',
          thumbnail_url: 'https://cdn.example/lofi.jpg',
          duration: 0,
          jellyfin_public_url: 'https://jf.example/web/index.html#!/details?id=abc',
          jellyfin_item_id: 'abc',
        },
        public_url: 'https://jf.example/web/index.html#!/details?id=abc',
        jellyfin_item_id: 'abc',
        jellyfin_public_url: 'https://jf.example/web/index.html#!/details?id=abc',
      }),
    );
  });
});

describe('buildPublishedPayload — validation', () => {
  it('rejects an artifact_uri that is not s3:// and names the field', () => {
    expect(() => build({ artifact_uri: 'https://x/y.png' })).toThrow(/artifact_uri: must start with s3:\/\//);
  });

  it('rejects a negative duration by name (Python fails later, in envelope())', () => {
    try {
      build({ duration: -1 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PublisherMetaValidationError);
      expect((err as PublisherMetaValidationError).field).toBe('duration');
    }
  });

  it('rejects a non-string tag with its index', () => {
    expect(() => build({ tags: ['ok', 3 as unknown as string] })).toThrow(/tags\[1\]/);
  });

  it('rejects unknown arguments and missing required ones by name', () => {
    expect(() => build({ titel: 'x' } as Partial<BuildPublishedPayloadInput>)).toThrow(/titel/);
    const { slug: _slug, ...noSlug } = base;
    expect(() => buildPublishedPayload(noSlug as BuildPublishedPayloadInput)).toThrow(/slug: /);
  });

  it('rejects a meta value that is not JSON, naming the key', () => {
    expect(() => build({ incoming_meta: { when: new Date() as unknown as string } })).toThrow(
      /incoming_meta\.when/,
    );
  });
});
