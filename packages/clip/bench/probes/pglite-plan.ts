// Probe: the plans PGlite + pgvector choose for the index's search, with parameters and inside
// the match function, before and after ANALYZE.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { clipIndexMigrationSql, vectorText } from '../../src/library/sql';

const N = Number(process.argv[2] ?? 3000);
const db = await PGlite.create('memory://', { extensions: { vector } });
await db.exec(clipIndexMigrationSql());
await db.exec('drop index clip_embeddings_embedding_hnsw');
const rand = () => {
  const v = Array.from({ length: 512 }, () => Math.random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const rows = Array.from({ length: N }, (_, i) => ({
  namespace: 'default',
  asset_id: `v${i}`,
  model: 'm',
  dtype: 'fp32',
  preprocessing: 'x',
  metadata: {},
  embedding: vectorText(rand()),
}));
await db.query(
  `insert into clip_embeddings (namespace, asset_id, model, dtype, preprocessing, metadata, embedding)
   select r.namespace, r.asset_id, r.model, r.dtype, r.preprocessing, r.metadata, r.embedding::vector
   from jsonb_to_recordset($1::jsonb) as r(namespace text, asset_id text, model text, dtype text, preprocessing text, metadata jsonb, embedding text)`,
  [JSON.stringify(rows)],
);
await db.exec(
  'create index clip_embeddings_embedding_hnsw on clip_embeddings using hnsw (embedding vector_cosine_ops)',
);
const q = vectorText(rand());
const plan = async (label: string, sql: string, params: unknown[]) => {
  const r = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, costs off) ${sql}`, params);
  const lines = r.rows.map((x) =>
    x['QUERY PLAN'].replace(/'\[[^\]]*\]'/g, "'[…]'").replace(/\[[-0-9.,e]{200,}\]/g, '[…]'),
  );
  console.log(`--- ${label}\n${lines.filter((l) => /Scan|Sort|Execution|Function/.test(l)).join('\n')}`);
};
const time = async (label: string, sql: string, params: unknown[]) => {
  for (let i = 0; i < 3; i++) await db.query(sql, params);
  const t = performance.now();
  for (let i = 0; i < 20; i++) await db.query(sql, params);
  console.log(`${label}: ${((performance.now() - t) / 20).toFixed(2)} ms`);
};
const filtered = `select asset_id from clip_embeddings where namespace = $2 and model = $3 and metadata @> '{}' order by embedding <=> $1::vector limit 10`;
const fn = `select * from match_clip_embeddings($1::vector, 10, 'default', 'm', '{}'::jsonb, 100)`;
for (const stage of ['before analyze', 'after analyze']) {
  if (stage === 'after analyze') await db.exec('analyze clip_embeddings');
  await plan(`${stage}: filtered, parameters`, filtered, [q, 'default', 'm']);
  await time(`${stage}: filtered, parameters`, filtered, [q, 'default', 'm']);
  await time(`${stage}: match function`, fn, [q]);
}
await db.exec(`create or replace function match_dyn(q vector(512), n integer, ns text, m text, f jsonb, ef integer)
returns table (asset_id text, score double precision) language plpgsql stable as $f$
begin
  perform set_config('hnsw.ef_search', ef::text, true);
  perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
  return query execute 'select e.asset_id, 1 - (e.embedding <=> $1) from clip_embeddings e where e.namespace = $2 and e.model = $3 and e.metadata @> $4 order by e.embedding <=> $1 limit $5' using q, ns, m, f, n;
end $f$`);
await time(
  'dynamic-SQL function',
  `select * from match_dyn($1::vector, 10, 'default', 'm', '{}'::jsonb, 100)`,
  [q],
);
await time(
  'set_config only',
  `select set_config('hnsw.ef_search', '100', false), set_config('hnsw.iterative_scan', 'relaxed_order', false)`,
  [],
);
await time('match function again', fn, [q]);
await time('filtered again', filtered, [q, 'default', 'm']);
await db.close();
