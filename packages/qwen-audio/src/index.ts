/**
 * @pmoves/qwen-audio — Qwen2-Audio summaries, tags, mood and confidence for media audio, with
 * decoding, windowing, signal features and storage in `media_audio_analysis`. The backfill CLI is
 * the `pmoves-qwen-audio` bin (`npx -p @pmoves/qwen-audio pmoves-qwen-audio --help`).
 *
 * @packageDocumentation
 */

// The adapter and its configuration.
export { createQwenAudioAdapter } from './adapter/create';
export type { AudioInput, QwenAudioAdapter } from './adapter/create';
export { DEFAULT_QWEN_MODEL, qwenAudioAdapterOptionsSchema } from './adapter/options';
export type { QwenAudioAdapterOptions } from './adapter/options';
export { PROMPT_VERSION } from './adapter/prompt';
export type { AnalyzeOptions } from './pipeline/analyze';
export type { AudioBackend, BackendChatReply, BackendChatRequest } from './backends/types';
export { QWEN_AUDIO_ENV_VARS, audioStoreOptionsFromEnv, qwenAudioOptionsFromEnv } from './config/env';
export type { EnvParseOptions } from './config/env';
export { createAudioAnalysisStoreFromEnv, createQwenAudioAdapterFromEnv } from './config/compose';
export { QwenAudioError, isQwenAudioError } from './errors';
export type { QwenAudioErrorCode } from './errors';

// Results.
export {
  MAX_MOOD_CHARS,
  MAX_SUMMARY_CHARS,
  MAX_TAGS,
  analysisResultSchema,
  audioFeaturesSchema,
  backendNameSchema,
  chunkResultSchema,
  confidenceSourceSchema,
  skippedResultSchema,
  transcriptSchema,
  transcriptSegmentSchema,
} from './schema';
export type {
  AnalysisResult,
  AudioFeatures,
  BackendName,
  ChunkResult,
  ConfidenceSource,
  SkippedResult,
  Transcript,
  TranscriptSegment,
} from './schema';
export { extractFeatures, toAnalysisAudioV1Features } from './features/extract';
export { decodePcm } from './audio/decode';
export type { DecodeOptions } from './audio/decode';
export { resolveFfmpegPath } from './audio/ffmpeg';
export { measureAudioFeatures } from './pipeline/features';
export type { MeasureFeaturesOptions } from './pipeline/features';

// Storage and the analyse-and-store step.
export { MEDIA_AUDIO_ANALYSIS_MIGRATIONS, MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL } from './store/migration';
export type { Migration } from './store/migration';
export { audioAnalysisRecordSchema, needsAnalysis } from './store/types';
export type {
  AnalysisKey,
  AudioAnalysisRecord,
  AudioAnalysisRecordInput,
  AudioAnalysisStore,
  StoredAudioAnalysis,
} from './store/types';
export { createAudioAnalysisStore } from './store/options';
export type { AudioStoreOptions } from './store/options';
export { createPostgresStore } from './store/postgres';
export type { PostgresStoreOptions } from './store/postgres';
export { createPgliteStore } from './store/pglite';
export type { PgliteStoreOptions } from './store/pglite';
export { createSupabaseStore } from './store/supabase';
export type { SupabaseStoreOptions } from './store/supabase';
export { processItem } from './pipeline/process';
export type { ProcessItemOptions, ProcessOutcome } from './pipeline/process';
export type { ItemFailure } from './pipeline/failure';
