// The CLIP provider configured like PMOVES (RERANK_PROVIDER=clip, CLIP_ENDPOINT): it loads the remote
// client from @pmoves/clip on demand and talks to a pmoves-clip-server on loopback (stub embedder).
import { startClipServer, type RunningClipServer } from '@pmoves/clip/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipBestMatch, createRerankerFromEnv } from '../..';
import { startLoopback, type Loopback } from '../../../test/helpers/loopback';
import { cos, stubEmbedder, vectorFor } from '../../../test/helpers/stub-embedder';

let clip: RunningClipServer;
let images: Loopback;

beforeAll(async () => {
  clip = await startClipServer({ embedder: stubEmbedder(), port: 0 });
  images = await startLoopback((r, res) => {
    if (r.path === '/cat.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end('IMG:cat');
    else res.writeHead(404).end();
  });
});
afterAll(async () => {
  await clip.close();
  await images.close();
});

describe('clip provider over CLIP_ENDPOINT', () => {
  it('reranks through the remote embedding server, falls back when it is down', async () => {
    const env = {
      RERANK_PROVIDER: 'clip',
      RERANK_FALLBACK: 'none',
      CLIP_ENDPOINT: clip.url,
      CLIP_TIMEOUT: '5',
      CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1',
    };
    const reranker = await createRerankerFromEnv(env);
    const res = await reranker.rerank({
      query: 'cat',
      candidates: [
        { id: 'dog', text: 'dog' },
        { id: 'cat', image: `${images.url}/cat.jpg`, metadata: { asset_id: 'vid-1' } },
        { id: 'private', image: 'http://[fd00::1]/x.jpg' },
      ],
    });
    expect(res).toMatchObject({ provider: 'clip', model: 'stub-clip', degraded: false });
    expect(res.hits.map((h) => h.id)).toEqual(['cat', 'dog', 'private']);
    expect(res.hits[1]!.score).toBeCloseTo(cos(vectorFor('cat'), vectorFor('dog')), 5);
    expect(res.hits[2]!.warning).toMatch(/blocked/);
    expect(clipBestMatch(res)).toEqual({
      asset_id: 'vid-1',
      score: expect.closeTo(1, 5),
      model: 'stub-clip',
    });
    expect(reranker.status()).toMatchObject({ provider: 'clip', device: 'remote', loaded: true });
    await reranker.dispose();

    const down = await createRerankerFromEnv({ ...env, CLIP_ENDPOINT: 'http://127.0.0.1:9' });
    const fallback = await down.rerank({ query: 'cat', candidates: [{ id: 'a', text: 'x' }] });
    expect(fallback).toMatchObject({ provider: 'none', degraded: true });
    expect(fallback.warnings[0]).toMatch(/^clip failed: .*unreachable/);
  });
});
