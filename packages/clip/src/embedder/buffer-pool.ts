// The image batch buffers of one embedder (each `batch × 3 × H × W` floats: 19 MiB at batch 32 and
// 224²), shared by all its concurrent calls. At most `max` exist at once — a call waits for one
// rather than allocating its own, since inference runs one batch at a time anyway — and buffers left
// unused for `idleMs` are dropped so a burst does not leave its peak resident. Buffers are plain
// ArrayBuffers moved (transferred) between threads, never shared: a dropped one is detached, which
// frees its memory at once instead of whenever every thread that saw it next collects garbage.
import { MessageChannel } from 'node:worker_threads';
import { ClipError } from '../errors';

/** Free an ArrayBuffer's memory now: transferring it into a closed channel detaches and drops it. */
export function freeNow(buffers: ArrayBuffer[]): void {
  if (buffers.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, buffers);
  port1.close();
  port2.close();
}

interface Waiter {
  bytes: number;
  resolve: (buffer: ArrayBuffer) => void;
  reject: (err: unknown) => void;
}

/** A bounded pool of batch buffers. */
export class BatchBufferPool {
  private readonly free: { buffer: ArrayBuffer; since: number }[] = [];
  private readonly waiters: Waiter[] = [];
  /** Buffers handed out or free. */
  private count = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  /**
   * @param max - most buffers alive at once (≥ 1)
   * @param idleMs - a free buffer unused this long is dropped
   */
  constructor(
    readonly max: number,
    readonly idleMs: number,
  ) {}

  /** Buffers alive now (handed out or free). */
  get size(): number {
    return this.count;
  }

  /** A buffer of at least `bytes`; waits while `max` are in use. Rejects when `signal` aborts. */
  acquire(bytes: number, signal?: AbortSignal): Promise<ArrayBuffer> {
    if (this.closed) return Promise.reject(new ClipError('invalid-input', 'the embedder was disposed'));
    const ready = this.take(bytes);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          reject(new ClipError('timeout', `aborted: ${String(signal.reason ?? 'signal aborted')}`));
        },
        { once: true },
      );
    });
  }

  /** Give a buffer back: to the first waiter, or to the free list until it has been idle `idleMs`. */
  release(buffer: ArrayBuffer): void {
    if (this.closed) return freeNow([buffer]);
    this.free.push({ buffer, since: Date.now() });
    while (this.waiters.length > 0) {
      const next = this.take(this.waiters[0]!.bytes);
      if (!next) break;
      this.waiters.shift()!.resolve(next);
    }
    this.scheduleSweep();
  }

  /** A buffer handed out is gone (its thread failed): make room for a new one. */
  discard(): void {
    this.count = Math.max(0, this.count - 1);
    const next = this.waiters.length > 0 ? this.take(this.waiters[0]!.bytes) : undefined;
    if (next) this.waiters.shift()!.resolve(next);
  }

  /** Drop every buffer and refuse waiters. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    freeNow(this.free.splice(0).map((f) => f.buffer));
    this.count = 0;
    for (const w of this.waiters.splice(0))
      w.reject(new ClipError('invalid-input', 'the embedder was disposed'));
  }

  private take(bytes: number): ArrayBuffer | undefined {
    const i = this.free.findIndex((f) => f.buffer.byteLength >= bytes);
    if (i >= 0) return this.free.splice(i, 1)[0]!.buffer;
    if (this.count >= this.max) {
      // Every buffer is in use, or the free ones are too small (a larger batch): replace a small one.
      if (this.free.length === 0) return undefined;
      freeNow([this.free.shift()!.buffer]);
      this.count--;
    }
    this.count++;
    return new ArrayBuffer(bytes);
  }

  private scheduleSweep(): void {
    if (this.timer || this.free.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      const idle = this.free.filter((f) => now - f.since >= this.idleMs);
      this.free.splice(0, this.free.length, ...this.free.filter((f) => now - f.since < this.idleMs));
      this.count -= idle.length;
      freeNow(idle.map((f) => f.buffer));
      this.scheduleSweep();
    }, this.idleMs);
    // An idle pool never keeps the process alive.
    this.timer.unref();
  }
}
