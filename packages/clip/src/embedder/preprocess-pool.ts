// A small pool of preprocessing workers (see preprocess-worker.ts). Jobs go to the worker with the
// fewest in flight; results land directly in the caller's SharedArrayBuffer.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ClipError, type ClipErrorCode } from '../errors';
import type { ImageInput, PreprocessingMode } from '../types';

interface Slot {
  worker: Worker;
  inFlight: number;
}

interface Pending {
  resolve: () => void;
  reject: (err: ClipError) => void;
  slot: Slot;
}

/**
 * The worker script: the built .js/.cjs next to the bundle, or — when running from the TypeScript
 * sources (tests, benchmarks) — the .ts file loaded through tsx's loader registered in the worker.
 */
function workerEntry(): { source: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (/\.[cm]?ts$/.test(here)) {
    const tsx = pathToFileURL(
      createRequire(here)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
    const entry = new URL('./preprocess-worker.ts', here).href;
    const code = `(async () => { (await import(${JSON.stringify(tsx)})).register(); await import(${JSON.stringify(entry)}); })()`;
    return { source: code, eval: true };
  }
  const ext = here.endsWith('.cjs') ? '.cjs' : '.js';
  const url = new URL(`./preprocess-worker${ext}`, here);
  if (!existsSync(fileURLToPath(url))) {
    throw new ClipError('unsupported', `preprocessing worker script not found at ${fileURLToPath(url)}`);
  }
  return { source: url, eval: false };
}

/**
 * Images in flight across all workers: sharp decodes on libuv's thread pool, which is shared by the
 * whole process and has 4 threads by default (UV_THREADPOOL_SIZE); more in flight only hold decoded
 * images in memory while they wait.
 */
function inFlightPerWorker(workers: number): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.ceil(pool / workers));
}

/** Preprocessing workers shared by one embedder. */
export class PreprocessPool {
  private readonly pending = new Map<number, Pending>();
  /** Jobs waiting for a free place (see inFlightPerWorker: decoded images must not pile up). */
  private readonly queue: (() => void)[] = [];
  private nextId = 1;
  private closed = false;
  private readonly maxInFlight: number;

  private constructor(private readonly slots: Slot[]) {
    this.maxInFlight = inFlightPerWorker(slots.length);
    for (const slot of slots) {
      slot.worker.on('message', (msg: { id: number; code?: ClipErrorCode; message?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        p.slot.inFlight--;
        if (this.pending.size === 0) for (const s of this.slots) s.worker.unref();
        if (msg.code) p.reject(new ClipError(msg.code, msg.message ?? 'preprocessing failed'));
        else p.resolve();
        this.queue.shift()?.();
      });
      const fail = (err: Error): void => {
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(new ClipError('decode', `preprocessing worker failed: ${err.message}`, { cause: err }));
        }
      };
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    }
  }

  /** Start `size` workers for a preprocessing configuration (validated by the caller). */
  static async start(
    size: number,
    config: unknown,
    options: { mode: PreprocessingMode; maxPixels?: number; maxBytes?: number },
  ): Promise<PreprocessPool> {
    const entry = workerEntry();
    const slots = Array.from({ length: size }, () => ({
      worker: new Worker(entry.source, { eval: entry.eval, workerData: { config, options } }),
      inFlight: 0,
    }));
    await Promise.all(
      slots.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            s.worker.once('message', () => resolve());
            s.worker.once('error', reject);
          }),
      ),
    );
    for (const s of slots) s.worker.unref();
    return new PreprocessPool(slots);
  }

  /** Preprocess one image into `buffer` (float32 elements) at `offset`. */
  async toTensorInto(input: ImageInput, buffer: SharedArrayBuffer, offset: number): Promise<void> {
    if (this.closed) throw new ClipError('invalid-input', 'the embedder was disposed');
    while (this.slots.every((s) => s.inFlight >= this.maxInFlight)) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
      if (this.closed) throw new ClipError('invalid-input', 'the embedder was disposed');
    }
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) for (const s of this.slots) s.worker.ref();
      this.pending.set(id, { resolve, reject, slot });
      slot.inFlight++;
      slot.worker.postMessage({ id, input, buffer, offset });
    });
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.queue.splice(0)) wake();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
