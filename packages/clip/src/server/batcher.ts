// Cross-request batching and admission control.
//
// Admission: every accepted item holds one slot of a bounded queue (counted in items) from the
// moment its request is parsed until its answer is ready; a request whose items do not fit, or
// would not be answered before its deadline at the measured throughput, is refused (429) with a
// Retry-After computed from the queue and that throughput, so an overload is answered at once
// instead of queueing into the request deadline.
//
// Coalescing: items of concurrent requests wait in one FIFO; at most `maxInFlight` batches run at
// once (two let the local embedder preprocess one batch while the other is in inference). When no
// batch runs, what has arrived goes at once; while one runs, the next batch is formed when
// `maxBatch` items wait or the oldest has waited `maxWaitMs`. Items of a request that is aborted
// (client gone, deadline) before their batch starts are removed.
import { ClipError } from '../errors';

/** Throughput measured over recent batches, items per second. */
class ThroughputMeter {
  private readonly events: { at: number; items: number }[] = [];
  private busySince = 0;
  private lastRate = 0;

  constructor(private readonly windowMs = 10_000) {}

  /** The queue went from empty to busy. */
  markBusy(now: number): void {
    if (this.busySince === 0) this.busySince = now;
  }

  /** The queue emptied: the next measurement starts afresh. */
  markIdle(): void {
    this.busySince = 0;
  }

  record(items: number, now: number): void {
    this.events.push({ at: now, items });
    while (this.events.length > 0 && this.events[0]!.at < now - this.windowMs) this.events.shift();
    const since = Math.max(now - this.windowMs, this.busySince || now);
    const elapsed = (now - since) / 1000;
    if (elapsed >= 0.2) {
      const done = this.events.filter((e) => e.at >= since).reduce((a, e) => a + e.items, 0);
      if (done > 0) this.lastRate = done / elapsed;
    }
  }

  /** Items per second, 0 before the first measurement. */
  rate(): number {
    return this.lastRate;
  }
}

/** Why a request was not admitted: the number of seconds the client should wait. */
export class QueueFullError extends Error {
  constructor(
    /** Seconds for `Retry-After`. */
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/**
 * The bounded queue shared by every route (items waiting, being fetched, or in a model batch). A
 * request is admitted when its items fit the capacity and, once throughput has been measured, when
 * the queue ahead of it would be through within 80 % of the request deadline: on a machine slower
 * than the capacity assumes, requests are told to retry instead of being queued into a timeout.
 */
export class Admission {
  private held = 0;
  private readonly meter = new ThroughputMeter();

  constructor(
    /** Capacity, items. */
    readonly capacity: number,
    /** The request deadline, ms (admission keeps the expected wait within 80 % of it). */
    private readonly deadlineMs: number = Infinity,
    private readonly onChange: (depth: number) => void = () => undefined,
  ) {}

  /** Items currently admitted. */
  get depth(): number {
    return this.held;
  }

  /** Whether nothing more fits. */
  get saturated(): boolean {
    return this.held >= this.capacity;
  }

  /** Measured throughput, items per second (0 before the first batch). */
  get throughput(): number {
    return this.meter.rate();
  }

  /**
   * Seconds until `items` more would be admitted, from the measured throughput (1 before any
   * measurement), between 1 and 60.
   */
  retryAfter(items: number): number {
    const rate = this.meter.rate();
    if (rate <= 0) return 1;
    // Room in the queue: the excess must drain first.
    let seconds = Math.max(1, this.held + items - this.capacity) / rate;
    // Time: what is ahead must shrink until the whole would be through within the budget.
    const budget = (0.8 * this.deadlineMs) / 1000;
    seconds = Math.max(seconds, (this.held + items) / rate - budget);
    return Math.min(60, Math.max(1, Math.ceil(seconds)));
  }

  /** Whether `items` more are refused now (see the class comment). */
  private refuses(items: number): boolean {
    if (this.held === 0) return false; // alone, a request is never refused (it could never pass)
    if (this.held + items > this.capacity) return true;
    const rate = this.meter.rate();
    return rate > 0 && ((this.held + items) / rate) * 1000 > 0.8 * this.deadlineMs;
  }

  /** Takes `items` slots or throws {@link QueueFullError}. */
  acquire(items: number): void {
    if (this.refuses(items)) {
      const s = this.retryAfter(items);
      throw new QueueFullError(
        s,
        `the queue holds ${this.held} items (capacity ${this.capacity}, about ${this.meter.rate().toFixed(1)} items/s); ${items} more would not be answered in time (retry after ${s} s)`,
      );
    }
    if (this.held === 0) this.meter.markBusy(Date.now());
    this.held += items;
    this.onChange(this.held);
  }

  /** Returns slots. */
  release(items: number): void {
    this.held = Math.max(0, this.held - items);
    if (this.held === 0) this.meter.markIdle();
    this.onChange(this.held);
  }

  /** A model batch of `items` finished. */
  completed(items: number): void {
    this.meter.record(items, Date.now());
  }
}

/** Options of {@link Batcher}. */
export interface BatcherOptions<I, O> {
  /** Largest model batch, items. */
  maxBatch: number;
  /** Longest time the oldest waiting item waits for a fuller batch, ms (0: as soon as a slot is free). */
  maxWaitMs: number;
  /** Batches running at once. */
  maxInFlight: number;
  /** Runs one model batch: one result per item, in order. A throw fails every request in it. */
  run(items: I[]): Promise<O[]>;
  /** Called with each batch's size and duration (metrics, throughput). */
  onBatch?(size: number, ms: number): void;
  /** Called whenever the number of waiting items changes. */
  onWaiting?(waiting: number): void;
}

interface Pending<I, O> {
  items: I[];
  results: (O | undefined)[];
  /** Items of this request not yet answered. */
  left: number;
  resolve(results: O[]): void;
  reject(err: unknown): void;
  cleanup(): void;
  done: boolean;
}

interface Slot<I, O> {
  request: Pending<I, O>;
  index: number;
  enqueuedAt: number;
}

/** Coalesces the items of concurrent requests into model batches (see the file comment). */
export class Batcher<I, O> {
  private queue: Slot<I, O>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private kicked = false;

  constructor(private readonly o: BatcherOptions<I, O>) {}

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Embeds `items` as part of whatever batches form; resolves with one result per item. When
   * `signal` aborts first, the request's waiting items leave the queue and the promise rejects.
   */
  submit(items: I[], signal?: AbortSignal): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      const onAbort = () => {
        if (request.done) return;
        request.done = true;
        this.queue = this.queue.filter((s) => s.request !== request);
        this.o.onWaiting?.(this.queue.length);
        reject(signal?.reason ?? new ClipError('timeout', 'request aborted'));
      };
      const request: Pending<I, O> = {
        items,
        results: new Array(items.length),
        left: items.length,
        resolve,
        reject,
        done: false,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      if (signal?.aborted) {
        reject(signal.reason ?? new ClipError('timeout', 'request aborted'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      const now = Date.now();
      for (let index = 0; index < items.length; index++) this.queue.push({ request, index, enqueuedAt: now });
      this.o.onWaiting?.(this.queue.length);
      this.kick();
    });
  }

  private schedule(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const waited = Date.now() - this.queue[0]!.enqueuedAt;
      // An idle model takes what has arrived (waiting would only add latency); a busy one waits
      // up to maxWaitMs for a fuller batch.
      const wait = this.inFlight === 0 ? 0 : this.o.maxWaitMs - waited;
      if (this.queue.length < this.o.maxBatch && wait > 0) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, wait);
        }
        return;
      }
      this.dispatch(this.queue.splice(0, this.o.maxBatch));
    }
    if (this.queue.length === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Schedules once the current turn is over, so that every item submitted in it joins the batch. */
  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.schedule();
    });
  }

  private dispatch(batch: Slot<I, O>[]): void {
    this.inFlight++;
    this.o.onWaiting?.(this.queue.length);
    const t0 = performance.now();
    const settle = (apply: (slot: Slot<I, O>, j: number) => void) => {
      batch.forEach(apply);
      for (const { request } of batch) {
        if (!request.done && request.left === 0) {
          request.done = true;
          request.cleanup();
          request.resolve(request.results as O[]);
        }
      }
    };
    this.o
      .run(batch.map((s) => s.request.items[s.index]!))
      .then(
        (results) => {
          if (results.length !== batch.length)
            throw new ClipError(
              'model',
              `the embedder returned ${results.length} results for ${batch.length} items`,
            );
          settle((slot, j) => {
            slot.request.results[slot.index] = results[j];
            slot.request.left--;
          });
        },
        (err: unknown) => {
          for (const { request } of batch) {
            if (request.done) continue;
            request.done = true;
            request.cleanup();
            this.queue = this.queue.filter((s) => s.request !== request);
            request.reject(err);
          }
        },
      )
      .catch((err: unknown) => {
        for (const { request } of batch) {
          if (request.done) continue;
          request.done = true;
          request.cleanup();
          request.reject(err);
        }
      })
      .finally(() => {
        this.inFlight--;
        this.o.onBatch?.(batch.length, performance.now() - t0);
        this.schedule();
      });
  }
}
