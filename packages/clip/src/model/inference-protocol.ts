// The messages between the main thread (inference-host.ts) and the inference worker
// (inference-worker.ts). Both sides import these types, so a change to the protocol is a type error
// on whichever side is not updated.
import type { ProviderAttempt } from '../types';
import type { ValueMeta } from './contract';

/** One input tensor sent to the worker; its buffer is transferred and handed back with the reply. */
export interface Feed {
  name: string;
  type: 'float32' | 'int32' | 'int64';
  data: Float32Array | Int32Array | BigInt64Array;
  dims: number[];
  /** Convert float32 data to float16 in the worker (graphs whose input is float16). */
  toHalf?: boolean;
}

/** Session options passed to onnxruntime (`InferenceSession.SessionOptions`, the part we set). */
export interface HostSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableCpuMemArena?: boolean;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** One step of a load plan: a provider and the file to load on it. */
export interface PlanStep {
  provider: string;
  file: string;
}

/** What the worker reports after creating a session. */
export interface LoadResult {
  provider: string;
  file: string;
  attempts: ProviderAttempt[];
  inputs: ValueMeta[];
  outputs: ValueMeta[];
}

/** A run's result: `rows × dims` L2-normalised floats. */
export interface RunResult {
  data: Float32Array;
  dims: number;
}

/** Main thread → worker. */
export type HostRequest =
  | { kind: 'load'; id: number; role: string; plan: PlanStep[]; options: HostSessionOptions }
  | { kind: 'run'; id: number; role: string; feeds: Feed[]; output: string; rows: number }
  | { kind: 'release'; id: number };

/** Worker → main thread. `feedBuffers[i]` is the buffer of `feeds[i]`, handed back for reuse. */
export type WorkerReply =
  | { kind: 'ready'; id: 0 }
  | { kind: 'loaded'; id: number; value: LoadResult }
  | { kind: 'load-failed'; id: number; message: string; attempts: ProviderAttempt[] }
  | { kind: 'ran'; id: number; value: RunResult; feedBuffers: ArrayBuffer[] }
  | { kind: 'run-failed'; id: number; message: string; feedBuffers: ArrayBuffer[] }
  | { kind: 'released'; id: number }
  | { kind: 'failed'; id: number; message: string };

/** `workerData` of the inference worker. */
export interface InferenceWorkerData {
  /** onnxruntime's log level inside the worker (failed accelerator attempts are reported in info()). */
  logLevel: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
}
