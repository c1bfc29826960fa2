// Main-thread side of the inference worker (inference-worker.ts): typed request/reply over
// postMessage. Input buffers are transferred to the worker and handed back with the reply (also on
// failure), so the caller reuses its batch buffers and no 19 MiB image batch is copied or shared.
import { Worker } from 'node:worker_threads';
import { ClipError } from '../errors';
import type { ProviderAttempt } from '../types';
import type {
  Feed,
  HostRequest,
  HostSessionOptions,
  LoadResult,
  PlanStep,
  RunResult,
  WorkerReply,
  InferenceWorkerData,
} from './inference-protocol';
import { workerEntry } from './worker-entry';

/** A run's result, with the feeds' buffers back (`feedBuffers[i]` belongs to `feeds[i]`). */
export interface RunReply extends RunResult {
  feedBuffers: ArrayBuffer[];
}

/** No provider of a load plan could create a session. */
export class LoadFailure extends Error {
  constructor(
    message: string,
    readonly attempts: ProviderAttempt[],
  ) {
    super(message);
  }
}

/** A failed run; `feedBuffers` hands the transferred buffers back. */
export class RunFailure extends Error {
  constructor(
    message: string,
    readonly feedBuffers: ArrayBuffer[],
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (err: unknown) => void;
}

type Request = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The inference worker, seen from the main thread. */
export class InferenceHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: WorkerReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      p.resolve(msg);
    });
    const fail = (err: Error): void => {
      this.exited = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) =>
      fail(new ClipError('model', `inference worker failed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => fail(new ClipError('model', `inference worker exited (code ${code})`)));
  }

  /** Start the worker and wait until it has loaded onnxruntime. */
  static async start(): Promise<InferenceHost> {
    const entry = workerEntry('inference-worker');
    const workerData: InferenceWorkerData = { logLevel: 'fatal' };
    const host = new InferenceHost(new Worker(entry.source, { eval: entry.eval, workerData }));
    await host.wait(0);
    return host;
  }

  private wait(id: number): Promise<WorkerReply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  private request(message: Request, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    const reply = this.wait(id);
    if (!this.exited) this.worker.postMessage({ ...message, id } as HostRequest, transfer);
    return reply;
  }

  /** Create a session for a role, trying each step of the plan in order. */
  async load(role: string, plan: PlanStep[], options: HostSessionOptions): Promise<LoadResult> {
    const reply = await this.request({ kind: 'load', role, plan, options });
    if (reply.kind === 'loaded') return reply.value;
    if (reply.kind === 'load-failed') throw new LoadFailure(reply.message, reply.attempts);
    throw new ClipError('model', `inference worker: ${'message' in reply ? reply.message : reply.kind}`);
  }

  /**
   * Run a role's session. The feeds' buffers are transferred: unusable until the reply (or the
   * {@link RunFailure}) hands them back in `feedBuffers`.
   */
  async run(role: string, feeds: Feed[], output: string, rows: number): Promise<RunReply> {
    const transfer = [...new Set(feeds.map((f) => f.data.buffer as ArrayBuffer))];
    const reply = await this.request({ kind: 'run', role, feeds, output, rows }, transfer);
    if (reply.kind === 'ran') return { ...reply.value, feedBuffers: reply.feedBuffers };
    if (reply.kind === 'run-failed') throw new RunFailure(reply.message, reply.feedBuffers);
    throw new ClipError('model', `inference worker: ${'message' in reply ? reply.message : reply.kind}`);
  }

  /** Release the sessions and stop the worker. */
  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request({ kind: 'release' });
    } finally {
      this.exited = new ClipError('invalid-input', 'the embedder was disposed');
      await this.worker.terminate();
    }
  }
}
