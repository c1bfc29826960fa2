// The messages between the preprocessing pool (preprocess-pool.ts) and its workers
// (preprocess-worker.ts), imported by both sides.
import type { ClipErrorCode } from '../errors';
import type { ImageInput, PreprocessingMode } from '../types';

/** `workerData` of a preprocessing worker. */
export interface PreprocessWorkerData {
  /** The model's preprocessing configuration (validated by the worker). */
  config: unknown;
  options: { mode: PreprocessingMode; maxPixels?: number; maxBytes?: number };
}

/** Pool → worker: preprocess one image. */
export interface PreprocessJob {
  id: number;
  input: ImageInput;
}

/** Worker → pool: the CHW tensor (its buffer transferred), or the error; `id: 0` once ready. */
export type PreprocessReply =
  | { id: number; tensor: Float32Array }
  | { id: number; code: ClipErrorCode; message: string }
  | { id: 0; ready: true };
