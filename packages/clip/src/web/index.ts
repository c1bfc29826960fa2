/**
 * `@pmoves/clip/web` — the browser build of `@pmoves/clip` (also what the package's `browser`
 * condition resolves to): CLIP embeddings on onnxruntime-web in a module worker, WebGPU → WebNN →
 * WASM with every attempt in `info()`, the model fetched by URL (Xenova split/combined or Immich
 * layout) and kept in the Cache API, and preprocessing with the Node build's `exact` resampler
 * (Pillow's filter) on the pixels the browser decoded. It imports no Node module.
 *
 * @packageDocumentation
 */
import { ClipError, type ClipErrorCode } from '../errors';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from '../preprocess/pure';
import type { ImageEmbeddingResult, RawImage } from '../types';
import { BITMAP_OPTIONS } from './pixels';
import type { PageRequest, WireError, WorkerImage, WorkerInit, WorkerReply } from './protocol';
import type { WebClipEmbedder, WebClipEmbedderOptions, WebClipInfo, WebImageInput } from './types';

export { ClipError, isClipError, type ClipErrorCode } from '../errors';
export { ClipTokenizer, type TokenBatch } from '../tokenizer/core';
export {
  cosineSimilarity,
  similarities,
  topK,
  type EmbeddingVector,
  type SimilarityMatch,
} from '../similarity';
export type { ModelLayout } from '../model/layouts';
export type { ClipDtype, ImageEmbeddingResult, ProviderAttempt, RawImage } from '../types';
export type {
  WebClipDevice,
  WebClipEmbedder,
  WebClipEmbedderOptions,
  WebClipInfo,
  WebClipProgress,
  WebImageInput,
  WebSelfCheck,
} from './types';

function toError(e: WireError): ClipError {
  return new ClipError(e.code as ClipErrorCode, e.message);
}

function isRaw(v: unknown): v is RawImage {
  return (
    typeof v === 'object' &&
    v !== null &&
    'data' in v &&
    'channels' in v &&
    ((v as RawImage).data instanceof Uint8Array || (v as RawImage).data instanceof Uint8ClampedArray)
  );
}

/** What crosses into the worker for an input: Blobs and bitmaps as they are, elements as bitmaps. */
async function toWorkerImage(input: WebImageInput): Promise<WorkerImage> {
  if (typeof Blob !== 'undefined' && input instanceof Blob) return input;
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    return { data: input.data, width: input.width, height: input.height, channels: 4 };
  }
  if (isRaw(input)) return input;
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) {
    // A copy: the caller keeps its bitmap (the worker closes the one it receives).
    return createImageBitmap(input, BITMAP_OPTIONS);
  }
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    await input.decode();
    return createImageBitmap(input, BITMAP_OPTIONS);
  }
  if (
    (typeof HTMLCanvasElement !== 'undefined' && input instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && input instanceof OffscreenCanvas)
  ) {
    return createImageBitmap(input, BITMAP_OPTIONS);
  }
  throw new ClipError(
    'invalid-input',
    'image must be a Blob/File, ImageBitmap, HTMLImageElement, ImageData, canvas or raw pixels',
  );
}

function abortError(signal: AbortSignal): ClipError {
  return new ClipError('timeout', `aborted: ${String(signal.reason ?? 'signal aborted')}`);
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type Request = PageRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class WebEmbedder implements WebClipEmbedder {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastInfo: WebClipInfo;
  private disposed = false;

  constructor(
    private readonly worker: Worker,
    private readonly options: WebClipEmbedderOptions,
    init: WorkerInit,
  ) {
    this.lastInfo = {
      model: init.modelUrl,
      layout: init.layout ?? 'xenova-split',
      files: {},
      requestedDevice: init.device,
      provider: 'none',
      attempts: [],
      dtype: init.dtype,
      dims: 0,
      preprocessing: 'exact',
      pixelReader: 'none',
      threads: 0,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      threadsReason: '',
      selfChecks: [],
      loadMs: 0,
    };
    worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => this.onMessage(event.data));
    worker.addEventListener('error', (event) => {
      const err = new ClipError('model', `the CLIP worker failed: ${event.message || 'script error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private onMessage(msg: WorkerReply): void {
    if (msg.kind === 'progress') {
      this.options.onProgress?.(msg.event);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.kind === 'ok') {
      this.lastInfo = msg.info;
      p.resolve(msg.value);
    } else {
      p.reject(toError(msg.error));
    }
  }

  call<T>(request: Request, transfer: Transferable[] = [], signal?: AbortSignal): Promise<T> {
    if (this.disposed) return Promise.reject(new ClipError('invalid-input', 'the embedder was disposed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      signal?.addEventListener(
        'abort',
        () => {
          // The worker finishes the request; its answer is dropped.
          this.pending.delete(id);
          reject(abortError(signal));
        },
        { once: true },
      );
      this.worker.postMessage({ ...request, id } as PageRequest, transfer);
    });
  }

  async embedImages(
    inputs: readonly WebImageInput[],
    options?: { signal?: AbortSignal },
  ): Promise<ImageEmbeddingResult[]> {
    if (!Array.isArray(inputs))
      throw new ClipError('invalid-input', 'embedImages expects an array of images');
    const results: ImageEmbeddingResult[] = new Array(inputs.length);
    const images: WorkerImage[] = [];
    const at: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      try {
        images.push(await toWorkerImage(inputs[i]!));
        at.push(i);
      } catch (err) {
        results[i] = {
          error:
            err instanceof ClipError
              ? err
              : new ClipError('decode', `image ${i}: ${(err as Error).message}`, { cause: err }),
        };
      }
    }
    if (images.length === 0) return results;
    const bitmaps = images.filter(
      (m): m is ImageBitmap => typeof ImageBitmap !== 'undefined' && m instanceof ImageBitmap,
    );
    const replies = await this.call<({ embedding: Float32Array } | { error: WireError })[]>(
      { kind: 'images', images },
      bitmaps,
      options?.signal,
    );
    replies.forEach((r, j) => {
      results[at[j]!] = 'embedding' in r ? { embedding: r.embedding } : { error: toError(r.error) };
    });
    return results;
  }

  embedTexts(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      return Promise.reject(new ClipError('invalid-input', 'embedTexts expects an array of strings'));
    }
    return this.call<Float32Array[]>({ kind: 'texts', texts: [...texts] }, [], options?.signal);
  }

  private async crop<T>(input: WebImageInput, rgb: boolean): Promise<T> {
    const image = await toWorkerImage(input);
    const transfer = typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap ? [image] : [];
    return this.call<T>({ kind: 'preprocess', image, rgb }, transfer);
  }

  preprocess(input: WebImageInput): Promise<Float32Array> {
    return this.crop<Float32Array>(input, false);
  }

  async toRgbCrop(input: WebImageInput): Promise<{ data: Uint8Array; width: number; height: number }> {
    return this.crop<{ data: Uint8Array; width: number; height: number }>(input, true);
  }

  tokenize(text: string): Promise<number[]> {
    if (typeof text !== 'string')
      return Promise.reject(new ClipError('invalid-input', 'text must be a string'));
    return this.call<number[]>({ kind: 'tokenize', text });
  }

  info(): WebClipInfo {
    return this.lastInfo;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    try {
      await this.call({ kind: 'dispose' });
    } catch {
      // The worker is terminated either way.
    }
    this.disposed = true;
    this.worker.terminate();
    const err = new ClipError('invalid-input', 'the embedder was disposed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new ClipError('invalid-input', `option "${name}" must be a positive number, got ${String(value)}`);
  }
  return value;
}

function resolveInit(options: WebClipEmbedderOptions): WorkerInit {
  if (typeof options?.modelUrl !== 'string' || options.modelUrl === '') {
    throw new ClipError('invalid-input', 'option "modelUrl" must be the URL of a model directory');
  }
  const device = options.device ?? 'auto';
  if (!['auto', 'webgpu', 'webnn', 'wasm'].includes(device)) {
    throw new ClipError(
      'invalid-input',
      `option "device" must be auto, webgpu, webnn or wasm, got ${String(device)}`,
    );
  }
  const dtype = options.dtype ?? 'fp32';
  if (!['fp32', 'fp16', 'q8'].includes(dtype)) {
    throw new ClipError('invalid-input', `option "dtype" must be fp32, fp16 or q8, got ${String(dtype)}`);
  }
  const modalities = options.modalities ?? ['image', 'text'];
  if (!Array.isArray(modalities) || modalities.some((m) => m !== 'image' && m !== 'text')) {
    throw new ClipError('invalid-input', 'option "modalities" must list "image" and/or "text"');
  }
  const min = options.selfCheckMinCosine ?? 0.99;
  if (!(min > 0 && min <= 1)) {
    throw new ClipError('invalid-input', `option "selfCheckMinCosine" must be in (0, 1], got ${min}`);
  }
  const base = typeof location !== 'undefined' ? location.href : 'http://localhost/';
  return {
    modelUrl: new URL(options.modelUrl, base).href,
    ...(options.layout !== undefined && { layout: options.layout }),
    dtype,
    device,
    fallback: options.fallback ?? false,
    modalities: [...modalities],
    ...(options.wasmPaths !== undefined && { wasmPaths: new URL(options.wasmPaths, base).href }),
    ...(options.numThreads !== undefined && { numThreads: options.numThreads }),
    cache: options.cache === false ? false : (options.cache ?? 'pmoves-clip-models'),
    batchSize: Math.floor(positive('batchSize', options.batchSize, 8)),
    selfCheckMinCosine: min,
    maxPixels: positive('maxPixels', options.maxPixels, DEFAULT_MAX_PIXELS),
    maxBytes: positive('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
  };
}

/**
 * Load a CLIP model in a module worker and return an embedder. The files for `modalities` (default
 * both) are fetched and their sessions created now, so a missing file (named, with its URL) or a
 * device error surfaces here.
 *
 * @param options - model URL, device, precision, threads, cache, progress
 * @returns the embedder; {@link WebClipEmbedder.info} says which provider runs and why others did not
 * @throws ClipError `invalid-input` (bad option), `not-found` (a model file is missing), `fetch`,
 *   `model` (not a CLIP graph), `device` (no provider could run)
 */
export async function createWebClipEmbedder(options: WebClipEmbedderOptions): Promise<WebClipEmbedder> {
  const init = resolveInit(options);
  const worker = options.workerUrl
    ? new Worker(options.workerUrl, { type: 'module', name: 'pmoves-clip' })
    : new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'pmoves-clip' });
  const embedder = new WebEmbedder(worker, options, init);
  try {
    await embedder.call({ kind: 'init', init });
  } catch (err) {
    await embedder.dispose();
    throw err;
  }
  return embedder;
}
