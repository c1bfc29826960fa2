import { QwenAudioError } from '../errors';
import { MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL } from './migration';
// Every migration is idempotent, so the whole schema runs on each migrate().
import { parseRecord, rowToStored } from './row';
import type { AudioAnalysisStore } from './types';

/** The two calls the SQL store needs; `pg` pools and PGlite both provide them. */
export interface SqlConnection {
  /** Parameterised single statement. */
  query(text: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /**
   * Parameterless, possibly multi-statement SQL, on one connection; when it fails, an open transaction
   * is rolled back before the connection is used again.
   */
  exec(text: string): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Options of {@link createSqlStore}. */
export interface SqlStoreOptions {
  /** Which database this is, without secrets (named in errors, binds the CLI's resume state). */
  identity: string;
  /** Schema holding the table; default the connection's search_path. */
  schema?: string;
}

/**
 * The migration as one transaction that first takes a transaction-scoped advisory lock: replicas that
 * start together on an empty database run it one after another (the second finds everything there)
 * instead of racing on `create schema/table if not exists`, which PostgreSQL does not serialise.
 */
export function migrationScript(schema?: string): string {
  const lock = `select pg_advisory_xact_lock(hashtext('@pmoves/qwen-audio media_audio_analysis migration'));`;
  const target = schema
    ? `create schema if not exists ${quoteIdent(schema)}; set local search_path to ${quoteIdent(schema)};\n`
    : '';
  return `begin; ${lock}\n${target}${MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL}\ncommit;`;
}

/** `AudioAnalysisStore` over any SQL connection (shared by the Postgres and PGlite stores). */
export function createSqlStore(conn: SqlConnection, opts: SqlStoreOptions): AudioAnalysisStore {
  const { identity, schema } = opts;
  const table = schema ? `${quoteIdent(schema)}.media_audio_analysis` : 'media_audio_analysis';
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof QwenAudioError) throw err;
      throw new QwenAudioError('store', `store ${identity}: ${what} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    identity,
    migrate: () => wrap('migration', () => conn.exec(migrationScript(schema))),
    get: (itemId) =>
      wrap('read', async () => {
        const { rows } = await conn.query(`select * from ${table} where item_id = $1`, [itemId]);
        return rows[0] ? rowToStored(rows[0], 'stored') : null;
      }),
    upsert: (input) =>
      wrap('upsert', async () => {
        const r = parseRecord(input);
        await conn.query(
          `insert into ${table} (item_id, namespace, summary, tags, mood, confidence, confidence_source, language,
             model, backend, prompt_version, audio_sha256, duration_seconds, features, raw, status, error, transcript)
           values ($1, $2, $3, array(select jsonb_array_elements_text($4::jsonb)), $5, $6, $7, $8,
             $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17, $18::jsonb)
           on conflict (item_id) do update set namespace = excluded.namespace, summary = excluded.summary,
             tags = excluded.tags, mood = excluded.mood, confidence = excluded.confidence,
             confidence_source = excluded.confidence_source, language = excluded.language, model = excluded.model,
             backend = excluded.backend, prompt_version = excluded.prompt_version,
             audio_sha256 = excluded.audio_sha256, duration_seconds = excluded.duration_seconds,
             features = excluded.features, raw = excluded.raw, status = excluded.status, error = excluded.error,
             transcript = excluded.transcript, updated_at = now()`,
          [
            r.itemId,
            r.namespace,
            r.summary,
            JSON.stringify(r.tags),
            r.mood,
            r.confidence,
            r.confidenceSource,
            r.language,
            r.model,
            r.backend,
            r.promptVersion,
            r.audioSha256,
            r.durationSeconds,
            r.features === null ? null : JSON.stringify(r.features),
            r.raw === null || r.raw === undefined ? null : JSON.stringify(r.raw),
            r.status,
            r.error,
            r.transcript === null ? null : JSON.stringify(r.transcript),
          ],
        );
      }),
    recordFailure: (f) =>
      wrap('recording a failure', async () => {
        await conn.query(
          `insert into ${table} (item_id, namespace, model, backend, prompt_version, audio_sha256, status, error)
           values ($1, $2, $3, $4, $5, $6, 'failed', $7)
           on conflict (item_id) do update set status = 'failed', error = excluded.error, model = excluded.model,
             backend = excluded.backend, prompt_version = excluded.prompt_version,
             audio_sha256 = coalesce(excluded.audio_sha256, ${table}.audio_sha256), updated_at = now()`,
          [
            f.itemId,
            f.namespace ?? 'pmoves',
            f.model,
            f.backend,
            f.promptVersion,
            f.audioSha256 ?? null,
            f.error,
          ],
        );
      }),
    close: () => conn.close(),
  };
}
