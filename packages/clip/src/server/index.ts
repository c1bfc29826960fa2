/**
 * The CLIP embedding server: `POST /v1/embed/image` (`{inputs: [{url} | {base64}]}`, per-item
 * results), `POST /v1/embed/text` (`{texts}`), `GET /v1/info`, `GET /healthz`. Embeddings are
 * base64 little-endian float32 by default (`encoding: "float"` for JSON numbers).
 *
 * @packageDocumentation
 */
export { createClipServer, ClipServerOptionsSchema, type ClipServer, type ClipServerOptions } from './app';
export { startClipServer, type RunningClipServer, type StartClipServerOptions } from './listen';
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
