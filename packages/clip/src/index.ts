/**
 * `@pmoves/clip` — CLIP image/text embeddings on onnxruntime.
 *
 * @packageDocumentation
 */
export { ClipError, type ClipErrorCode } from './errors';
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
export { DEFAULT_MODEL, type ClipEmbedderOptions } from './embedder/options';
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
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  parsePreprocessorConfig,
  preprocessorConfigSchema,
  type Preprocessor,
  type PreprocessorConfig,
  type PreprocessorOptions,
  type RgbImage,
} from './preprocess';
export {
  createRemoteClipEmbedder,
  remoteClipOptionsFromEnv,
  RemoteClipOptionsSchema,
  type RemoteClipEmbedder,
  type RemoteClipOptions,
} from './remote';
export {
  ClipServerOptionsSchema,
  createClipServer,
  decodeEmbedding,
  encodeEmbedding,
  startClipServer,
  type ClipServer,
  type ClipServerOptions,
  type RunningClipServer,
  type StartClipServerOptions,
} from './server';
export {
  classifyAddress,
  createImageFetcher,
  fetchImage,
  imageFetchOptionsFromEnv,
  ImageFetchOptionsSchema,
  type AddressVerdict,
  type ConnectGuard,
  type ConnectTarget,
  type FetchCallOptions,
  type FetchedImage,
  type HostLookup,
  type ImageFetcher,
  type ImageFetchOptions,
  type ResolvedAddress,
} from './fetch';
