/**
 * `@pmoves/clip/server` — the CLIP embedding server (no onnxruntime or sharp: it serves any
 * `ClipEmbedder` it is given): `POST /v1/embeddings` (OpenAI shape, with image items and per-item
 * errors), `GET /v1/models`, the original `POST /v1/embed/image` / `POST /v1/embed/text` /
 * `GET /v1/info`, `GET /healthz`, `GET /readyz` and `GET /metrics`; cross-request batching, a
 * bounded queue (429 + Retry-After), bearer auth and graceful shutdown; the wire format as zod
 * schemas for clients. See SERVER.md.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode, type EnvIssue } from '../errors';
export { createClipServer, type ClipServer } from './app';
export { startClipServer, type RunningClipServer, type StartClipServerOptions } from './listen';
export {
  clipServerOptionsFromEnv,
  ClipServerOptionsSchema,
  type ClipServerEnvOptions,
  type ClipServerOptions,
} from './options';
export type { ServerMetrics } from './metrics';
export {
  EmbeddingsDataSchema,
  EmbeddingsEncodingFormatSchema,
  EmbeddingsInputItemSchema,
  EmbeddingsRequestSchema,
  EmbeddingsResponseSchema,
  ErrorResponseSchema,
  ModelEntrySchema,
  ModelsResponseSchema,
  type EmbeddingsData,
  type EmbeddingsInputItem,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type ErrorResponse,
  type ModelsResponse,
} from './openai-wire';
export {
  decodeEmbedding,
  EmbedImageRequestSchema,
  EmbedImageResponseSchema,
  EmbeddingEncodingSchema,
  EmbedTextRequestSchema,
  EmbedTextResponseSchema,
  encodeEmbedding,
  ImageItemSchema,
  WireErrorSchema,
  type EmbedImageRequest,
  type EmbedImageResponse,
  type EmbeddingEncoding,
  type EmbedTextRequest,
  type EmbedTextResponse,
  type WireError,
} from './wire';
