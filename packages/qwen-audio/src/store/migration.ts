// The SQL of migrations/001_media_audio_analysis.sql, inlined so the package needs no file loader
// (tsx, vitest, tsup ESM and CJS all import it alike). test/store.test.ts asserts both are identical.

/**
 * SQL of `migrations/001_media_audio_analysis.sql` (idempotent). Apply it to Supabase with the
 * Supabase CLI / SQL editor; the Postgres and PGlite stores run it from `migrate()`.
 */
export const MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL: string = `-- media_audio_analysis: one row per media item analysed by @pmoves/qwen-audio (the CLIP/Qwen
-- integration plan's table), beside PMOVES's existing media / media_analysis tables.
-- Idempotent: safe to run on every start. Used as-is by the Postgres and PGlite stores and as the
-- Supabase migration.
create table if not exists media_audio_analysis (
  id bigint generated always as identity primary key,
  item_id text not null unique,
  namespace text not null default 'pmoves',
  summary text,
  tags text[] not null default '{}',
  mood text,
  confidence double precision check (confidence is null or (confidence >= 0 and confidence <= 1)),
  confidence_source text,
  language text,
  model text not null,
  backend text not null,
  prompt_version text not null,
  audio_sha256 text check (audio_sha256 is null or audio_sha256 ~ '^[0-9a-f]{64}$'),
  duration_seconds double precision,
  features jsonb,
  raw jsonb,
  status text not null check (status in ('ok', 'failed')),
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index if not exists media_audio_analysis_namespace_idx on media_audio_analysis (namespace);
create index if not exists media_audio_analysis_status_idx on media_audio_analysis (status);
create index if not exists media_audio_analysis_tags_idx on media_audio_analysis using gin (tags);
`;
