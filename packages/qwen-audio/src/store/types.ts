import { z } from 'zod';
import { audioFeaturesSchema, confidenceSourceSchema, transcriptSchema } from '../schema';

/** One row of `media_audio_analysis` as the stores read and write it (camelCase). */
export const audioAnalysisRecordSchema = z.object({
  itemId: z.string().min(1).max(512),
  namespace: z.string().min(1).max(128).default('pmoves'),
  summary: z.string().nullable().default(null),
  tags: z.array(z.string()).default([]),
  mood: z.string().nullable().default(null),
  confidence: z.number().min(0).max(1).nullable().default(null),
  confidenceSource: confidenceSourceSchema.nullable().default(null),
  language: z.string().nullable().default(null),
  model: z.string().min(1),
  backend: z.string().min(1),
  promptVersion: z.string().min(1),
  audioSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'audioSha256 must be 64 lowercase hex characters')
    .nullable()
    .default(null),
  durationSeconds: z.number().nonnegative().nullable().default(null),
  features: audioFeaturesSchema.nullable().default(null),
  /** The speech transcript (migration 002); null when none was made or for rows written before it. */
  transcript: transcriptSchema.nullable().default(null),
  raw: z.unknown().nullable().default(null),
  status: z.enum(['ok', 'failed']),
  error: z.string().nullable().default(null),
});

/** A record to write (defaults filled in). */
export type AudioAnalysisRecord = z.output<typeof audioAnalysisRecordSchema>;
/** A record as callers may pass it (optional fields omitted). */
export type AudioAnalysisRecordInput = z.input<typeof audioAnalysisRecordSchema>;

/** A stored row, with its timestamps. */
export type StoredAudioAnalysis = AudioAnalysisRecord & {
  /** When the row was first written. */
  createdAt: Date;
  /** When the row was last written. */
  updatedAt: Date;
};

/** What decides whether an item needs (re-)analysis. */
export interface AnalysisKey {
  /** SHA-256 of the item's audio file. */
  audioSha256: string;
  /** Model name. */
  model: string;
  /** Prompt version (see PROMPT_VERSION). */
  promptVersion: string;
}

/** Storage of analyses in `media_audio_analysis`; implementations: Supabase, Postgres, PGlite. */
export interface AudioAnalysisStore {
  /**
   * Which database this is, without secrets (`pglite /data/db`, `postgres://user@host:5432/db`,
   * `supabase https://x.supabase.co`): named in errors and logs; the backfill binds its resume state
   * to it. Optional for your own stores (the backfill then never resumes from its state file).
   */
  readonly identity?: string;
  /** Creates the table and indexes if missing (runs the shipped migration). */
  migrate(): Promise<void>;
  /** The row for an item, or null. */
  get(itemId: string): Promise<StoredAudioAnalysis | null>;
  /** Inserts or replaces the row for `record.itemId` (upsert on the unique item id). */
  upsert(record: AudioAnalysisRecordInput): Promise<void>;
  /**
   * Records a failure (status `failed` + error) without erasing an earlier good analysis's
   * summary/tags: only status, error, model, backend, prompt version and hash are updated.
   */
  recordFailure(failure: {
    itemId: string;
    namespace?: string;
    model: string;
    backend: string;
    promptVersion: string;
    audioSha256?: string | null;
    error: string;
  }): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * Whether an item must be analysed: yes when forced, when there is no successful row, or when the
 * audio hash, model or prompt version differ from the stored ones.
 */
export async function needsAnalysis(
  store: AudioAnalysisStore,
  itemId: string,
  key: AnalysisKey,
  force = false,
): Promise<{ analyze: boolean; reason: string }> {
  if (force) return { analyze: true, reason: 'forced' };
  const row = await store.get(itemId);
  if (!row) return { analyze: true, reason: 'not analysed yet' };
  if (row.status !== 'ok') return { analyze: true, reason: `previous attempt ${row.status}` };
  if (row.audioSha256 !== key.audioSha256) return { analyze: true, reason: 'audio changed' };
  if (row.model !== key.model) return { analyze: true, reason: 'model changed' };
  if (row.promptVersion !== key.promptVersion) return { analyze: true, reason: 'prompt version changed' };
  return { analyze: false, reason: 'unchanged since last analysis' };
}
