// Shared contract of @pmoves/clip. The local embedder (src/embedder) and the remote client
// (src/remote) both implement ClipEmbedder, so @pmoves/rerank can use either.
import type { ClipError } from './errors';

/** Raw, already-decoded pixels (row-major, interleaved channels). */
export interface RawImage {
  /** Pixel bytes, `width * height * channels` long. */
  data: Uint8Array | Uint8ClampedArray;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA. */
  channels: 1 | 2 | 3 | 4;
}

/** An image to embed: encoded bytes, a file path, or raw pixels. */
export type ImageInput = Uint8Array | string | RawImage;

/** How images are resized and cropped before the model sees them. */
export type PreprocessingMode = 'exact' | 'fast';

/** Execution device requested for onnxruntime. */
export type ClipDevice = 'auto' | 'cpu' | 'cuda' | 'tensorrt' | 'webgpu' | 'dml' | 'coreml';

/** Weight precision variant of the model files. */
export type ClipDtype = 'fp32' | 'fp16' | 'q8';

/** One entry of {@link ClipEmbedder.embedImages}: an embedding, or the error for that input alone. */
export type ImageEmbeddingResult =
  { embedding: Float32Array; error?: undefined } | { embedding?: undefined; error: ClipError };

/** One attempt to create an onnxruntime session on an execution provider. */
export interface ProviderAttempt {
  /** Execution provider name as onnxruntime knows it (`cuda`, `cpu`, …). */
  provider: string;
  /** Whether the session was created. */
  ok: boolean;
  /** Error message when it was not. */
  error?: string;
}

/** What a loaded embedder is running (see {@link ClipEmbedder.info}). */
export interface ClipInfo {
  /** Model id or directory the embedder loaded. */
  model: string;
  /** Model files actually loaded, by role. */
  files: { vision?: string; text?: string; combined?: string };
  /** Device asked for. */
  requestedDevice: ClipDevice;
  /** Execution provider that is really running. */
  provider: string;
  /** Every provider tried, in order, with the error of those that failed. */
  attempts: ProviderAttempt[];
  /** Precision of the loaded files. */
  dtype: ClipDtype;
  /** Embedding dimensions. */
  dims: number;
  /** Preprocessing mode in use. */
  preprocessing: PreprocessingMode;
  /** Time to load the sessions, ms. */
  loadMs: number;
}

/** A CLIP embedder, local (onnxruntime) or remote (an embedding server). */
export interface ClipEmbedder {
  /** Embed images; one result per input, in order. One bad input never fails the batch. */
  embedImages(
    inputs: readonly ImageInput[],
    options?: { signal?: AbortSignal },
  ): Promise<ImageEmbeddingResult[]>;
  /** Embed texts; L2-normalised, one per input, in order. */
  embedTexts(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
  /** Describe what is running. */
  info(): ClipInfo;
  /** Release sessions, workers and sockets. */
  dispose(): Promise<void>;
}
