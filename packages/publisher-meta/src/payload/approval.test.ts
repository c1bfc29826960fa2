import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../schemas/envelope';
import { publishInputFromApproval, slugify } from './approval';
import { buildPublishedPayload } from './build';

describe('slugify (PMOVES publisher slugify())', () => {
  it('matches the Python results', () => {
    expect(slugify('Rainy Night Lofi')).toBe('rainy-night-lofi');
    expect(slugify('Café ☕ Mix!!')).toBe('cafe-mix');
    expect(slugify('Ünïcödé — ＦＵＬＬ')).toBe('unicode-full'); // NFKD folds the full-width letters
    expect(slugify('')).toBe('item');
    expect(slugify('---')).toBe('item');
    expect(slugify(null)).toBe('item');
  });
});

describe('publishInputFromApproval (the publisher handle() before build_published_payload())', () => {
  const approval = {
    artifact_uri: 's3://outputs/audio/pmoves-demo/rainy-night-lofi.mp3',
    title: 'Rainy Night Lofi',
    namespace: 'pmoves-demo',
    tags: ['lofi'],
    meta: { thumbnail_url: 'https://m/t.jpg', duration: '184.6' },
  };

  it('derives path, file name, extension, slugs, thumbnail and duration', () => {
    const input = publishInputFromApproval(approval, {
      mediaLibraryPath: '/library/media/',
      mediaLibraryPublicBaseUrl: 'https://media.example/lib/',
    });
    expect(input).toMatchObject({
      published_path: '/library/media/pmoves-demo/pmoves-demo--rainy-night-lofi.mp3',
      filename: 'pmoves-demo--rainy-night-lofi.mp3',
      extension: '.mp3',
      slug: 'rainy-night-lofi',
      namespace_slug: 'pmoves-demo',
      public_url: 'https://media.example/lib/pmoves-demo/pmoves-demo--rainy-night-lofi.mp3',
      thumbnail_url: 'https://m/t.jpg',
      duration: 184.6,
      tags: ['lofi'],
      incoming_meta: approval.meta,
    });
  });

  it('uses the Python defaults: title "untitled", namespace "pmoves-demo", .png without an extension, no public URL', () => {
    const input = publishInputFromApproval({ artifact_uri: 's3://b/renders/frame' });
    expect(input).toMatchObject({
      title: 'untitled',
      namespace: 'pmoves-demo',
      published_path: '/library/images/pmoves-demo/pmoves-demo--untitled.png',
      extension: '.png',
      public_url: null,
      thumbnail_url: null,
      duration: null,
    });
  });

  it('drops a slug that repeats the namespace (pmoves-demo-intro → pmoves-demo--intro)', () => {
    const input = publishInputFromApproval({ ...approval, slug: 'PMOVES Demo Intro' });
    expect(input.filename).toBe('pmoves-demo--intro.mp3');
    expect(publishInputFromApproval({ ...approval, title: 'pmoves-demo' }).filename).toBe('pmoves-demo.mp3');
  });

  it('prefers the Jellyfin URL and takes thumbnail/duration from Jellyfin last', () => {
    const input = publishInputFromApproval(
      { artifact_uri: 's3://b/k.mp4', title: 'T' },
      {
        mediaLibraryPublicBaseUrl: 'https://media.example',
        jellyfin: {
          public_url: 'https://jf/item',
          item_id: 'i1',
          meta: { thumbnail_url: 'https://jf/t', duration: 'n/a' },
        },
      },
    );
    expect(input).toMatchObject({
      public_url: 'https://jf/item',
      jellyfin_public_url: 'https://jf/item',
      jellyfin_item_id: 'i1',
      thumbnail_url: 'https://jf/t',
      duration: null, // float('n/a') fails, as in Python
    });
  });

  it('rejects an artifact_uri without bucket and key, naming the field', () => {
    expect(() => publishInputFromApproval({ artifact_uri: 's3://bucket-only', title: 'x' })).toThrow(
      /artifact_uri/,
    );
  });

  it('turns the committed sample approval event into a valid published payload', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../examples/approval-event.json', import.meta.url), 'utf8'),
    );
    const env = parseEnvelope(raw);
    expect(env.topic).toBe('content.publish.approved.v1');
    const payload = buildPublishedPayload(publishInputFromApproval(env.payload));
    expect(payload.published_path).toBe('/library/images/pmoves-demo/pmoves-demo--rainy-night-lofi.mp3');
    expect(payload.meta?.extension).toBe('mp3');
    expect(payload.duration).toBe(184.6);
  });
});
