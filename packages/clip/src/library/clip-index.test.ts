// The index with a real embedder (the tiny generated model: real tensor contract, meaningless
// weights) over the exact memory store, the embedding-space identity, and the environment reader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClipEmbedder } from '../embedder/embedder';
import { tinyEmbedder } from '../../test/embedders';
import { ClipError } from '../errors';
import type { ClipEmbedder, ClipInfo } from '../types';
import { IMAGE_FIXTURES } from '../../test/models';
import { createClipIndex, type ClipIndex } from './clip-index';
import { clipIndexOptionsFromEnv, createClipIndexFromEnv, CLIP_INDEX_ENV_VARS } from './env';
import { embeddingSpaceOf, modelId } from './space';
import { createMemoryClipStore } from './stores/memory';

const photo = (f: string) => new Uint8Array(readFileSync(join(IMAGE_FIXTURES, f)));
let embedder: LocalClipEmbedder;
let index: ClipIndex;

beforeAll(async () => {
  embedder = await tinyEmbedder();
  index = await createClipIndex({ store: createMemoryClipStore({ dims: embedder.info().dims }), embedder });
});
afterAll(async () => {
  await index.close();
  await embedder.dispose();
});

describe('ClipIndex with an embedder', () => {
  it('takes its space from the embedder: a stable model id, the dtype, the preprocessing revision', () => {
    expect(index.space).toEqual({ model: 'tiny/xenova-split', dtype: 'fp32', preprocessing: 'fast@1' });
  });

  it('embeds image items (a bad one is reported, the rest written) and answers image and text queries', async () => {
    const report = await index.upsert([
      { id: 'cat', image: photo('chelsea.jpg'), metadata: { kind: 'primary' } },
      { id: 'coffee', image: photo('coffee.png'), metadata: { kind: 'primary' } },
      { id: 'rocket', image: photo('rocket.jpg'), metadata: { kind: 'primary' } },
      { id: 'broken', image: photo('not-an-image.jpg') },
      { id: 'both', image: photo('coffee.png'), embedding: [1] },
    ]);
    expect(report.upserted).toBe(3);
    expect(report.failed.map((f) => [f.id, f.error.code])).toEqual([
      ['both', 'invalid-input'],
      ['broken', 'decode'],
    ]);
    const best = await index.bestMatch({ image: photo('coffee.png') });
    expect(best).toEqual({ asset_id: 'coffee', score: expect.closeTo(1, 5), model: 'tiny/xenova-split' });
    const byText = await index.nearest({ text: 'a cup of coffee' }, { k: 3 });
    expect(byText).toHaveLength(3);
    const [textVector] = await embedder.embedTexts(['a cup of coffee']);
    const [stored] = await index.store.get('default', [byText[0]!.asset_id]);
    expect(byText[0]!.score).toBeCloseTo(
      stored!.embedding.reduce((s, x, i) => s + x * textVector![i]!, 0),
      5,
    );
    expect(byText[0]!.score).toBeGreaterThanOrEqual(byText[2]!.score);
  });

  it('validates queries and options, naming the field', async () => {
    await expect(index.nearest([1, 2, 3])).rejects.toThrow(/3 dimensions; the index holds 16/);
    await expect(index.nearest({ text: 'x' }, { k: 0 })).rejects.toThrow(
      /"k" must be an integer from 1 to 1000/,
    );
    await expect(index.nearest({ text: 'x' }, { filter: { a: [1] as never } })).rejects.toThrow(
      /filter key "a"/,
    );
    await expect(index.nearest({ text: 'x' }, { namespace: '' })).rejects.toThrow(/namespace/);
    const noEmbedder = await createClipIndex({ store: createMemoryClipStore({ dims: 16 }) });
    await expect(noEmbedder.nearest({ text: 'x' })).rejects.toThrow(
      /needs an index created with an embedder/,
    );
    await expect(noEmbedder.nearest(new Array(16).fill(1))).rejects.toThrow(/needs \{ embedding, model \}/);
    expect(
      (await noEmbedder.upsert([{ id: 'a', embedding: new Array(16).fill(1) }])).failed[0]!.error.message,
    ).toMatch(/no model known/);
  });
});

describe('embedding space', () => {
  it('modelId drops the machine-specific directory of a model id, and shortens a model directory', () => {
    expect(modelId('Xenova/clip-vit-base-patch32 (/root/.cache/huggingface/hub/models--Xenova--clip)')).toBe(
      'Xenova/clip-vit-base-patch32',
    );
    expect(modelId('/srv/models/openai/clip-vit-base-patch32/')).toBe('openai/clip-vit-base-patch32');
    expect(modelId('Xenova/clip-vit-base-patch32')).toBe('Xenova/clip-vit-base-patch32');
    expect(modelId('stub-clip')).toBe('stub-clip');
  });

  it('asks a remote embedder what the server runs before reading its info', async () => {
    let info: ClipInfo = {
      ...embedder.info(),
      model: 'http://clip:8095',
      dtype: 'fp32',
      preprocessing: 'fast',
    };
    const remote = {
      ...embedder,
      info: () => info,
      refreshInfo: async () => {
        info = {
          ...info,
          model: 'Xenova/clip-vit-base-patch32 (/models)',
          dtype: 'q8',
          preprocessing: 'exact',
        };
        return info;
      },
    } as ClipEmbedder;
    expect(await embeddingSpaceOf(remote)).toEqual({
      model: 'Xenova/clip-vit-base-patch32',
      dtype: 'q8',
      preprocessing: 'exact@1',
    });
    expect((await embeddingSpaceOf(remote, { model: 'mine' })).model).toBe('mine');
  });
});

describe('clipIndexOptionsFromEnv', () => {
  it('defaults to PGlite in memory, and on disk with CLIP_INDEX_PATH', () => {
    expect(clipIndexOptionsFromEnv({})).toEqual({
      store: { kind: 'pglite', dims: 512, table: 'clip_embeddings', efSearch: 100 },
      namespace: 'default',
    });
    expect(
      clipIndexOptionsFromEnv({ CLIP_INDEX_PATH: '/data/clip', CLIP_INDEX_NAMESPACE: 'jellyfin' }),
    ).toMatchObject({
      store: { kind: 'pglite', path: '/data/clip' },
      namespace: 'jellyfin',
    });
  });

  it('reads each store’s variables: Postgres (falling back to DATABASE_URL), Supabase, Qdrant', () => {
    expect(
      clipIndexOptionsFromEnv({
        CLIP_INDEX_STORE: 'postgres',
        DATABASE_URL: 'postgres://u:p@db/x',
        CLIP_INDEX_TIMEOUT: '5',
      }).store,
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db/x',
      dims: 512,
      table: 'clip_embeddings',
      efSearch: 100,
      timeoutMs: 5000,
    });
    expect(
      clipIndexOptionsFromEnv({
        CLIP_INDEX_STORE: 'supabase',
        SUPABASE_URL: 'https://x.supabase.co',
        SUPABASE_SERVICE_ROLE_KEY: 'k',
      }).store,
    ).toMatchObject({ kind: 'supabase', url: 'https://x.supabase.co', key: 'k' });
    expect(
      clipIndexOptionsFromEnv({
        CLIP_INDEX_STORE: 'QDRANT',
        QDRANT_URL: 'http://qdrant:6333',
        CLIP_INDEX_DIMS: '768',
      }).store,
    ).toEqual({
      kind: 'qdrant',
      url: 'http://qdrant:6333',
      collection: 'pmoves_clip',
      dims: 768,
      efSearch: 100,
      timeoutMs: 30000,
    });
  });

  it('names every bad or missing variable in one config error, without echoing secrets', () => {
    const err = (() => {
      try {
        clipIndexOptionsFromEnv({
          CLIP_INDEX_STORE: 'qdrant',
          CLIP_INDEX_DIMS: '0',
          CLIP_INDEX_EF_SEARCH: 'lots',
          CLIP_INDEX_TIMEOUT: '-1',
          CLIP_INDEX_TABLE: 'Bad-Name',
          CLIP_INDEX_QDRANT_COLLECTION: 'pmoves_chunks',
        });
      } catch (e) {
        return e as ClipError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ClipError);
    expect(err!.code).toBe('config');
    for (const name of [
      'CLIP_INDEX_DIMS',
      'CLIP_INDEX_EF_SEARCH',
      'CLIP_INDEX_TIMEOUT',
      'CLIP_INDEX_TABLE',
      'CLIP_INDEX_QDRANT_COLLECTION',
      'QDRANT_URL',
    ]) {
      expect(err!.message).toContain(name);
    }
    expect(() => clipIndexOptionsFromEnv({ CLIP_INDEX_STORE: 'redis' })).toThrow(
      /CLIP_INDEX_STORE must be one of pglite, memory, postgres, supabase, qdrant/,
    );
    const secret = (() => {
      try {
        clipIndexOptionsFromEnv({
          CLIP_INDEX_STORE: 'postgres',
          CLIP_INDEX_DATABASE_URL: 'mysql://root:hunter2@db',
        });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(secret).toContain('CLIP_INDEX_DATABASE_URL');
    expect(secret).not.toContain('hunter2');
    expect(() => clipIndexOptionsFromEnv({ CLIP_INDEX_STORE: 'supabase' })).toThrow(
      /SUPABASE_URL.*SUPABASE_SERVICE_ROLE_KEY/,
    );
  });

  it('lists every variable it reads', () => {
    expect(CLIP_INDEX_ENV_VARS.map((v) => v.name)).toEqual(
      expect.arrayContaining([
        'CLIP_INDEX_STORE',
        'CLIP_INDEX_PATH',
        'QDRANT_URL',
        'CLIP_INDEX_QDRANT_COLLECTION',
        'DATABASE_URL',
      ]),
    );
    expect(CLIP_INDEX_ENV_VARS.find((v) => v.name === 'QDRANT_API_KEY')?.secret).toBe(true);
  });

  it('createClipIndexFromEnv opens the configured store with the embedder', async () => {
    const fromEnv = await createClipIndexFromEnv(
      { CLIP_INDEX_STORE: 'memory', CLIP_INDEX_DIMS: '16', CLIP_INDEX_MODEL: 'org/tiny' },
      { embedder },
    );
    expect(fromEnv.store.kind).toBe('memory');
    expect(fromEnv.space?.model).toBe('org/tiny');
    await fromEnv.close();
  });
});
