// Preprocessing worker: decodes and resizes images off the main thread (the exact resampler and the
// fast mode's exact borders are JavaScript that would otherwise block the event loop for tens of
// milliseconds per image). Each tensor is transferred back (no memory is shared, so none outlives
// its batch in this thread's heap).
import { parentPort, workerData } from 'node:worker_threads';
import { ClipError } from '../errors';
import { createPreprocessor, parsePreprocessorConfig } from '../preprocess';
import type { PreprocessJob, PreprocessReply, PreprocessWorkerData } from './preprocess-protocol';

const init = workerData as PreprocessWorkerData;
const pre = createPreprocessor(parsePreprocessorConfig(init.config), init.options);
const port = parentPort!;
const post = (reply: PreprocessReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(reply, transfer);

port.on('message', (job: PreprocessJob) => {
  const tensor = new Float32Array(pre.tensorLength);
  pre.toTensorInto(job.input, tensor, 0).then(
    () => post({ id: job.id, tensor }, [tensor.buffer]),
    (err: unknown) => {
      const e =
        err instanceof ClipError ? err : new ClipError('decode', String((err as Error)?.message ?? err));
      post({ id: job.id, code: e.code, message: e.message });
    },
  );
});
post({ id: 0, ready: true });
