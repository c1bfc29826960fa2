/**
 * @pmoves/qwen-audio — Qwen2-Audio summaries, tags, mood and confidence for media audio, with
 * decoding, chunking, signal features, storage in `media_audio_analysis` and a resumable backfill CLI.
 *
 * @packageDocumentation
 */

export { createQwenAudioAdapter, qwenAudioAdapterOptionsSchema, sha256File } from './adapter/create.js';
export type {
  AnalyzeOptions,
  AudioInput,
  QwenAudioAdapter,
  QwenAudioAdapterOptions,
} from './adapter/create.js';
export { PROMPT_VERSION } from './adapter/prompt.js';
export { parseModelJson } from './adapter/parse.js';
export type { ParseOutcome } from './adapter/parse.js';
export { createOllamaBackend } from './backends/ollama.js';
export type { OllamaBackendOptions } from './backends/ollama.js';
export { createOpenAIBackend } from './backends/openai.js';
export type { OpenAIBackendOptions } from './backends/openai.js';
export type { AudioBackend, BackendChatReply, BackendChatRequest } from './backends/types.js';
export { DEFAULT_QWEN_MODEL, readQwenAudioEnv } from './config/env.js';
export type { QwenAudioEnv } from './config/env.js';
export { QwenAudioError } from './errors.js';
export type { QwenAudioErrorCode } from './errors.js';
export { QWEN_SAMPLE_RATE, probeAudio, resolveFfmpegPath } from './audio/ffmpeg.js';
export type { ProbeResult } from './audio/ffmpeg.js';
export { decodePcm, streamPcm } from './audio/decode.js';
export type { DecodeOptions } from './audio/decode.js';
export { encodeWav, parseWavHeader } from './audio/wav.js';
export type { WavHeader } from './audio/wav.js';
export { MAX_WINDOW_SECONDS, planWindows } from './audio/windows.js';
export type { AudioWindow, WindowPlanOptions } from './audio/windows.js';
export { prepareWindows } from './audio/prepare.js';
export type { PrepareWindowsOptions, PreparedWindow } from './audio/prepare.js';
export { FeatureAccumulator, extractFeatures, toAnalysisAudioV1Features } from './features/extract.js';
export { estimateTempo } from './features/tempo.js';
export {
  MAX_TAGS,
  analysisResultSchema,
  audioFeaturesSchema,
  backendNameSchema,
  chunkResultSchema,
  confidenceSourceSchema,
  modelReplySchema,
  normalizeTags,
  skippedResultSchema,
} from './schema.js';
export type {
  AnalysisResult,
  AudioFeatures,
  BackendName,
  ChunkResult,
  ConfidenceSource,
  ModelReply,
  SkippedResult,
} from './schema.js';
export { MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL } from './store/migration.js';
export { audioAnalysisRecordSchema, needsAnalysis } from './store/types.js';
export type {
  AnalysisKey,
  AudioAnalysisRecord,
  AudioAnalysisRecordInput,
  AudioAnalysisStore,
  StoredAudioAnalysis,
} from './store/types.js';
export { createPostgresStore } from './store/postgres.js';
export type { PostgresStoreOptions } from './store/postgres.js';
export { createPgliteStore } from './store/pglite.js';
export type { PgliteStoreOptions } from './store/pglite.js';
export { createSupabaseStore } from './store/supabase.js';
export type { SupabaseStoreOptions } from './store/supabase.js';
export { processItem } from './pipeline/process.js';
export type { ProcessItemOptions, ProcessOutcome } from './pipeline/process.js';
export { runCli } from './cli/backfill.js';
export type { BackfillIo, BackfillSummary } from './cli/backfill.js';
