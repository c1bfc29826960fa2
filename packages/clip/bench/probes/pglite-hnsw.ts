// Probe: where PGlite + pgvector time goes for the index's statements (insert through
// jsonb_to_recordset with the HNSW index present, the match function, the bare ORDER BY query).
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { clipIndexMigrationSql, vectorText } from '../../src/library/sql';

const N = Number(process.argv[2] ?? 2000);
const db = await PGlite.create('memory://', { extensions: { vector } });
await db.exec(clipIndexMigrationSql());
if (process.argv.includes('--bulk')) await db.exec('drop index clip_embeddings_embedding_hnsw');
const rand = () => {
  const v = Array.from({ length: 512 }, () => Math.random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
let t = performance.now();
for (let at = 0; at < N; at += 500) {
  const rows = Array.from({ length: Math.min(500, N - at) }, (_, i) => ({
    namespace: 'default',
    asset_id: `v${at + i}`,
    model: 'm',
    dtype: 'fp32',
    preprocessing: 'x',
    content_hash: null,
    metadata: {},
    embedding: vectorText(rand()),
  }));
  await db.query(
    `insert into clip_embeddings (namespace, asset_id, model, dtype, preprocessing, content_hash, metadata, embedding)
     select r.namespace, r.asset_id, r.model, r.dtype, r.preprocessing, r.content_hash, coalesce(r.metadata, '{}'::jsonb), r.embedding::vector
     from jsonb_to_recordset($1::jsonb) as r(namespace text, asset_id text, model text, dtype text, preprocessing text, content_hash text, metadata jsonb, embedding text)`,
    [JSON.stringify(rows)],
  );
}
if (process.argv.includes('--bulk')) {
  const t1 = performance.now();
  await db.exec(
    'create index clip_embeddings_embedding_hnsw on clip_embeddings using hnsw (embedding vector_cosine_ops)',
  );
  console.log(`create index after load: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
}
await db.exec('analyze clip_embeddings');
console.log(
  `insert ${N} (then analyze): ${((performance.now() - t) / 1000).toFixed(1)} s, CPU ${JSON.stringify(process.cpuUsage())}`,
);
const q = vectorText(rand());
for (const [name, sql, params] of [
  ['function', `select * from match_clip_embeddings($1::vector, 10, 'default', 'm', '{}'::jsonb, 100)`, [q]],
  ['bare order by', `select asset_id from clip_embeddings order by embedding <=> $1::vector limit 10`, [q]],
  [
    'filtered order by',
    `select asset_id from clip_embeddings where namespace = 'default' and model = 'm' and metadata @> '{}' order by embedding <=> $1::vector limit 10`,
    [q],
  ],
] as const) {
  for (let i = 0; i < 3; i++) await db.query(sql, [...params]);
  t = performance.now();
  for (let i = 0; i < 20; i++) await db.query(sql, [...params]);
  console.log(`${name}: ${((performance.now() - t) / 20).toFixed(2)} ms`);
}
for (const sql of [
  `explain analyze select asset_id from clip_embeddings where namespace = 'default' and model = 'm' and metadata @> '{}' order by embedding <=> '${q}'::vector limit 10`,
  `explain analyze select asset_id from clip_embeddings order by embedding <=> '${q}'::vector limit 10`,
])
  console.log((await db.query<{ 'QUERY PLAN': string }>(sql)).rows.map((r) => r['QUERY PLAN']).join('\n'));
await db.close();
