// The embedding server's wire format, shared by the server and the remote client.
// Embeddings travel as base64 of little-endian float32 (4 bytes per dimension, a third of the
// size of JSON numbers and bit-exact) unless the request asks for `encoding: "float"`.
import { z } from 'zod';

/** Embedding encodings: `base64` (little-endian float32, the default) or `float` (JSON numbers). */
export const EmbeddingEncodingSchema = z.enum(['base64', 'float']);

/**
 * One image to embed: `{ url }` (an http(s) URL the server fetches under its SSRF policy, or a
 * `data:` URI) or `{ base64 }` (bare base64 or a `data:` URI). The reference itself is checked per
 * item: a bad URL or invalid base64 is that item's `invalid-input` error, not a failed request.
 */
export const ImageItemSchema = z.union([
  z.object({ url: z.string().min(1) }).strict(),
  z.object({ base64: z.string().min(1) }).strict(),
]);

/** `POST /v1/embed/image` body. */
export const EmbedImageRequestSchema = z.object({
  inputs: z.array(ImageItemSchema).min(1),
  encoding: EmbeddingEncodingSchema.default('base64'),
});

/** `POST /v1/embed/text` body. */
export const EmbedTextRequestSchema = z.object({
  texts: z.array(z.string()).min(1),
  encoding: EmbeddingEncodingSchema.default('base64'),
});

/**
 * An error as the server reports it (per item, or for the whole request). `code` is a
 * `ClipErrorCode` or a server code (`unauthorized`, `overloaded`, `unsupported-media-type`,
 * `model-not-found`, `shutting-down`, `loading`, `not-found`, `internal`); `type` and `param` make
 * the whole-request form read as an OpenAI error too.
 */
export const WireErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  type: z.string().optional(),
  param: z.string().nullable().optional(),
});

const EmbeddingSchema = z.union([z.string(), z.array(z.number())]);

/** `POST /v1/embed/image` answer: one entry per input, in order. */
export const EmbedImageResponseSchema = z.object({
  model: z.string(),
  dims: z.number().int(),
  encoding: EmbeddingEncodingSchema,
  data: z.array(
    z.object({
      index: z.number().int(),
      embedding: EmbeddingSchema.optional(),
      error: WireErrorSchema.optional(),
    }),
  ),
});

/** `POST /v1/embed/text` answer. */
export const EmbedTextResponseSchema = z.object({
  model: z.string(),
  dims: z.number().int(),
  encoding: EmbeddingEncodingSchema,
  data: z.array(z.object({ index: z.number().int(), embedding: EmbeddingSchema })),
});

/** Body of `POST /v1/embed/image`. */
export type EmbedImageRequest = z.input<typeof EmbedImageRequestSchema>;
/** Body of `POST /v1/embed/text`. */
export type EmbedTextRequest = z.input<typeof EmbedTextRequestSchema>;
/** Answer of `POST /v1/embed/image`. */
export type EmbedImageResponse = z.infer<typeof EmbedImageResponseSchema>;
/** Answer of `POST /v1/embed/text`. */
export type EmbedTextResponse = z.infer<typeof EmbedTextResponseSchema>;
/** An error on the wire. */
export type WireError = z.infer<typeof WireErrorSchema>;
/** How embeddings are encoded on the wire. */
export type EmbeddingEncoding = z.infer<typeof EmbeddingEncodingSchema>;

/** Float32Array → base64 of its little-endian bytes (Node runs on little-endian hosts). */
export function encodeEmbedding(v: Float32Array, encoding: EmbeddingEncoding): string | number[] {
  return encoding === 'float'
    ? Array.from(v)
    : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/** Inverse of {@link encodeEmbedding}; throws on a byte length that is not a multiple of 4. */
export function decodeEmbedding(e: string | number[]): Float32Array {
  if (Array.isArray(e)) return Float32Array.from(e);
  const bytes = Buffer.from(e, 'base64');
  if (bytes.length % 4 !== 0) throw new Error(`embedding of ${bytes.length} bytes is not float32`);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
