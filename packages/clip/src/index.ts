/**
 * `@pmoves/clip` — CLIP image/text embeddings on onnxruntime: the local embedder and its
 * environment parsers, the remote client, model pull and quantization. `@pmoves/clip/server` (the
 * embedding server and its wire schemas), `@pmoves/clip/fetch` (the SSRF-safe image fetcher) and
 * `@pmoves/clip/config` (the environment parsers) load neither onnxruntime nor sharp.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode, type EnvIssue } from './errors';
export type {
  ClipDevice,
  ClipDtype,
  ClipEmbedder,
  ClipInfo,
  ImageEmbeddingResult,
  ImageInput,
  PreprocessingMode,
  ProviderAttempt,
  RawImage,
} from './types';
export { createClipEmbedder, type LocalClipEmbedder } from './embedder/embedder';
export { createClipEmbedderFromEnv, type ClipFromEnvOverrides } from './embedder/from-env';
export { DEFAULT_MODEL, type ClipEmbedderOptions } from './embedder/options';
export type { EnvVarInfo } from '@pmoves/internal';
export { CLIP_ENV_VARS, clipEmbedderOptionsFromEnv, clipSetupFromEnv, type ClipSetup } from './config/env';
export { ClipTokenizer, type TokenBatch } from './tokenizer';
export {
  cosineSimilarity,
  similarities,
  topK,
  type EmbeddingVector,
  type SimilarityMatch,
} from './similarity';
export {
  createPreprocessor,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PIXELS,
  DEFAULT_PREPROCESSOR_CONFIG,
  parsePreprocessorConfig,
  preprocessorConfigSchema,
  type Preprocessor,
  type PreprocessorConfig,
  type PreprocessorOptions,
  type RgbImage,
} from './preprocess';
// Each of these folders' index is its public part, whole (the entry test holds the list).
export * from './hub';
export * from './quantize';
export * from './remote';
export * from './fetch';
