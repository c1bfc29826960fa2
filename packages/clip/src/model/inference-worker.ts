// The inference worker. onnxruntime-node's session.run() is asynchronous in name only: the native
// run happens inside a setImmediate on the calling thread (onnxruntime-node/lib/backend.ts), so a
// ViT-B/32 batch of 32 would block the event loop for most of a second. Sessions therefore live in
// this worker thread. Built as its own entry (inference-worker.js/.cjs next to the bundle); the
// messages are the typed unions of inference-protocol.ts.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import type { ValueMeta } from './contract';
import { unitRows } from './feeds';
import { floatsToHalf } from './half';
import type {
  Feed,
  HostRequest,
  InferenceWorkerData,
  LoadResult,
  RunResult,
  WorkerReply,
} from './inference-protocol';

const port = parentPort!;
const init = workerData as InferenceWorkerData;
const sessions = new Map<string, ort.InferenceSession>();
ort.env.logLevel = init.logLevel;

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): ValueMeta[] {
  return list.map((m) => ({
    name: m.name,
    isTensor: m.isTensor,
    ...(m.isTensor ? { type: m.type, shape: Array.from(m.shape) } : {}),
  }));
}

function message(err: unknown): string {
  return String((err as Error)?.message ?? err);
}

async function load(msg: Extract<HostRequest, { kind: 'load' }>): Promise<WorkerReply> {
  const attempts: LoadResult['attempts'] = [];
  for (const step of msg.plan) {
    try {
      const session = await ort.InferenceSession.create(step.file, {
        ...msg.options,
        executionProviders: [step.provider],
      });
      attempts.push({ provider: step.provider, ok: true });
      await sessions.get(msg.role)?.release();
      sessions.set(msg.role, session);
      const value = {
        provider: step.provider,
        file: step.file,
        attempts,
        inputs: meta(session.inputMetadata),
        outputs: meta(session.outputMetadata),
      };
      return { kind: 'loaded', id: msg.id, value };
    } catch (err) {
      attempts.push({ provider: step.provider, ok: false, error: message(err) });
    }
  }
  return { kind: 'load-failed', id: msg.id, message: 'no execution provider could be created', attempts };
}

function tensor(f: Feed): ort.Tensor {
  if (f.type === 'float32' && f.toHalf)
    return new ort.Tensor('float16', floatsToHalf(f.data as Float32Array), f.dims);
  return new ort.Tensor(f.type, f.data, f.dims);
}

/** Runs a role's session and L2-normalises the output rows. */
async function run(msg: Extract<HostRequest, { kind: 'run' }>): Promise<RunResult> {
  const session = sessions.get(msg.role);
  if (!session) throw new Error(`no session loaded for ${msg.role}`);
  const feeds = Object.fromEntries(msg.feeds.map((f) => [f.name, tensor(f)]));
  const result = await session.run(feeds, [msg.output]);
  const out = result[msg.output]!;
  const raw = out.data as Float32Array | Uint16Array;
  const half = out.type === 'float16' && !(raw instanceof Float32Array);
  const dims = out.dims[out.dims.length - 1]!;
  const data = unitRows(raw, half, msg.rows, dims);
  out.dispose();
  return { data, dims };
}

/** The feeds' buffers, one per feed, and the list to transfer (each buffer once). */
function handBack(feeds: Feed[]): { feedBuffers: ArrayBuffer[]; transfer: ArrayBuffer[] } {
  const feedBuffers = feeds.map((f) => f.data.buffer as ArrayBuffer);
  return { feedBuffers, transfer: [...new Set(feedBuffers)] };
}

port.on('message', (msg: HostRequest) => {
  void (async () => {
    if (msg.kind === 'load') {
      post(await load(msg));
    } else if (msg.kind === 'run') {
      const { feedBuffers, transfer } = handBack(msg.feeds);
      try {
        const value = await run(msg);
        post({ kind: 'ran', id: msg.id, value, feedBuffers }, [
          value.data.buffer as ArrayBuffer,
          ...transfer,
        ]);
      } catch (err) {
        post({ kind: 'run-failed', id: msg.id, message: message(err), feedBuffers }, transfer);
      }
    } else {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      post({ kind: 'released', id: msg.id });
    }
  })().catch((err: unknown) => post({ kind: 'failed', id: msg.id, message: message(err) }));
});
post({ kind: 'ready', id: 0 });
