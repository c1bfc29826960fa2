// Public types of the browser build (`@pmoves/clip/web`).
import type { ModelLayout } from '../model/layouts';
import type { ClipDtype, ImageEmbeddingResult, ProviderAttempt, RawImage } from '../types';

/** Execution device asked of onnxruntime-web. `auto` tries WebGPU, then WebNN where the browser has it, then WASM. */
export type WebClipDevice = 'auto' | 'webgpu' | 'webnn' | 'wasm';

/**
 * An image the browser build embeds: an encoded `Blob` or `File` (decoded by the browser), an
 * `ImageBitmap`, an `<img>` element, `ImageData`, a canvas (`<canvas>` or `OffscreenCanvas`), or raw
 * pixels as in the Node build.
 */
export type WebImageInput =
  Blob | ImageBitmap | HTMLImageElement | ImageData | HTMLCanvasElement | OffscreenCanvas | RawImage;

/** A download progress event of one model file (see {@link WebClipEmbedderOptions.onProgress}). */
export interface WebClipProgress {
  /** Repo-relative file name (`onnx/vision_model.onnx`). */
  file: string;
  /** Full URL fetched. */
  url: string;
  /** Bytes received so far. */
  loaded: number;
  /** Total bytes when the server sent a length, else undefined. */
  total?: number;
  /** The file came from the Cache API (nothing downloaded). */
  cached: boolean;
  /** The last event of this file. */
  done: boolean;
}

/** Options of {@link createWebClipEmbedder}. */
export interface WebClipEmbedderOptions {
  /**
   * Base URL of the model directory, in one of the Node build's layouts (Xenova split or combined,
   * Immich): e.g. `https://example.org/models/clip-vit-base-patch32/` holding `onnx/vision_model.onnx`.
   * Relative URLs resolve against the page.
   */
  modelUrl: string;
  /** The layout; default: found by probing the files of each layout in turn. */
  layout?: ModelLayout;
  /** Precision of the files to load; default `fp32`. */
  dtype?: ClipDtype;
  /** Default `auto`. */
  device?: WebClipDevice;
  /** With an explicit `webgpu`/`webnn` device, fall back to WASM when it cannot run; default false (`auto` always falls back). */
  fallback?: boolean;
  /** Modalities to load now; default both. The other one loads on first use. */
  modalities?: ('image' | 'text')[];
  /**
   * URL prefix (ending in `/`) where onnxruntime-web's `ort-wasm-*.wasm` / `.mjs` files are served;
   * default onnxruntime-web's own (next to its bundle). Serve them from your origin (they are in
   * `node_modules/onnxruntime-web/dist/`).
   */
  wasmPaths?: string;
  /**
   * WASM threads. Default: `min(4, navigator.hardwareConcurrency)` when the page is cross-origin
   * isolated (COOP/COEP headers, needed for SharedArrayBuffer), 1 otherwise; more than 1 without
   * isolation is refused.
   */
  numThreads?: number;
  /** Cache API cache holding model files (a second visit downloads nothing); `false` to skip. Default `pmoves-clip-models`. */
  cache?: string | false;
  /** Called while model files download (or are read from the cache). */
  onProgress?: (event: WebClipProgress) => void;
  /** Images per inference run; default 8. */
  batchSize?: number;
  /**
   * Smallest cosine between the WebGPU and WASM embeddings of a fixed input for a q8 or fp16 model on
   * WebGPU to be kept (otherwise WebGPU is recorded as failed and WASM runs). Default 0.99.
   */
  selfCheckMinCosine?: number;
  /** Refuse images with more pixels than this (after decoding). Default 100 M. */
  maxPixels?: number;
  /** Refuse encoded images (`Blob`s) larger than this many bytes. Default 64 MiB. */
  maxBytes?: number;
  /** URL of the inference worker script, when a bundler cannot place it next to this module. */
  workerUrl?: string | URL;
}

/** The WebGPU-vs-WASM self-check of a q8 or fp16 model on WebGPU (see {@link WebClipEmbedderOptions.selfCheckMinCosine}). */
export interface WebSelfCheck {
  /** Graph role checked (`vision`, `text`, `combined`). */
  role: string;
  /** Smallest cosine between the two providers' outputs. */
  cosine: number;
  /** Threshold applied. */
  minCosine: number;
  /** Whether WebGPU was kept. */
  passed: boolean;
}

/** What a browser embedder is running (see {@link WebClipEmbedder.info}). */
export interface WebClipInfo {
  /** Model base URL. */
  model: string;
  /** Layout found or given. */
  layout: ModelLayout;
  /** Model file URLs loaded, by role. */
  files: { vision?: string; text?: string; combined?: string };
  /** Device asked for. */
  requestedDevice: WebClipDevice;
  /** Execution provider running (`webgpu`, `webnn`, `wasm`), or `none` before a session exists. */
  provider: string;
  /** Every provider tried, in order, with why it failed (e.g. no WebGPU adapter). */
  attempts: ProviderAttempt[];
  /** Precision of the loaded files. */
  dtype: ClipDtype;
  /** Embedding dimensions (0 until known). */
  dims: number;
  /** Always `exact`: Pillow's resampler on the browser's decoded pixels. */
  preprocessing: 'exact';
  /** How pixels were read back from decoded images: `webgl2` (unpremultiplied, exact) or `canvas2d`. */
  pixelReader: 'webgl2' | 'canvas2d' | 'none';
  /** WASM threads in use. */
  threads: number;
  /** Whether the page is cross-origin isolated. */
  crossOriginIsolated: boolean;
  /** Why that thread count (isolation, option). */
  threadsReason: string;
  /** The WebGPU self-checks run, if any. */
  selfChecks: WebSelfCheck[];
  /** Time to fetch the files and create the sessions, ms. */
  loadMs: number;
}

/** A CLIP embedder running in the browser: inference and preprocessing in a module worker. */
export interface WebClipEmbedder {
  /** Embed images; one result per input, in order. One bad input never fails the batch. */
  embedImages(
    inputs: readonly WebImageInput[],
    options?: { signal?: AbortSignal },
  ): Promise<ImageEmbeddingResult[]>;
  /** Embed texts; L2-normalised, one per input, in order. */
  embedTexts(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
  /** The normalised CHW `Float32Array` the vision graph receives for this image. */
  preprocess(input: WebImageInput): Promise<Float32Array>;
  /** The 8-bit RGB crop (HWC, `width * height * 3` bytes) before rescaling and normalisation. */
  toRgbCrop(input: WebImageInput): Promise<{ data: Uint8Array; width: number; height: number }>;
  /** Token ids the text graph receives for this text (no padding; truncated keeping end-of-text). */
  tokenize(text: string): Promise<number[]>;
  /** Describe what is running. */
  info(): WebClipInfo;
  /** Stop the worker and release its sessions. */
  dispose(): Promise<void>;
}
