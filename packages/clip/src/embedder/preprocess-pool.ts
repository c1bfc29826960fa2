// A small pool of preprocessing workers (see preprocess-worker.ts). Jobs go to the worker with the
// fewest in flight; each tensor comes back transferred and is copied into the caller's batch buffer.
import { Worker } from 'node:worker_threads';
import { ClipError } from '../errors';
import { workerEntry } from '../model/worker-entry';
import type { ImageInput } from '../types';
import type { PreprocessJob, PreprocessReply, PreprocessWorkerData } from './preprocess-protocol';

interface Slot {
  worker: Worker;
  inFlight: number;
}

interface Pending {
  resolve: (tensor: Float32Array) => void;
  reject: (err: ClipError) => void;
  slot: Slot;
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
      slot.worker.on('message', (msg: PreprocessReply) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        p.slot.inFlight--;
        if (this.pending.size === 0) for (const s of this.slots) s.worker.unref();
        if ('tensor' in msg) p.resolve(msg.tensor);
        else if ('code' in msg) p.reject(new ClipError(msg.code, msg.message));
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
  static async start(size: number, workerData: PreprocessWorkerData): Promise<PreprocessPool> {
    const entry = workerEntry('preprocess-worker');
    const slots = Array.from({ length: size }, () => ({
      worker: new Worker(entry.source, { eval: entry.eval, workerData }),
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

  /** Preprocess one image into `target` at `offset` (in elements). */
  async toTensorInto(input: ImageInput, target: Float32Array, offset: number): Promise<void> {
    if (this.closed) throw new ClipError('invalid-input', 'the embedder was disposed');
    while (this.slots.every((s) => s.inFlight >= this.maxInFlight)) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
      if (this.closed) throw new ClipError('invalid-input', 'the embedder was disposed');
    }
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    const tensor = await new Promise<Float32Array>((resolve, reject) => {
      if (this.pending.size === 0) for (const s of this.slots) s.worker.ref();
      this.pending.set(id, { resolve, reject, slot });
      slot.inFlight++;
      const job: PreprocessJob = { id, input };
      slot.worker.postMessage(job);
    });
    target.set(tensor, offset);
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.queue.splice(0)) wake();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
