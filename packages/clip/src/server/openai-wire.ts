// `POST /v1/embeddings` and `GET /v1/models` in the OpenAI shape, with the image forms that
// Jina (`{ image }` items) and Infinity (`modality: "image"` with URL or data-URI strings) use, so
// the OpenAI clients (Python, Node), httpx and Infinity's own clients all speak to the server.
// Extension: an item that cannot be embedded carries `error` instead of `embedding`.
import { z } from 'zod';
import { WireErrorSchema } from './wire';

/** `encoding_format`: `float` (JSON numbers, OpenAI's default) or `base64` (little-endian float32). */
export const EmbeddingsEncodingFormatSchema = z.enum(['float', 'base64']);

/** One structured input item: `{ text }` or `{ image }` (an http(s) URL or a `data:` URI). */
export const EmbeddingsInputItemSchema = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ image: z.string() }).strict(),
]);

/**
 * `POST /v1/embeddings` body. `input` is a string, an array of strings, or an array mixing strings
 * and {@link EmbeddingsInputItemSchema} items; strings are texts unless `modality` is `image`
 * (Infinity's form), then they are image URLs or data URIs. Each array element is validated on its
 * own (a bad one is that entry's error), so the array is `unknown[]` here.
 */
export const EmbeddingsRequestSchema = z.object({
  input: z.union([z.string(), z.array(z.unknown()).min(1)]),
  /** The served model id (`GET /v1/models`); optional, but when given it must match. */
  model: z.string().min(1).optional(),
  encoding_format: EmbeddingsEncodingFormatSchema.default('float'),
  /** How bare strings are read: `text` (default) or `image`. */
  modality: z.enum(['text', 'image']).default('text'),
  /** When given, must equal the model's dimensions (no truncation); `0` means unset, as Infinity sends. */
  dimensions: z.number().int().nonnegative().optional(),
  /** Accepted and ignored (OpenAI field). */
  user: z.string().optional(),
});

/** One entry of the answer: `embedding`, or (extension) `error` for an item that failed. */
export const EmbeddingsDataSchema = z.object({
  object: z.literal('embedding'),
  index: z.number().int().nonnegative(),
  embedding: z.union([z.array(z.number()), z.string()]).optional(),
  error: WireErrorSchema.optional(),
});

/** `POST /v1/embeddings` answer: one entry per input, in input order. */
export const EmbeddingsResponseSchema = z.object({
  object: z.literal('list'),
  data: z.array(EmbeddingsDataSchema),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

/** One model of `GET /v1/models` (OpenAI fields, plus `dimensions`, `modalities` and the runtime). */
export const ModelEntrySchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  dimensions: z.number().int().optional(),
  modalities: z.array(z.enum(['text', 'image'])).optional(),
  provider: z.string().optional(),
  dtype: z.string().optional(),
});

/** `GET /v1/models` answer. */
export const ModelsResponseSchema = z.object({
  object: z.literal('list'),
  data: z.array(ModelEntrySchema),
});

/** A whole-request error in the OpenAI shape (`message`, `type`, `param`, `code`). */
export const ErrorResponseSchema = z.object({ error: WireErrorSchema });

/** Body of `POST /v1/embeddings`. */
export type EmbeddingsRequest = z.input<typeof EmbeddingsRequestSchema>;
/** One structured input item of `POST /v1/embeddings`. */
export type EmbeddingsInputItem = z.infer<typeof EmbeddingsInputItemSchema>;
/** Answer of `POST /v1/embeddings`. */
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>;
/** One entry of {@link EmbeddingsResponse}. */
export type EmbeddingsData = z.infer<typeof EmbeddingsDataSchema>;
/** Answer of `GET /v1/models`. */
export type ModelsResponse = z.infer<typeof ModelsResponseSchema>;
/** A whole-request error answer. */
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
