// The CLIP provider with the real @pmoves/clip embedder, loaded on demand, on a generated tiny model
// (deterministic test weights — scores are checked against the embedder's own cosines, never against
// fixed numbers). Images come from the shared fixtures, served on loopback (allowed explicitly).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClipEmbedder, type LocalClipEmbedder } from '@pmoves/clip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipBestMatch, createClipProvider, createReranker } from '../..';
import { loopbackGuard, startLoopback, type Loopback } from '../../../test/helpers/loopback';
import { IMAGE_FIXTURES, TINY_MODEL } from '../../../test/helpers/paths';
import { cos } from '../../../test/helpers/stub-embedder';

let images: Loopback;
let reference: LocalClipEmbedder;
const { guard, violations } = loopbackGuard();

beforeAll(async () => {
  images = await startLoopback(async (r, res) => {
    const name = r.path.slice(1);
    try {
      const bytes = await readFile(join(IMAGE_FIXTURES, name));
      res
        .writeHead(200, { 'content-type': 'image/jpeg', 'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT' })
        .end(bytes);
    } catch {
      res.writeHead(404).end();
    }
  });
  reference = await createClipEmbedder({ modelPath: TINY_MODEL, dtype: 'fp32', device: 'cpu' });
});
afterAll(async () => {
  await images.close();
  await reference.dispose();
});

describe('clip provider with the real embedder (generated tiny model)', () => {
  it('loads @pmoves/clip on demand and scores URL, bytes, path (inside a media root) and text candidates; bad images are warnings', async () => {
    const provider = createClipProvider({
      modelPath: TINY_MODEL,
      embedderOptions: { dtype: 'fp32', device: 'cpu' },
      fetchOptions: { allowedHosts: ['127.0.0.1'], connectGuard: guard },
      mediaRoots: [IMAGE_FIXTURES],
    });
    expect(provider.status!()).toEqual({ device: null, dtype: null, loaded: false });
    const astronaut = new Uint8Array(await readFile(join(IMAGE_FIXTURES, 'astronaut.jpg')));
    const reranker = createReranker({ providers: [provider] });
    const res = await reranker.rerank({
      query: 'a photo of a cat',
      candidates: [
        { id: 'chelsea-url', image: `${images.url}/chelsea.jpg`, metadata: { asset_id: 'A1' } },
        { id: 'astronaut-bytes', image: astronaut, metadata: { asset_id: 'A2' } },
        { id: 'coffee-path', image: join(IMAGE_FIXTURES, 'coffee.png'), metadata: { asset_id: 'A3' } },
        { id: 'corrupt-url', image: `${images.url}/not-an-image.jpg` },
        { id: 'private-url', image: 'http://192.168.1.20/cat.jpg' },
        { id: 'text-only', text: 'a cat sleeping on a sofa' },
      ],
    });
    expect(res).toMatchObject({ provider: 'clip', scoreKind: 'similarity', degraded: false });
    expect(provider.status!()).toEqual({ device: 'cpu', dtype: 'fp32', loaded: true });

    // Scores equal the embedder's own cosine of the query text against each input.
    const [q] = await reference.embedTexts(['a photo of a cat']);
    const chelsea = new Uint8Array(await readFile(join(IMAGE_FIXTURES, 'chelsea.jpg')));
    const imgs = await reference.embedImages([chelsea, astronaut, join(IMAGE_FIXTURES, 'coffee.png')]);
    const [t] = await reference.embedTexts(['a cat sleeping on a sofa']);
    const want: Record<string, number> = {
      'chelsea-url': cos(q!, imgs[0]!.embedding!),
      'astronaut-bytes': cos(q!, imgs[1]!.embedding!),
      'coffee-path': cos(q!, imgs[2]!.embedding!),
      'text-only': cos(q!, t!),
    };
    const byId = new Map(res.hits.map((h) => [h.id, h]));
    for (const [id, score] of Object.entries(want)) expect(byId.get(id)!.score).toBeCloseTo(score, 5);

    expect(byId.get('corrupt-url')).toMatchObject({ score: null, warning: expect.stringMatching(/decode/) });
    expect(byId.get('private-url')).toMatchObject({ score: null, warning: expect.stringMatching(/blocked/) });
    const imageIds = ['chelsea-url', 'astronaut-bytes', 'coffee-path'];
    const best = imageIds.reduce((a, b) => (want[a]! >= want[b]! ? a : b));
    expect(clipBestMatch(res)).toEqual({
      asset_id: { 'chelsea-url': 'A1', 'astronaut-bytes': 'A2', 'coffee-path': 'A3' }[best],
      score: expect.closeTo(want[best]!, 5),
      model: TINY_MODEL,
    });
    expect(clipBestMatch(res)!.score).toBeGreaterThanOrEqual(-1);
    expect(clipBestMatch(res)!.score).toBeLessThanOrEqual(1);
    expect(violations).toEqual([]);
    await reranker.dispose();
    expect(provider.status!().loaded).toBe(false);
  });
});
