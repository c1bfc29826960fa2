// What each store does beyond the shared contract: the shipped migration, PGlite on disk, what
// goes over the wire to PostgREST and Qdrant (both loopback stand-ins), and the refusals.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { freshPglite } from '../../test/pglite';
import { startPostgrestStandIn } from '../../test/stand-ins/postgrest';
import { startQdrantStandIn, type QdrantStandIn } from '../../test/stand-ins/qdrant';
import { createClipIndex } from './clip-index';
import { buildMemoryMB, clipIndexMigrationSql } from './sql';
import { createPgliteClipStore } from './stores/pglite';
import { createPostgresClipStore } from './stores/postgres';
import { createQdrantClipStore, qdrantPointId } from './stores/qdrant';
import { createSupabaseClipStore } from './stores/supabase';

const SPACE = { model: 'test/clip-a', dtype: 'q8', preprocessing: 'fast@1' };
const v4 = (a: number, b: number, c: number, d: number) => [a, b, c, d];

describe('the shipped migration', () => {
  it('is clipIndexMigrationSql() for the defaults, runs twice on PGlite + pgvector, and builds an HNSW cosine index', async () => {
    const file = await readFile(new URL('../../migrations/001_clip_embeddings.sql', import.meta.url), 'utf8');
    expect(file).toBe(clipIndexMigrationSql());
    const db = await freshPglite();
    try {
      await db.exec(file);
      await db.exec(file);
      const idx = await db.query<{ indexdef: string }>(
        `select indexdef from pg_indexes where tablename = 'clip_embeddings' and indexname = 'clip_embeddings_embedding_hnsw'`,
      );
      expect(idx.rows[0]?.indexdef).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);
      const fn = await db.query(`select 1 from pg_proc where proname = 'match_clip_embeddings'`);
      expect(fn.rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

describe('PGlite store', () => {
  it('keeps the planner statistics fresh (no autovacuum in PGlite), so searches use the HNSW index', async () => {
    const db = await freshPglite();
    try {
      const index = await createClipIndex({
        store: await createPgliteClipStore({ db, dims: 4 }),
        space: SPACE,
      });
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        id: `r${i}`,
        embedding: v4(Math.sin(i), Math.cos(i), Math.sin(i * 7), 1),
      }));
      for (let at = 0; at < rows.length; at += 500) await index.upsert(rows.slice(at, at + 500));
      const stats = await db.query<{ n: number }>(
        `select reltuples::float8 as n from pg_class where relname = 'clip_embeddings'`,
      );
      expect(stats.rows[0]!.n).toBeGreaterThan(2000);
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `explain select asset_id from clip_embeddings where namespace = 'default' and model = 'test/clip-a'
         and metadata @> '{}' order by embedding <=> '[1,0,0,0]'::vector limit 10`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('clip_embeddings_embedding_hnsw');
    } finally {
      await db.close();
    }
  }, 120_000);

  it('a bulk upsert drops the HNSW index, writes, and builds it again; searches then use it', async () => {
    const db = await freshPglite();
    try {
      const store = await createPgliteClipStore({ db, dims: 4 });
      const index = await createClipIndex({ store, space: SPACE });
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        id: `r${i}`,
        embedding: v4(Math.sin(i), Math.cos(i), Math.sin(i * 7), 1),
      }));
      const statements: string[] = [];
      const query = db.query.bind(db);
      const exec = db.exec.bind(db);
      db.query = ((text: string, params?: unknown[]) => (
        statements.push(text),
        query(text, params)
      )) as typeof db.query;
      db.exec = ((text: string) => (statements.push(text), exec(text))) as typeof db.exec;
      expect((await index.upsert(rows, { bulk: true })).upserted).toBe(3000);
      const drop = statements.findIndex((t) => /drop index if exists clip_embeddings_embedding_hnsw/.test(t));
      const insert = statements.findIndex((t) => /^\s*insert into clip_embeddings/.test(t));
      const build = statements.findIndex((t) =>
        /create index if not exists clip_embeddings_embedding_hnsw/.test(t),
      );
      expect(drop).toBeGreaterThanOrEqual(0);
      expect(insert).toBeGreaterThan(drop);
      expect(build).toBeGreaterThan(insert);
      expect(statements[build]).toMatch(/set local maintenance_work_mem = '64MB'/);
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `explain select asset_id from clip_embeddings where namespace = 'default' and model = 'test/clip-a'
         and metadata @> '{}' order by embedding <=> '[1,0,0,0]'::vector limit 10`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('clip_embeddings_embedding_hnsw');
      // The build's setting is local to its query string (one implicit transaction): a larger one,
      // sent the same way, is gone afterwards.
      await db.exec(`set local maintenance_work_mem = '200MB'; select 1;`);
      expect((await db.query<{ maintenance_work_mem: string }>('show maintenance_work_mem')).rows[0]).toEqual(
        {
          maintenance_work_mem: '64MB',
        },
      );
    } finally {
      await db.close();
    }
  }, 120_000);

  it('sizes the build memory to the graph: 64 MB at least, about 370 MB for 100 000 × 512, 1 GB at most', () => {
    expect(buildMemoryMB(3000, 4)).toBe(64);
    expect(buildMemoryMB(100_000, 512)).toBe(367);
    expect(buildMemoryMB(10_000_000, 512)).toBe(1024);
  });

  it('a bulk upsert that fails part-way still builds the index back, keeps what was there, and says what failed', async () => {
    const db = await freshPglite();
    try {
      const store = await createPgliteClipStore({ db, dims: 4 });
      const keep = { model: SPACE.model, dtype: 'fp32', preprocessing: 'fast@1' };
      await store.upsert([
        {
          namespace: 'default',
          id: 'old',
          embedding: Float32Array.of(1, 0, 0, 0),
          space: keep,
          metadata: {},
        },
      ]);
      const rows = Array.from({ length: 1200 }, (_, i) => ({
        namespace: 'default',
        id: `r${i}`,
        // Row 700 has three numbers in a four-dimension table: its batch of 500 fails in the database.
        embedding: i === 700 ? Float32Array.of(1, 2, 3) : Float32Array.of(Math.sin(i), Math.cos(i), 1, 0),
        space: keep,
        metadata: {},
      }));
      const err = await store.upsert(rows, { bulk: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClipError);
      expect((err as ClipError).code).toBe('store');
      expect((err as ClipError).message).toMatch(/pglite index store: upsert failed: .*dimensions/);
      const idx = await db.query(
        `select 1 from pg_indexes where indexname = 'clip_embeddings_embedding_hnsw'`,
      );
      expect(idx.rows).toHaveLength(1);
      const hits = await store.search(Float32Array.of(1, 0, 0, 0), {
        namespace: 'default',
        model: SPACE.model,
        k: 1,
      });
      expect(hits[0]?.id).toBe('old');
      // The first batch (500 rows) was written before the failing one.
      const n = await db.query<{ n: number }>('select count(*)::int as n from clip_embeddings');
      expect(n.rows[0]!.n).toBe(501);
    } finally {
      await db.close();
    }
  }, 120_000);

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pmoves-clip-index-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps the index in its directory across reopening, and refuses a reopen with other dims', async () => {
    const first = await createClipIndex({
      store: await createPgliteClipStore({ path: dir, dims: 4 }),
      space: SPACE,
    });
    await first.upsert([{ id: 'kept', embedding: v4(1, 0, 0, 0), metadata: { n: 1 } }]);
    await first.close();
    const again = await createClipIndex({
      store: await createPgliteClipStore({ path: dir, dims: 4 }),
      space: SPACE,
    });
    expect(await again.bestMatch(v4(1, 0.1, 0, 0))).toMatchObject({ asset_id: 'kept', model: 'test/clip-a' });
    await again.close();
    await expect(createPgliteClipStore({ path: dir, dims: 8 })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(/holds 4-dimension vectors, but the index is configured for 8/),
    });
  }, 240_000); // three PGlite start-ups from disk
});

describe('Postgres store (node-postgres to PGlite + pgvector over pglite-socket)', () => {
  it('with migrate: false and no table, names the migration to apply', async () => {
    const db = await freshPglite();
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
    await server.start();
    try {
      const port = Number(/:(\d+)$/.exec(server.getServerConn())?.[1]);
      await expect(
        createPostgresClipStore({
          connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
          migrate: false,
          maxConnections: 1,
        }),
      ).rejects.toMatchObject({ code: 'store', message: expect.stringContaining('001_clip_embeddings.sql') });
    } finally {
      await server.stop();
      await db.close();
    }
  });

  it('refuses a connection string that is not postgres://', async () => {
    await expect(createPostgresClipStore({ connectionString: 'http://db' })).rejects.toMatchObject({
      code: 'invalid-input',
    });
  });
});

describe('Supabase store (supabase-js against the PostgREST stand-in)', () => {
  it('searches through rpc, upserts on (namespace, asset_id), and handles ids PostgREST lists cannot quote', async () => {
    const db = await freshPglite();
    await db.exec(clipIndexMigrationSql({ dims: 4 }));
    const standIn = await startPostgrestStandIn(db);
    try {
      const index = await createClipIndex({
        store: await createSupabaseClipStore({ url: standIn.url, key: standIn.key, dims: 4 }),
        space: SPACE,
      });
      const odd = 'say "hi", (twice)\\';
      await index.upsert([
        { id: odd, embedding: v4(1, 0, 0, 0) },
        { id: 'plain', embedding: v4(0, 1, 0, 0) },
      ]);
      const upsert = standIn.requests.find(
        (r) => r.method === 'POST' && r.path === '/rest/v1/clip_embeddings',
      )!;
      expect(upsert.query.get('on_conflict')).toBe('namespace,asset_id');
      expect(upsert.prefer).toMatch(/resolution=merge-duplicates/);
      expect((await index.get([odd, 'plain'])).map((e) => e.id).sort()).toEqual([odd, 'plain'].sort());
      expect((await index.similar('plain'))[0]?.asset_id).toBe(odd);
      expect(
        standIn.requests.some((r) => r.method === 'POST' && r.path === '/rest/v1/rpc/match_clip_embeddings'),
      ).toBe(true);
      await index.remove([odd]);
      expect(await index.get([odd])).toEqual([]);
      await index.close();
    } finally {
      await standIn.close();
      await db.close();
    }
  });

  it('without the table, says which migration to apply', async () => {
    const db = await freshPglite();
    const standIn = await startPostgrestStandIn(db);
    try {
      await expect(createSupabaseClipStore({ url: standIn.url, key: standIn.key })).rejects.toMatchObject({
        code: 'store',
        message: expect.stringMatching(/PGRST205.*001_clip_embeddings\.sql/),
      });
      await expect(createSupabaseClipStore({ url: standIn.url, key: 'wrong' })).rejects.toMatchObject({
        code: 'store',
      });
    } finally {
      await standIn.close();
      await db.close();
    }
  });
});

describe('Qdrant store (@qdrant/js-client-rest against the Qdrant stand-in)', () => {
  let q: QdrantStandIn;
  beforeAll(async () => {
    q = await startQdrantStandIn();
  });
  afterAll(() => q.close());

  it('creates its own collection with a named cosine vector and keyword payload indexes', async () => {
    const store = await createQdrantClipStore({ url: q.url, dims: 4 });
    const index = await createClipIndex({ store, space: SPACE });
    await index.upsert([{ id: 'a', embedding: v4(0, 0, 3, 0), metadata: { kind: 'primary' } }]);
    const c = q.collections.get('pmoves_clip')!;
    expect(c.vectors).toEqual({ clip: { size: 4, distance: 'Cosine' } });
    expect(Object.keys(c.indexes).sort()).toEqual(['asset_id', 'model', 'namespace']);
    expect([...c.points.keys()]).toEqual([qdrantPointId('default', 'a')]);
    expect(c.points.get(qdrantPointId('default', 'a'))!.payload).toMatchObject({
      namespace: 'default',
      asset_id: 'a',
      model: 'test/clip-a',
    });
    await index.nearest(v4(0, 0, 1, 0), { filter: { kind: 'primary' } });
    const query = q.requests.find((r) => r.path.endsWith('/points/query'))!;
    expect(query.body).toMatchObject({
      using: 'clip',
      filter: { must: expect.arrayContaining([{ key: 'metadata.kind', match: { value: 'primary' } }]) },
    });
  });

  it('never touches pmoves_chunks, and refuses an existing collection whose vector does not fit instead of recreating it', async () => {
    const before = q.requests.length;
    await expect(createQdrantClipStore({ url: q.url, collection: 'pmoves_chunks' })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('pmoves_chunks'),
    });
    expect(q.requests.length).toBe(before);
    q.seed('foreign', { clip: { size: 384, distance: 'Cosine' } });
    await expect(
      createQdrantClipStore({ url: q.url, collection: 'foreign', dims: 512 }),
    ).rejects.toMatchObject({
      code: 'store',
      message: expect.stringMatching(/384-dimension Cosine vector "clip", not 512-dimension/),
    });
    expect(q.collections.get('foreign')!.vectors).toEqual({ clip: { size: 384, distance: 'Cosine' } });
    expect(q.requests.some((r) => r.method === 'PUT' && r.path === '/collections/foreign')).toBe(false);
  });
});
