-- CLIP embeddings of library assets (@pmoves/clip): one row per (namespace, asset_id).
-- Vectors are L2-normalised; model, dtype and preprocessing say which embedding space a row is in,
-- and @pmoves/clip never compares rows of different models. Idempotent.
create extension if not exists vector;

create table if not exists clip_embeddings (
  namespace text not null,
  asset_id text not null,
  model text not null,
  dtype text not null,
  preprocessing text not null,
  content_hash text,
  metadata jsonb not null default '{}'::jsonb,
  embedding vector(512) not null,
  updated_at timestamptz not null default now(),
  primary key (namespace, asset_id)
);

create index if not exists clip_embeddings_embedding_hnsw on clip_embeddings
  using hnsw (embedding vector_cosine_ops);
create index if not exists clip_embeddings_namespace_model on clip_embeddings (namespace, model);

-- Nearest rows by cosine similarity (score = 1 - cosine distance, -1..1), for supabase-js:
--   supabase.rpc('match_clip_embeddings', { query_embedding, match_count, match_namespace, match_model, match_filter })
-- Iterative index scans keep filtered searches from coming back short.
create or replace function match_clip_embeddings(
  query_embedding vector(512),
  match_count integer default 10,
  match_namespace text default 'default',
  match_model text default null,
  match_filter jsonb default '{}'::jsonb,
  ef_search integer default 100
) returns table (
  asset_id text,
  score double precision,
  model text,
  dtype text,
  preprocessing text,
  content_hash text,
  metadata jsonb
)
language plpgsql stable
-- Plan the search with the actual vector and count: a cached generic plan sorts the whole table.
set plan_cache_mode = force_custom_plan
as $$
begin
  perform set_config('hnsw.ef_search', least(greatest(ef_search, match_count), 1000)::text, true);
  perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
  return query
    select r.asset_id, r.score, r.model, r.dtype, r.preprocessing, r.content_hash, r.metadata
    from (
      select e.asset_id, 1 - (e.embedding <=> query_embedding) as score, e.model, e.dtype,
             e.preprocessing, e.content_hash, e.metadata, e.embedding <=> query_embedding as distance
      from clip_embeddings e
      where e.namespace = match_namespace
        and (match_model is null or e.model = match_model)
        and e.metadata @> coalesce(match_filter, '{}'::jsonb)
      order by e.embedding <=> query_embedding
      limit match_count
    ) r
    order by r.distance;
end;
$$;
