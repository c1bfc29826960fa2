// The one mapping between media_audio_analysis rows (snake_case columns) and records (camelCase),
// shared by the SQL stores (Postgres, PGlite) and the Supabase store.
import { describeZodIssues } from '@pmoves/internal';
import { QwenAudioError } from '../errors';
import { audioAnalysisRecordSchema } from './types';
import type { AudioAnalysisRecord, StoredAudioAnalysis } from './types';

/** Validates a record before it is written; `invalid-input` names the failing field. */
export function parseRecord(input: unknown): AudioAnalysisRecord {
  const parsed = audioAnalysisRecordSchema.safeParse(input);
  if (!parsed.success) {
    throw new QwenAudioError(
      'invalid-input',
      `invalid analysis record: ${describeZodIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data;
}

/** Reads a row back into a validated record; `source` names the store in the error. */
export function rowToStored(row: Record<string, unknown>, source: string): StoredAudioAnalysis {
  const parsed = audioAnalysisRecordSchema.safeParse({
    itemId: row.item_id,
    namespace: row.namespace,
    summary: row.summary,
    tags: row.tags,
    mood: row.mood,
    confidence: row.confidence,
    confidenceSource: row.confidence_source,
    language: row.language,
    model: row.model,
    backend: row.backend,
    promptVersion: row.prompt_version,
    audioSha256: row.audio_sha256,
    durationSeconds: row.duration_seconds,
    features: row.features,
    transcript: row.transcript ?? null,
    raw: row.raw,
    status: row.status,
    error: row.error,
  });
  if (!parsed.success) {
    throw new QwenAudioError('store', `${source} row is invalid: ${describeZodIssues(parsed.error.issues)}`);
  }
  return { ...parsed.data, createdAt: toDate(row.created_at), updatedAt: toDate(row.updated_at) };
}

// pg and PGlite hand timestamptz back as a Date, PostgREST as an ISO string. `String(date)` would
// drop the milliseconds, and two writes in the same second would then read back as equal.
const toDate = (v: unknown): Date => (v instanceof Date ? new Date(v.getTime()) : new Date(String(v)));
