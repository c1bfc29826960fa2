// Main-thread side of the inference worker (see worker-source.ts): request/reply over postMessage,
// with input buffers transferred to the worker and handed back with the result so the caller can
// reuse them (no per-batch allocation of the 19 MB image batch).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ClipError } from '../errors';
import type { ProviderAttempt } from '../types';
import type { ValueMeta } from './contract';
import { WORKER_SOURCE } from './worker-source';

/** One input tensor sent to the worker. */
export interface Feed {
  name: string;
  type: 'float32' | 'int32' | 'int64';
  data: Float32Array<ArrayBufferLike> | Int32Array | BigInt64Array;
  dims: number[];
  /** Convert float32 data to float16 in the worker (graphs whose input is float16). */
  toHalf?: boolean;
}

/** What the worker reports after creating a session. */
export interface LoadReply {
  provider: string;
  file: string;
  attempts: ProviderAttempt[];
  inputs: ValueMeta[];
  outputs: ValueMeta[];
}

/** A run's result: L2-normalised rows, and the feeds' buffers back for reuse. */
export interface RunReply {
  data: Float32Array;
  dims: number;
  buffers: ArrayBuffer[];
}

/** Session options passed to onnxruntime. */
export interface HostSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableCpuMemArena?: boolean;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Error thrown when no provider of a load plan could create a session. */
export class LoadFailure extends Error {
  constructor(
    message: string,
    readonly attempts: ProviderAttempt[],
  ) {
    super(message);
  }
}

function ortUrl(): string {
  const req = createRequire(import.meta.url);
  return pathToFileURL(req.resolve('onnxruntime-node')).href;
}

/** The inference worker, seen from the main thread. */
export class InferenceHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on(
      'message',
      (msg: {
        id: number;
        ok: boolean;
        value?: unknown;
        error?: string;
        attempts?: ProviderAttempt[];
        buffers?: ArrayBuffer[];
      }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (this.pending.size === 0) worker.unref();
        if (msg.ok) {
          const value = msg.value as Record<string, unknown> | null;
          p.resolve(msg.buffers && value ? { ...value, buffers: msg.buffers } : value);
        } else if (msg.attempts) p.reject(new LoadFailure(msg.error ?? 'load failed', msg.attempts));
        else p.reject(Object.assign(new Error(msg.error), { buffers: msg.buffers }));
      },
    );
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
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortUrl: ortUrl(), logLevel: 'fatal' },
    });
    const host = new InferenceHost(worker);
    await host.request({ kind: 'ready' }, [], 0);
    return host;
  }

  private request(
    message: Record<string, unknown>,
    transfer: ArrayBuffer[],
    fixedId?: number,
  ): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = fixedId ?? this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      if (fixedId === undefined) this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Create a session for a role, trying each `{provider, file}` of the plan in order. */
  load(
    role: string,
    plan: { provider: string; file: string }[],
    options: HostSessionOptions,
  ): Promise<LoadReply> {
    return this.request({ kind: 'load', role, plan, options }, []) as Promise<LoadReply>;
  }

  /**
   * Run a role's session; the feeds' buffers are transferred (unusable until the reply hands them
   * back in `buffers`, also on failure, as the `buffers` property of the error).
   */
  run(role: string, feeds: Feed[], output: string, rows: number): Promise<RunReply> {
    // Shared batch buffers are shared, not transferred (the worker copies them, see worker-source).
    const transfer = [
      ...new Set(
        feeds.map((f) => f.data.buffer).filter((b): b is ArrayBuffer => !(b instanceof SharedArrayBuffer)),
      ),
    ];
    return this.request({ kind: 'run', role, feeds, output, rows }, transfer) as Promise<RunReply>;
  }

  /** Release the sessions and stop the worker. */
  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request({ kind: 'release' }, []);
    } finally {
      this.exited = new ClipError('invalid-input', 'the embedder was disposed');
      await this.worker.terminate();
    }
  }
}
