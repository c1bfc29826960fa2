// The SQL of migrations/*.sql, inlined so the package needs no file loader (tsx, vitest, tsup ESM
// and CJS all import it alike). store/sql.test.ts asserts the strings and the files are identical.

/** One migration: its file name (without `.sql`) and its SQL. Each is idempotent. */
export interface Migration {
  /** File name without `.sql`, e.g. `001_media_audio_analysis`. */
  readonly name: string;
  /** The statements. */
  readonly sql: string;
}

/** The migrations of `media_audio_analysis`, in order (001: the table; 002: the transcript column). */
export const MEDIA_AUDIO_ANALYSIS_MIGRATIONS: readonly Migration[] = [
  {
    name: '001_media_audio_analysis',
    sql: `-- media_audio_analysis: one row per media item analysed by @pmoves/qwen-audio (the CLIP/Qwen
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
`,
  },
  {
    name: '002_transcript',
    sql: `-- 002: the speech transcript of each analysis ({ text, language, segments: [{ start, end, text }],
-- confidence, confidenceSource, scope }; see @pmoves/qwen-audio's README). Additive and idempotent:
-- safe to run on every start; rows written before it keep every value and read transcript = null.
alter table media_audio_analysis add column if not exists transcript jsonb;
`,
  },
];

/**
 * Every migration's SQL in order (idempotent): the whole schema. Apply it to Supabase with the
 * Supabase CLI / SQL editor; the Postgres and PGlite stores run it from `migrate()`.
 */
export const MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL: string = MEDIA_AUDIO_ANALYSIS_MIGRATIONS.map(
  (m) => m.sql,
).join('\n');
