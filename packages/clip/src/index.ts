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
