// Benchmark of the CLIP index stores: N clustered 512-dimension unit vectors (like CLIP embeddings
// of a library: many near-duplicates around a few hundred themes), then Q held-out queries from the
// same distribution. Per store: ingest rate through ClipIndex.upsert (one bulk upsert, which builds
// the pgvector HNSW index after the rows; `--ingest live` writes 1 000 at a time into the live
// index instead), the rate of 1 000 live upserts into the full index afterwards, query latency of
// ClipIndex.nearest (k = 10; p50/p99), and recall@10 against the exact scan. Stores measured: the exact in-process scan (memory), PGlite + pgvector
// HNSW in process, node-postgres over the wire protocol to PGlite + pgvector (pglite-socket).
// Qdrant and Supabase are not measured: only stand-ins of them run here.
//
// Run: `npm run bench:index -w @pmoves/clip` (flock /tmp/pmoves-bench.lock). Options:
//   --count N (100000), --queries Q (500), --clusters C (256), --stores memory,pglite,postgres,
//   --ef 40,100,200 (pgvector ef_search values measured on PGlite; the first store uses the default),
//   --ingest bulk|live (bulk).
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import {
  createClipIndex,
  createMemoryClipStore,
  createPgliteClipStore,
  createPostgresClipStore,
  type ClipVectorStore,
} from '../src/library/index';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('count', '100000'));
const Q = Number(arg('queries', '500'));
const C = Number(arg('clusters', '256'));
const STORES = arg('stores', 'memory,pglite,postgres').split(',');
const EFS = arg('ef', '40,100,200').split(',').map(Number);
const INGEST = arg('ingest', 'bulk');
if (INGEST !== 'bulk' && INGEST !== 'live') throw new Error('--ingest is bulk or live');
const DIMS = 512;
const K = 10;
const SPACE = { model: 'bench/clustered-512', dtype: 'fp32', preprocessing: 'none' };

/** A seeded PRNG (mulberry32) and standard normals (Box–Muller), so every run sees the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/** Unit vectors around C centres; noise 0.9 puts a vector at cosine ≈ 0.74 from its centre. */
function clustered(count: number, seed: number, centres: Float32Array[]): Float32Array[] {
  const g = rng(seed);
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const c = centres[Math.floor(Math.abs(g() * 1e6)) % centres.length]!;
    const v = new Float32Array(DIMS);
    for (let d = 0; d < DIMS; d++) v[d] = c[d]! + (0.9 * g()) / Math.sqrt(DIMS);
    out.push(normalise(v));
  }
  return out;
}

const seeded = rng(7);
const CENTRES = Array.from({ length: C }, () =>
  normalise(Float32Array.from({ length: DIMS }, () => seeded())),
);

function exactTop(data: Float32Array[], q: Float32Array): string[] {
  const top: [number, number][] = [];
  data.forEach((v, i) => {
    let s = 0;
    for (let d = 0; d < DIMS; d++) s += v[d]! * q[d]!;
    if (top.length === K && s <= top[K - 1]![0]) return;
    top.push([s, i]);
    top.sort((a, b) => b[0] - a[0]);
    if (top.length > K) top.pop();
  });
  return top.map(([, i]) => `v${i}`);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Row {
  store: string;
  ingest?: string;
  ingestPerSecond?: number;
  ingestSeconds?: number;
  liveUpsertPerSecond?: number;
  p50Ms: number;
  p99Ms: number;
  searchP50Ms: number;
  recallAt10: number;
}

async function measure(
  name: string,
  store: ClipVectorStore,
  data: Float32Array[],
  queries: Float32Array[],
  truth: string[][],
  ingest: boolean,
): Promise<Row> {
  const index = await createClipIndex({ store, space: SPACE });
  let ingestSeconds: number | undefined;
  if (ingest) {
    const t0 = performance.now();
    const step = INGEST === 'bulk' ? data.length : 1000;
    for (let at = 0; at < data.length; at += step) {
      const r = await index.upsert(
        data.slice(at, at + step).map((embedding, i) => ({ id: `v${at + i}`, embedding })),
        { bulk: INGEST === 'bulk' },
      );
      if (r.failed.length) throw new Error(`${name}: ${r.failed[0]!.error.message}`);
      if ((at / step) % 10 === 0) process.stderr.write(`  ${name}: ${at + step}/${data.length} ingested\n`);
    }
    ingestSeconds = (performance.now() - t0) / 1000;
  }
  for (const q of queries.slice(0, 20)) await index.nearest(q, { k: K }); // warm-up
  const lat: number[] = [];
  const searchLat: number[] = [];
  let hits = 0;
  for (let i = 0; i < queries.length; i++) {
    const t0 = performance.now();
    const got = await index.nearest(queries[i]!, { k: K });
    lat.push(performance.now() - t0);
    const t1 = performance.now();
    await store.search(queries[i]!, { namespace: 'default', model: SPACE.model, k: K });
    searchLat.push(performance.now() - t1);
    const want = new Set(truth[i]);
    hits += got.filter((g) => want.has(g.asset_id)).length;
  }
  // Live writes into the full index, in a namespace of their own (after the searches above).
  let liveUpsertPerSecond: number | undefined;
  if (ingest) {
    const extra = clustered(1000, 17, CENTRES);
    const t0 = performance.now();
    for (let at = 0; at < extra.length; at += 100) {
      await index.upsert(
        extra
          .slice(at, at + 100)
          .map((embedding, i) => ({ id: `live${at + i}`, namespace: 'live', embedding })),
      );
    }
    liveUpsertPerSecond = Math.round(extra.length / ((performance.now() - t0) / 1000));
  }
  const row: Row = {
    store: name,
    ...(ingestSeconds !== undefined
      ? {
          ingest: INGEST === 'bulk' ? 'one bulk upsert' : 'upserts of 1000 into the live index',
          ingestSeconds: Number(ingestSeconds.toFixed(1)),
          ingestPerSecond: Math.round(data.length / ingestSeconds),
          liveUpsertPerSecond,
        }
      : {}),
    p50Ms: Number(pct(lat, 50).toFixed(2)),
    p99Ms: Number(pct(lat, 99).toFixed(2)),
    searchP50Ms: Number(pct(searchLat, 50).toFixed(2)),
    recallAt10: Number((hits / (K * queries.length)).toFixed(4)),
  };
  process.stderr.write(`  ${JSON.stringify(row)}\n`);
  return row;
}

async function main(): Promise<void> {
  const started = Date.now();
  const data = clustered(N, 11, CENTRES);
  const queries = clustered(Q, 13, CENTRES);
  process.stderr.write(`data: ${N} × ${DIMS} around ${C} centres; ${Q} queries; exact ground truth…\n`);
  const truth = queries.map((q) => exactTop(data, q));
  const rows: Row[] = [];
  if (STORES.includes('memory')) {
    rows.push(
      await measure(
        'memory (exact scan, in process)',
        createMemoryClipStore({ dims: DIMS }),
        data,
        queries,
        truth,
        true,
      ),
    );
  }
  if (STORES.includes('pglite')) {
    const db = await PGlite.create('memory://', { extensions: { vector } });
    const [first, ...others] = EFS;
    rows.push(
      await measure(
        `PGlite + pgvector HNSW, ef_search ${first}`,
        await createPgliteClipStore({ db, dims: DIMS, efSearch: first }),
        data,
        queries,
        truth,
        true,
      ),
    );
    for (const ef of others) {
      rows.push(
        await measure(
          `PGlite + pgvector HNSW, ef_search ${ef}`,
          await createPgliteClipStore({ db, dims: DIMS, efSearch: ef }),
          data,
          queries,
          truth,
          false,
        ),
      );
    }
    await db.close();
  }
  if (STORES.includes('postgres')) {
    const db = await PGlite.create('memory://', { extensions: { vector } });
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
    await server.start();
    const port = Number(/:(\d+)$/.exec(server.getServerConn())?.[1]);
    const store = await createPostgresClipStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      dims: DIMS,
      maxConnections: 1,
      // The server behind is PGlite, which runs no autovacuum: keep its statistics as the PGlite
      // store does, or the planner sorts the whole table instead of using the HNSW index.
      analyze: true,
      // A 1000-vector live upsert inserts into HNSW row by row: minutes on a loaded machine.
      timeoutMs: 600_000,
    });
    rows.push(
      await measure(
        'node-postgres → PGlite + pgvector over pglite-socket, ef_search 100',
        store,
        data,
        queries,
        truth,
        true,
      ),
    );
    await store.close();
    await server.stop();
    await db.close();
  }
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    load: execFileSync('uptime', { encoding: 'utf8' }).trim(),
    count: N,
    queries: Q,
    clusters: C,
    seconds: Math.round((Date.now() - started) / 1000),
    rows,
  };
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
