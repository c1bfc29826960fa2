// One contract, every store: upsert, update, remove, nearest with namespace and filter, similar,
// listing, and the refusal to compare vectors of different models — run through the index on
//  - memory (exact scan),
//  - PGlite + pgvector in process,
//  - node-postgres against PGlite + pgvector over the PostgreSQL wire protocol (pglite-socket),
//  - supabase-js against a loopback PostgREST stand-in (SQL on PGlite + pgvector),
//  - @qdrant/js-client-rest against a loopback Qdrant stand-in.
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { freshPglite } from '../../test/pglite';
import { startPostgrestStandIn } from '../../test/stand-ins/postgrest';
import { startQdrantStandIn } from '../../test/stand-ins/qdrant';
import { createClipIndex, type ClipIndex } from './clip-index';
import { clipIndexMigrationSql } from './sql';
import { createMemoryClipStore } from './stores/memory';
import { createPgliteClipStore } from './stores/pglite';
import { createPostgresClipStore } from './stores/postgres';
import { createQdrantClipStore } from './stores/qdrant';
import { createSupabaseClipStore } from './stores/supabase';
import type { ClipVectorStore } from './types';

const DIMS = 8;
const MODEL = { model: 'test/clip-a', dtype: 'fp32', preprocessing: 'fast@1' };

/** Deterministic unit-ish vectors (test data, not embeddings of anything). */
function vec(seed: number): number[] {
  return Array.from({ length: DIMS }, (_, i) => (Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453) % 1);
}
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const cosine = (a: number[], b: number[]) => unit(a).reduce((s, x, i) => s + x * unit(b)[i]!, 0);

interface Harness {
  open(): Promise<ClipVectorStore>;
  cleanup(): Promise<void>;
}

const harnesses: [string, () => Promise<Harness>][] = [
  [
    'memory (exact scan)',
    async () => ({ open: async () => createMemoryClipStore({ dims: DIMS }), cleanup: async () => undefined }),
  ],
  [
    'PGlite + pgvector in process',
    async () => {
      const db = await freshPglite();
      return { open: () => createPgliteClipStore({ db, dims: DIMS }), cleanup: () => db.close() };
    },
  ],
  [
    'node-postgres over the wire protocol to PGlite + pgvector (pglite-socket)',
    async () => {
      const db = await freshPglite();
      const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
      await server.start();
      const port = Number(/:(\d+)$/.exec(server.getServerConn())?.[1]);
      return {
        open: () =>
          createPostgresClipStore({
            connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
            dims: DIMS,
          }),
        cleanup: async () => {
          await server.stop();
          await db.close();
        },
      };
    },
  ],
  [
    'supabase-js against a loopback PostgREST stand-in (SQL on PGlite + pgvector)',
    async () => {
      const db = await freshPglite();
      await db.exec(clipIndexMigrationSql({ dims: DIMS }));
      const standIn = await startPostgrestStandIn(db);
      return {
        open: () => createSupabaseClipStore({ url: standIn.url, key: standIn.key, dims: DIMS }),
        cleanup: async () => {
          await standIn.close();
          await db.close();
        },
      };
    },
  ],
  [
    '@qdrant/js-client-rest against a loopback Qdrant stand-in',
    async () => {
      const standIn = await startQdrantStandIn();
      return {
        open: () => createQdrantClipStore({ url: standIn.url, dims: DIMS }),
        cleanup: () => standIn.close(),
      };
    },
  ],
];

describe.each(harnesses)('store contract: %s', (_name, makeHarness) => {
  let harness: Harness;
  let index: ClipIndex;
  beforeAll(async () => {
    harness = await makeHarness();
    index = await createClipIndex({ store: await harness.open(), space: MODEL });
  });
  afterAll(async () => {
    await index?.close();
    await harness?.cleanup();
  });

  it('upserts vectors with their space, hash and metadata, normalised, and reads them back', async () => {
    const report = await index.upsert([
      { id: 'a', embedding: vec(1), contentHash: 'h-a', metadata: { kind: 'primary', year: 2001 } },
      { id: 'b', embedding: vec(2), metadata: { kind: 'primary', year: 2002 } },
      { id: 'c', embedding: vec(3), metadata: { kind: 'frame', nested: { x: [1, 'y'] } } },
      { id: 'bad', embedding: [1, 2, 3] },
      { id: 'zero', embedding: new Array(DIMS).fill(0) },
    ]);
    expect(report.upserted).toBe(3);
    expect(report.failed.map((f) => [f.id, f.error.code])).toEqual([
      ['bad', 'invalid-input'],
      ['zero', 'invalid-input'],
    ]);
    expect(report.failed[0]!.error.message).toMatch(/3 dimensions; the index holds 8/);
    const got = await index.get(['c', 'a', 'missing']);
    expect(got.map((e) => e.id).sort()).toEqual(['a', 'c']);
    const a = got.find((e) => e.id === 'a')!;
    expect(a).toMatchObject({
      namespace: 'default',
      space: MODEL,
      contentHash: 'h-a',
      metadata: { kind: 'primary', year: 2001 },
    });
    expect(got.find((e) => e.id === 'c')!.metadata).toEqual({ kind: 'frame', nested: { x: [1, 'y'] } });
    const [stored] = await index.store.get('default', ['a']);
    expect(Array.from(stored!.embedding).map((x) => Number(x.toFixed(5)))).toEqual(
      unit(vec(1)).map((x) => Number(x.toFixed(5))),
    );
  });

  it('nearest ranks by cosine similarity, best first, with the stored model', async () => {
    const hits = await index.nearest(vec(1), { k: 3 });
    expect(hits.map((h) => h.asset_id)).toEqual(
      ['a', 'b', 'c'].sort(
        (x, y) =>
          cosine(vec(1), vec({ a: 1, b: 2, c: 3 }[y]!)) - cosine(vec(1), vec({ a: 1, b: 2, c: 3 }[x]!)),
      ),
    );
    expect(hits[0]).toMatchObject({ asset_id: 'a', model: MODEL.model });
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    for (const h of hits)
      expect(h.score).toBeCloseTo(cosine(vec(1), vec({ a: 1, b: 2, c: 3 }[h.asset_id]!)), 5);
    expect(await index.nearest(vec(1), { k: 1 })).toHaveLength(1);
    expect(await index.bestMatch({ embedding: vec(2) })).toEqual({
      asset_id: 'b',
      score: expect.closeTo(1, 5),
      model: MODEL.model,
    });
  });

  it('filters by metadata and never crosses namespaces', async () => {
    expect(
      (await index.nearest(vec(3), { filter: { kind: 'primary' } })).map((h) => h.asset_id).sort(),
    ).toEqual(['a', 'b']);
    expect(
      (await index.nearest(vec(3), { filter: { kind: 'primary', year: 2002 } })).map((h) => h.asset_id),
    ).toEqual(['b']);
    expect(await index.nearest(vec(3), { filter: { kind: 'nothing' } })).toEqual([]);
    await index.upsert([{ id: 'a', namespace: 'other', embedding: vec(9), metadata: { kind: 'primary' } }]);
    expect((await index.nearest(vec(9), { k: 10 })).map((h) => h.asset_id)).not.toContain('other');
    const other = await index.nearest(vec(1), { k: 10, namespace: 'other' });
    expect(other.map((h) => h.asset_id)).toEqual(['a']);
    expect(other[0]!.score).toBeCloseTo(cosine(vec(1), vec(9)), 5);
    expect(await index.nearest(vec(1), { namespace: 'empty' })).toEqual([]);
  });

  it('an upsert of an existing id replaces its vector and metadata', async () => {
    await index.upsert([{ id: 'b', embedding: vec(7), metadata: { kind: 'frame' }, contentHash: 'h-b2' }]);
    const [b] = await index.get(['b']);
    expect(b).toMatchObject({ metadata: { kind: 'frame' }, contentHash: 'h-b2' });
    const best = await index.bestMatch(vec(7));
    expect(best?.asset_id).toBe('b');
    expect(best?.score).toBeCloseTo(1, 5);
    expect((await index.nearest(vec(1), { k: 10 })).filter((h) => h.asset_id === 'b')).toHaveLength(1);
  });

  it('similar finds the neighbours of a stored asset, without itself', async () => {
    const near = await index.similar('a', { k: 5 });
    expect(near.map((h) => h.asset_id).sort()).toEqual(['b', 'c']);
    await expect(index.similar('nope')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses to compare vectors of different models, saying which', async () => {
    const err = await index.nearest({ embedding: vec(1), model: 'test/clip-b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClipError);
    expect((err as ClipError).code).toBe('invalid-input');
    expect((err as ClipError).message).toMatch(
      /holds vectors of model test\/clip-a .*query is from model test\/clip-b/,
    );
    const report = await index.upsert([{ id: 'x', embedding: vec(4), space: { model: 'test/clip-b' } }]);
    expect(report.upserted).toBe(0);
    expect(report.failed[0]!.error.message).toMatch(/test\/clip-a .*item x is from model test\/clip-b/);
    // Another namespace may hold another model.
    expect(
      (
        await index.upsert([
          { id: 'x', namespace: 'b-space', embedding: vec(4), space: { model: 'test/clip-b' } },
        ])
      ).upserted,
    ).toBe(1);
    expect(
      (await index.nearest({ embedding: vec(4), model: 'test/clip-b' }, { namespace: 'b-space' }))[0]
        ?.asset_id,
    ).toBe('x');
  });

  it('removes by id (unknown ids ignored) and lists every entry of a namespace', async () => {
    await index.remove(['c', 'never-was']);
    expect(await index.get(['c'])).toEqual([]);
    expect((await index.nearest(vec(3), { k: 10 })).map((h) => h.asset_id)).not.toContain('c');
    const many = Array.from({ length: 1100 }, (_, i) => ({
      id: `m${String(i).padStart(4, '0')}`,
      namespace: 'many',
      embedding: vec(100 + i),
    }));
    expect((await index.upsert(many)).upserted).toBe(1100);
    const listed: string[] = [];
    for await (const e of index.entries({ namespace: 'many' })) listed.push(e.id);
    expect(listed.sort()).toEqual(many.map((m) => m.id));
    await index.remove(
      many.slice(0, 600).map((m) => m.id),
      { namespace: 'many' },
    );
    const left: string[] = [];
    for await (const e of index.entries({ namespace: 'many' })) left.push(e.id);
    expect(left).toHaveLength(500);
  });

  it('a bulk upsert writes what a plain one writes, replaces existing ids, and the index still searches', async () => {
    const bulk = Array.from({ length: 1200 }, (_, i) => ({
      id: `k${i}`,
      namespace: 'bulk',
      embedding: vec(5000 + i),
      metadata: { half: i % 2 },
    }));
    expect((await index.upsert(bulk, { bulk: true })).upserted).toBe(1200);
    // Again, with new vectors for the first ten: replaced, not duplicated.
    const again = bulk.slice(0, 10).map((b, i) => ({ ...b, embedding: vec(9000 + i) }));
    expect((await index.upsert(again, { bulk: true })).upserted).toBe(10);
    const hit = await index.nearest(vec(9003), { k: 3, namespace: 'bulk' });
    expect(hit[0]).toMatchObject({ asset_id: 'k3', metadata: { half: 1 } });
    expect(hit[0]!.score).toBeCloseTo(1, 5);
    expect((await index.nearest(vec(5500), { k: 1, namespace: 'bulk' }))[0]?.asset_id).toBe('k500');
    expect(
      (await index.nearest(vec(5501), { k: 5, namespace: 'bulk', filter: { half: 0 } })).every(
        (h) => h.metadata.half === 0,
      ),
    ).toBe(true);
    const listed: string[] = [];
    for await (const e of index.entries({ namespace: 'bulk' })) listed.push(e.id);
    expect(listed).toHaveLength(1200);
  });
});
