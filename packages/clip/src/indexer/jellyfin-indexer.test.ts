// The Jellyfin indexer against a loopback Jellyfin stand-in, embedding with the tiny generated
// model (real tensor contract, meaningless weights) into the exact memory store: a second run
// skips unchanged items, changed images are re-embedded, deleted items removed, an interrupted run
// resumes where it stopped, and video keyframes are indexed when asked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalClipEmbedder } from '../embedder/embedder';
import { countingView, tinyEmbedder } from '../../test/embedders';
import type { ClipEmbedder } from '../types';
import { createClipIndex, type ClipIndex } from '../library/clip-index';
import { createMemoryClipStore } from '../library/stores/memory';
import { IMAGE_FIXTURES } from '../../test/models';
import { startJellyfinStandIn, type JellyfinStandIn } from '../../test/stand-ins/jellyfin';
import { h264, testsrc2, videoDir, type VideoDir } from '../../test/videos';
import { indexJellyfinLibrary, type IndexJellyfinOptions } from './jellyfin-indexer';

const photo = (f: string) => new Uint8Array(readFileSync(join(IMAGE_FIXTURES, f)));
const PHOTOS = ['chelsea.jpg', 'coffee.png', 'astronaut.jpg', 'rocket.jpg', 'camera.png'];

let local: LocalClipEmbedder;
let jf: JellyfinStandIn;
let videos: VideoDir;

const counting = () => countingView(local);

beforeAll(async () => {
  local = await tinyEmbedder();
  jf = await startJellyfinStandIn();
  videos = await videoDir();
});
afterAll(async () => {
  await jf.close();
  await local.dispose();
  await videos.dispose();
});

function library() {
  jf.items.clear();
  PHOTOS.forEach((f, i) =>
    jf.items.set(`item${i}`, {
      Id: `item${i}`,
      Name: f,
      Type: i % 2 ? 'Series' : 'Movie',
      image: { bytes: photo(f), type: f.endsWith('.png') ? 'image/png' : 'image/jpeg' },
    }),
  );
  jf.items.set('noimage', { Id: 'noimage', Name: 'no art', Type: 'Movie' });
}

async function newIndex(embedder: ClipEmbedder): Promise<ClipIndex> {
  return createClipIndex({ store: createMemoryClipStore({ dims: local.info().dims }), embedder });
}

const opts = (index: ClipIndex, extra: Partial<IndexJellyfinOptions> = {}): IndexJellyfinOptions => ({
  jellyfin: { url: jf.url, apiKey: jf.apiKey, pageSize: 2 },
  index,
  batchSize: 2,
  ...extra,
});

async function ids(index: ClipIndex): Promise<string[]> {
  const out: string[] = [];
  for await (const e of index.entries({ namespace: 'jellyfin' })) out.push(e.id);
  return out.sort();
}

const imageRequests = () => jf.requests.filter((r) => r.path.includes('/Images/')).length;

beforeEach(() => {
  library();
  jf.requests.length = 0;
  jf.failImage.clear();
});

describe('indexJellyfinLibrary', () => {
  it('embeds every Primary image once; a second run downloads and embeds nothing', async () => {
    const embedder = counting();
    const index = await newIndex(embedder);
    const first = await indexJellyfinLibrary(opts(index));
    expect(first).toMatchObject({
      listed: 6,
      total: 5,
      embedded: 5,
      unchanged: 0,
      failed: 0,
      removed: 0,
      interrupted: false,
    });
    expect(embedder.images).toBe(5);
    expect(await ids(index)).toEqual(['item0', 'item1', 'item2', 'item3', 'item4']);
    const [entry] = await index.get(['item1'], { namespace: 'jellyfin' });
    expect(entry!.metadata).toMatchObject({
      source: 'jellyfin',
      kind: 'primary',
      item_id: 'item1',
      name: 'coffee.png',
      type: 'Series',
    });
    expect(entry!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await index.bestMatch({ image: photo('rocket.jpg') }, { namespace: 'jellyfin' })).toMatchObject({
      asset_id: 'item3',
    });
    // Paged listing (pageSize 2) with the Etag field.
    expect(jf.requests.filter((r) => r.path === '/Items').map((r) => r.query.get('StartIndex'))).toEqual([
      '0',
      '2',
      '4',
    ]);
    expect(jf.requests.find((r) => r.path === '/Items')!.query.get('Fields')).toContain('Etag');

    jf.requests.length = 0;
    embedder.images = 0;
    const again = await indexJellyfinLibrary(opts(index));
    expect(again).toMatchObject({ embedded: 0, unchanged: 5, failed: 0, removed: 0 });
    expect(imageRequests()).toBe(0);
    expect(embedder.images).toBe(0);
  });

  it('re-embeds a changed image, keeps the vector of a re-tagged identical one, removes deleted items', async () => {
    const embedder = counting();
    const index = await newIndex(embedder);
    await indexJellyfinLibrary(opts(index));
    embedder.images = 0;
    jf.items.get('item0')!.image = { bytes: photo('wide.jpg'), type: 'image/jpeg' }; // new image, new tag
    jf.retag('item1', 'refreshed'); // same bytes, new tag
    jf.items.delete('item2'); // gone from the library
    delete jf.items.get('item3')!.image; // image removed
    jf.requests.length = 0;
    const run = await indexJellyfinLibrary(opts(index));
    expect(run).toMatchObject({ listed: 5, total: 3, embedded: 1, unchanged: 2, removed: 2, failed: 0 });
    expect(embedder.images).toBe(1);
    expect(imageRequests()).toBe(2); // item0 and item1; item4 skipped by its tag
    expect(await ids(index)).toEqual(['item0', 'item1', 'item4']);
    expect(await index.bestMatch({ image: photo('wide.jpg') }, { namespace: 'jellyfin' })).toMatchObject({
      asset_id: 'item0',
    });
    const [item1] = await index.get(['item1'], { namespace: 'jellyfin' });
    expect(item1!.metadata.image_tag).toBe('refreshed');
    jf.requests.length = 0;
    expect(await indexJellyfinLibrary(opts(index))).toMatchObject({ embedded: 0, unchanged: 3 });
    expect(imageRequests()).toBe(0);
  });

  it('resumes after an interruption with only the items not yet embedded', async () => {
    const embedder = counting();
    const index = await newIndex(embedder);
    const ac = new AbortController();
    const stopped = await indexJellyfinLibrary(
      opts(index, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.embedded >= 2) ac.abort(new Error('interrupted by the test'));
        },
      }),
    );
    expect(stopped.interrupted).toBe(true);
    const saved = await ids(index);
    expect(saved.length).toBeGreaterThanOrEqual(2);
    expect(saved.length).toBeLessThan(5);
    const before = embedder.images;
    const resumed = await indexJellyfinLibrary(opts(index));
    expect(resumed).toMatchObject({
      interrupted: false,
      embedded: 5 - saved.length,
      unchanged: saved.length,
      failed: 0,
    });
    expect(embedder.images - before).toBe(5 - saved.length);
    expect(await ids(index)).toEqual(['item0', 'item1', 'item2', 'item3', 'item4']);
  });

  it('reports a failed image and indexes the rest; keeps downloads within the concurrency', async () => {
    const index = await newIndex(counting());
    jf.failImage.set('item2', 500);
    jf.imageDelayMs = 30;
    jf.maxImagesInFlight = 0;
    try {
      const run = await indexJellyfinLibrary(opts(index, { concurrency: 2, batchSize: 5 }));
      expect(run).toMatchObject({ embedded: 4, failed: 1 });
      expect(run.failures[0]).toMatchObject({
        id: 'item2',
        error: { code: 'fetch', message: expect.stringContaining('HTTP 500') },
      });
      expect(jf.maxImagesInFlight).toBe(2);
    } finally {
      jf.imageDelayMs = 0;
    }
    expect(await ids(index)).not.toContain('item2');
  });

  it('fails clearly when Jellyfin refuses the key', async () => {
    const index = await newIndex(counting());
    await expect(
      indexJellyfinLibrary({ ...opts(index), jellyfin: { url: jf.url, apiKey: 'wrong' } }),
    ).rejects.toMatchObject({
      code: 'fetch',
      message: expect.stringContaining('HTTP 401'),
    });
  });

  it('indexes video keyframes when asked: frames, a pooled video row, skipped when unchanged, redone when the video changes', async () => {
    const long = await videos.make('movie.mp4', [...testsrc2(4), ...h264(25)]);
    const short = await videos.make('cut.mp4', [...testsrc2(2), ...h264(25)]);
    jf.items.clear();
    jf.items.set('film', {
      Id: 'film',
      Name: 'Film',
      Type: 'Movie',
      videoPath: long,
      Etag: 'e1',
      image: { bytes: photo('chelsea.jpg'), type: 'image/jpeg' },
    });
    const embedder = counting();
    const index = await newIndex(embedder);
    const keyframes = { keyframes: true as const };
    const first = await indexJellyfinLibrary(opts(index, { keyframes, embedder }));
    expect(first).toMatchObject({ total: 2, embedded: 2, failed: 0 });
    expect(await ids(index)).toEqual([
      'film',
      'film@t=0.000',
      'film@t=1.000',
      'film@t=2.000',
      'film@t=3.000',
      'film@video',
    ]);
    const [pooled] = await index.get(['film@video'], { namespace: 'jellyfin' });
    expect(pooled).toMatchObject({
      contentHash: 'e1',
      metadata: { kind: 'video', frames: 4, item_id: 'film' },
    });
    // The stream was read through the policy-checked source, with the key, seeking by range.
    expect(
      jf.requests.some((r) => r.path === '/Videos/film/stream' && r.query.get('static') === 'true'),
    ).toBe(true);

    jf.requests.length = 0;
    expect(await indexJellyfinLibrary(opts(index, { keyframes, embedder }))).toMatchObject({
      embedded: 0,
      unchanged: 2,
    });
    expect(jf.requests.some((r) => r.path.startsWith('/Videos/'))).toBe(false);

    jf.items.get('film')!.videoPath = short;
    jf.items.get('film')!.Etag = 'e2';
    const redone = await indexJellyfinLibrary(opts(index, { keyframes, embedder }));
    expect(redone).toMatchObject({ embedded: 1, unchanged: 1, removed: 2 });
    expect(await ids(index)).toEqual(['film', 'film@t=0.000', 'film@t=1.000', 'film@video']);
    // Frames are found by the image similarity search within their kind.
    const near = await index.nearest(
      { image: photo('chelsea.jpg') },
      { namespace: 'jellyfin', filter: { kind: 'frame' } },
    );
    expect(near.every((m) => m.metadata.kind === 'frame')).toBe(true);
  });
});
