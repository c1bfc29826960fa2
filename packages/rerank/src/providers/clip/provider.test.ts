import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clipBestMatch, createClipProvider, createNoneProvider, createReranker, type Candidate } from '../..';
import { loopbackGuard, startLoopback, type Loopback } from '../../../test/helpers/loopback';
import { cos, stubEmbedder, vectorFor, type StubEmbedder } from '../../../test/helpers/stub-embedder';

let images: Loopback;
let { guard, violations } = loopbackGuard();

beforeAll(async () => {
  images = await startLoopback((r, res) => {
    const path = r.path.split('?')[0];
    if (path === '/cat.png') {
      if (r.headers['if-none-match'] === '"c1"') return void res.writeHead(304, { etag: '"c1"' }).end();
      return void res.writeHead(200, { 'content-type': 'image/png', etag: '"c1"' }).end('IMG:cat');
    }
    if (path === '/dog.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end('IMG:dog');
    if (path === '/corrupt.png')
      return void res.writeHead(200, { 'content-type': 'image/png' }).end('\x89PNG garbage');
    if (path?.startsWith('/n/')) {
      return void res.writeHead(200, { 'content-type': 'image/png' }).end(`IMG:${path.slice(3)}`);
    }
    res.writeHead(404).end();
  });
});
afterAll(() => images.close());

let embedder: StubEmbedder;
beforeEach(() => {
  embedder = stubEmbedder();
  images.received.length = 0;
  ({ guard, violations } = loopbackGuard());
});

const fetchOptions = () => ({ allowedHosts: ['127.0.0.1'], connectGuard: guard });
const fetches = (path: string) => images.received.filter((r) => r.path === path);

describe('clip provider (stub embedder)', () => {
  it('scores text against images from URL, bytes and precomputed embeddings; text-text without image', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions() });
    const candidates: Candidate[] = [
      { id: 'a', image: `${images.url}/cat.png`, metadata: { asset_id: 'asset-cat' } },
      { id: 'b', image: `${images.url}/dog.png` },
      { id: 'c', image: `${images.url}/corrupt.png` },
      { id: 'd', image: 'http://10.0.0.1/private.png' },
      { id: 'e', text: 'cat' },
      { id: 'f', embedding: Array.from(vectorFor('kitten')), metadata: { asset_id: 'asset-kitten' } },
      { id: 'g', image: new TextEncoder().encode('IMG:bird') },
      { id: 'h' },
      { id: 'i', embedding: [1, 2, 3] },
      { id: 'j', image: `${images.url}/missing.png` },
    ];
    const res = await createReranker({ providers: [provider] }).rerank({ query: 'cat', candidates });
    expect(res).toMatchObject({
      provider: 'clip',
      scoreKind: 'similarity',
      degraded: false,
      model: 'stub-clip',
    });
    const q = vectorFor('cat');
    const expected: Record<string, number> = {
      a: 1,
      b: cos(q, vectorFor('dog')),
      e: 1,
      f: cos(q, vectorFor('kitten')),
      g: cos(q, vectorFor('bird')),
    };
    const scored = res.hits.filter((h) => h.score !== null);
    expect(scored.map((h) => h.id).sort()).toEqual(Object.keys(expected).sort());
    for (const h of scored) {
      expect(h.score).toBeCloseTo(expected[h.id]!, 5);
      expect(h.normalizedScore).toBeCloseTo((expected[h.id]! + 1) / 2, 5);
    }
    // Sorted best first; unscored after, in request order, each with its reason.
    const scores = scored.map((h) => h.score!);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    const unscored = res.hits.filter((h) => h.score === null);
    expect(unscored.map((h) => h.id)).toEqual(['c', 'd', 'h', 'i', 'j']);
    expect(unscored[0]!.warning).toMatch(/decode/);
    expect(unscored[1]!.warning).toMatch(/blocked.*10\.0\.0\.1/);
    expect(unscored[2]!.warning).toBe('clip scores text/image only and this candidate has none');
    expect(unscored[3]!.warning).toMatch(/3 dimensions, the model 8/);
    expect(unscored[4]!.warning).toMatch(/\(fetch\).*HTTP 404/);
    expect(res.warnings.filter((w) => w.startsWith('candidate '))).toHaveLength(5);
    // Best image match (text-text matches do not count): cosine −1..1 with the asset id.
    const best = { asset_id: 'asset-cat', score: expect.closeTo(1, 5), model: 'stub-clip' };
    expect(res.providerMetadata).toEqual({ clip: { bestMatch: best } });
    expect(clipBestMatch(res)).toEqual(best);
    expect(violations).toEqual([]);
    await provider.dispose();
  });

  it('caches embeddings: a repeated query neither refetches nor re-embeds', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions() });
    const r = createReranker({ providers: [provider] });
    const candidates = [
      { id: 'a', image: `${images.url}/cat.png` },
      { id: 'b', image: `${images.url}/dog.png` },
      { id: 'e', text: 'a dog' },
    ];
    const first = await r.rerank({ query: 'cat', candidates });
    const calls = embedder.imagesEmbedded;
    const texts = embedder.textsEmbedded;
    const requests = images.received.length;
    const second = await r.rerank({ query: 'cat', candidates });
    expect(second.hits).toEqual(first.hits);
    expect(embedder.imagesEmbedded).toBe(calls);
    expect(embedder.textsEmbedded).toBe(texts);
    expect(images.received.length).toBe(requests);
    expect(provider.cacheStats().hits).toBeGreaterThanOrEqual(4);
    await provider.dispose();
  });

  it('revalidates with the ETag (304 → cached embedding) and keys validator-less images by content hash', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions(), revalidateAfterMs: 0 });
    const r = createReranker({ providers: [provider] });
    const candidates = [
      { id: 'a', image: `${images.url}/cat.png` },
      { id: 'b', image: `${images.url}/dog.png` },
    ];
    await r.rerank({ query: 'cat', candidates });
    expect(embedder.imagesEmbedded).toBe(2);
    await r.rerank({ query: 'cat', candidates });
    expect(fetches('/cat.png').map((x) => x.headers['if-none-match'])).toEqual([undefined, '"c1"']);
    expect(fetches('/dog.png')).toHaveLength(2);
    expect(embedder.imagesEmbedded).toBe(2);
    await provider.dispose();
  });

  it('embeds each distinct image once per call, windows large lists, embeds the query once', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions(), maxCandidatesPerCall: 16 });
    const candidates = Array.from({ length: 50 }, (_, i) => ({
      id: `c${i}`,
      image: `${images.url}/n/${i % 10}`,
    }));
    const res = await createReranker({ providers: [provider] }).rerank({ query: '7', candidates, topN: 5 });
    expect(res.hits).toHaveLength(5);
    expect(res.hits.slice(0, 5).every((h) => h.score! > 0.9999)).toBe(true);
    expect(res.hits.map((h) => h.id)).toEqual(['c7', 'c17', 'c27', 'c37', 'c47']);
    // The best match over all windows (merged by the provider, not the chain).
    expect(clipBestMatch(res)).toMatchObject({ asset_id: 'c7', score: expect.closeTo(1, 5) });
    expect(embedder.textsEmbedded).toBe(1);
    expect(embedder.imagesEmbedded).toBeLessThanOrEqual(40); // ≤ 10 distinct per window of 16, 4 windows
    await provider.dispose();
  });

  it('an image query scores image against image', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions() });
    const res = await createReranker({ providers: [provider] }).rerank({
      query: { image: new TextEncoder().encode('IMG:dog') },
      candidates: [
        { id: 'a', image: `${images.url}/cat.png` },
        { id: 'b', image: `${images.url}/dog.png` },
      ],
    });
    expect(res.hits[0]).toMatchObject({ id: 'b', score: expect.closeTo(1, 5) });
  });

  it('when no candidate can be scored, the next provider answers and says why', async () => {
    const provider = createClipProvider({ embedder, fetchOptions: fetchOptions() });
    const res = await createReranker({ providers: [provider, createNoneProvider()] }).rerank({
      query: 'cat',
      candidates: [
        { id: 'x', image: `${images.url}/corrupt.png` },
        { id: 'y', image: 'http://169.254.169.254/latest/meta-data/' },
      ],
    });
    expect(res).toMatchObject({ provider: 'none', degraded: true });
    expect(res.warnings[0]).toMatch(
      /^clip failed: clip could not score any candidate \(image not scored \(decode\)/,
    );
    expect(violations).toEqual([]);
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createClipProvider({ cacheSize: 0 })).toThrow(/cacheSize/);
    expect(() => createClipProvider({ endpoint: 'not a url' })).toThrow(/endpoint/);
  });
});
