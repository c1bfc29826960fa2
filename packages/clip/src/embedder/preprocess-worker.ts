// Preprocessing worker: decodes and resizes images off the main thread (the exact resampler and the
// fast mode's exact borders are JavaScript that would otherwise block the event loop for tens of
// milliseconds per image), writing each tensor straight into a shared batch buffer.
import { parentPort, workerData } from 'node:worker_threads';
import { ClipError } from '../errors';
import { createPreprocessor, parsePreprocessorConfig } from '../preprocess';
import type { ImageInput, PreprocessingMode } from '../types';

interface Init {
  config: unknown;
  options: { mode: PreprocessingMode; maxPixels?: number; maxBytes?: number };
}

interface Job {
  id: number;
  input: ImageInput;
  buffer: SharedArrayBuffer;
  offset: number;
}

const init = workerData as Init;
const pre = createPreprocessor(parsePreprocessorConfig(init.config), init.options);
const port = parentPort!;
const views = new WeakMap<SharedArrayBuffer, Float32Array>();

port.on('message', (job: Job) => {
  let view = views.get(job.buffer);
  if (!view) {
    view = new Float32Array(job.buffer);
    views.set(job.buffer, view);
  }
  pre.toTensorInto(job.input, view, job.offset).then(
    () => port.postMessage({ id: job.id }),
    (err: unknown) => {
      const e =
        err instanceof ClipError ? err : new ClipError('decode', String((err as Error)?.message ?? err));
      port.postMessage({ id: job.id, code: e.code, message: e.message });
    },
  );
});
port.postMessage({ id: 0 });
