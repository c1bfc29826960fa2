// The publisher's start-up configuration: one error naming every bad variable — its own, the
// reranker's and the CLIP index's — and when the CLIP index is on.
import { describe, expect, it } from 'vitest';
import { ExampleConfigError } from '../../common/src/env';
import { tinyClipEnv } from '../../test/models';
import { clipIndexConfigured, loadPublisherConfig } from './config';

const errorOf = async (env: Record<string, string>) =>
  (await loadPublisherConfig(env).then(
    () => undefined,
    (e: unknown) => e,
  )) as ExampleConfigError | undefined;

describe('loadPublisherConfig', () => {
  it('names every bad variable at once: its own, the CLIP index store, the similar-asset count and CLIP_*', async () => {
    const err = await errorOf({
      ...tinyClipEnv(),
      CLIP_DTYPE: 'fp64',
      CLIP_INDEX_STORE: 'qdrant', // QDRANT_URL missing
      PUBLISHER_CLIP_SIMILAR_K: '0',
      PUBLISHER_AUDIO_TIMEOUT: 'later',
    });
    expect(err).toBeInstanceOf(ExampleConfigError);
    for (const v of ['CLIP_DTYPE', 'QDRANT_URL', 'PUBLISHER_CLIP_SIMILAR_K', 'PUBLISHER_AUDIO_TIMEOUT'])
      expect(err!.message).toContain(v);
  });

  it('turns CLIP on with an index and reads the index store; no index without CLIP_INDEX_STORE or CLIP_INDEX_PATH', async () => {
    const withIndex = await loadPublisherConfig({
      ...tinyClipEnv(),
      CLIP_INDEX_PATH: '/data/clip-index',
      CLIP_INDEX_DIMS: '16',
      PUBLISHER_CLIP_SIMILAR_K: '7',
    });
    expect(withIndex.clip).toBe(true);
    expect(withIndex.rerank?.providers.map((p) => p.provider)).toEqual(['clip']);
    expect(withIndex.clipIndex?.store).toMatchObject({ kind: 'pglite', path: '/data/clip-index', dims: 16 });
    expect(withIndex.similarK).toBe(7);

    const without = await loadPublisherConfig(tinyClipEnv());
    expect(without.clip).toBe(true);
    expect(without.clipIndex).toBeUndefined();
    expect(without.similarK).toBe(5);
    expect(clipIndexConfigured({ CLIP_INDEX_STORE: ' ' })).toBe(false);

    const off = await loadPublisherConfig({
      CLIP_INDEX_PATH: '/data/clip-index',
      PUBLISHER_CLIP_ENABLE: 'false',
    });
    expect(off.clip).toBe(false);
    expect(off.rerank).toBeUndefined();
    expect(off.clipIndex).toBeUndefined();
  });
});
