// Messages between the page (index.ts) and the module worker (worker.ts).
import type { ModelLayout } from '../model/layouts';
import type { ClipDtype, RawImage } from '../types';
import type { WebClipDevice, WebClipInfo, WebClipProgress } from './types';

/** An image as it crosses into the worker: encoded, a bitmap, or pixels. */
export type WorkerImage = Blob | ImageBitmap | RawImage;

/** The settings the worker starts with. */
export interface WorkerInit {
  modelUrl: string;
  layout?: ModelLayout;
  dtype: ClipDtype;
  device: WebClipDevice;
  fallback: boolean;
  modalities: ('image' | 'text')[];
  wasmPaths?: string;
  numThreads?: number;
  cache: string | false;
  batchSize: number;
  selfCheckMinCosine: number;
  maxPixels: number;
  maxBytes: number;
}

/** A ClipError as it crosses the worker boundary. */
export interface WireError {
  code: string;
  message: string;
}

/** Page → worker. */
export type PageRequest =
  | { kind: 'init'; id: number; init: WorkerInit }
  | { kind: 'load'; id: number; modality: 'image' | 'text' }
  | { kind: 'images'; id: number; images: WorkerImage[] }
  | { kind: 'texts'; id: number; texts: string[] }
  | { kind: 'preprocess'; id: number; image: WorkerImage; rgb: boolean }
  | { kind: 'tokenize'; id: number; text: string }
  | { kind: 'dispose'; id: number };

/** Worker → page. */
export type WorkerReply =
  | { kind: 'ok'; id: number; value: unknown; info: WebClipInfo }
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'progress'; id: 0; event: WebClipProgress };
