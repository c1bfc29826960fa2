import sql from './migrations/001_media_audio_analysis.sql?raw';

/**
 * SQL of `migrations/001_media_audio_analysis.sql` (idempotent). Apply it to Supabase with the
 * Supabase CLI / SQL editor; the Postgres and PGlite stores run it from `migrate()`.
 */
export const MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL: string = sql;
