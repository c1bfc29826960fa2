// onnxruntime-node's session.run() is asynchronous in name only: the native run happens inside a
// setImmediate on the calling thread (onnxruntime-node/lib/backend.ts), so a ViT-B/32 batch of 32
// would block the event loop for most of a second. Sessions therefore live in one worker thread.
// The worker is plain JavaScript evaluated from this string so it runs the same from the TypeScript
// sources (tests), the ESM build and the CJS build, whatever bundler or loader is in use.
//
// Protocol (all messages carry an `id`; replies echo it):
//   load    {role, plan: [{provider, file}], options}  → {provider, file, attempts, inputs, outputs}
//   run     {role, feeds: [{name, type, data, dims}], output, rows, dims, toHalf}
//           → {data: Float32Array (rows × dims, L2-normalised), buffers: the feeds' buffers, returned}
//   release {}                                          → {}

/** Source of the inference worker (evaluated with `new Worker(source, { eval: true })`). */
export const WORKER_SOURCE = String.raw`
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const ortModule = await import(workerData.ortUrl);
  const ort = ortModule.default && ortModule.default.InferenceSession ? ortModule.default : ortModule;
  const sessions = new Map();
  const localBuffers = new Map();
  // Failed accelerator attempts are reported through info(); keep onnxruntime's own log quiet.
  if (workerData.logLevel) ort.env.logLevel = workerData.logLevel;

  const halfToFloat = (h) => {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) return s * f * 2 ** -24;
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * 2 ** (e - 15);
  };
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const floatToHalf = (v) => {
    f32[0] = v;
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
    const e = exp - 112;
    if (e >= 31) return sign | 0x7c00;
    if (e <= 0) {
      if (e < -10) return sign;
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      return sign | half;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
    return sign | half;
  };

  const meta = (list) =>
    list.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape ? Array.from(m.shape) : undefined }));

  async function load(msg) {
    const attempts = [];
    for (const step of msg.plan) {
      try {
        const session = await ort.InferenceSession.create(step.file, {
          ...msg.options,
          executionProviders: [step.provider],
        });
        attempts.push({ provider: step.provider, ok: true });
        const old = sessions.get(msg.role);
        if (old) await old.release();
        sessions.set(msg.role, session);
        return {
          provider: step.provider,
          file: step.file,
          attempts,
          inputs: meta(session.inputMetadata),
          outputs: meta(session.outputMetadata),
        };
      } catch (err) {
        attempts.push({ provider: step.provider, ok: false, error: String((err && err.message) || err) });
      }
    }
    const e = new Error('no execution provider could be created');
    e.attempts = attempts;
    throw e;
  }

  async function run(msg) {
    const session = sessions.get(msg.role);
    if (!session) throw new Error('no session loaded for ' + msg.role);
    const feeds = {};
    for (const f of msg.feeds) {
      let data = f.data;
      let type = f.type;
      if (data.buffer instanceof SharedArrayBuffer) {
        // onnxruntime-node refuses views on shared memory: copy into a reused local buffer.
        let local = localBuffers.get(type);
        if (!local || local.length < data.length) {
          local = new data.constructor(data.length);
          localBuffers.set(type, local);
        }
        const view = local.subarray(0, data.length);
        view.set(data);
        data = view;
      }
      if (type === 'float32' && f.toHalf) {
        const half = new Uint16Array(data.length);
        for (let i = 0; i < data.length; i++) half[i] = floatToHalf(data[i]);
        data = half;
        type = 'float16';
      }
      feeds[f.name] = new ort.Tensor(type, data, f.dims);
    }
    const result = await session.run(feeds, [msg.output]);
    const out = result[msg.output];
    const raw = out.data;
    const rows = msg.rows;
    const dims = out.dims[out.dims.length - 1];
    const data = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < dims; c++) {
        const v = out.type === 'float16' && !(raw instanceof Float32Array) ? halfToFloat(raw[r * dims + c]) : raw[r * dims + c];
        data[r * dims + c] = v;
        sum += v * v;
      }
      const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
      for (let c = 0; c < dims; c++) data[r * dims + c] *= inv;
    }
    if (typeof out.dispose === 'function') out.dispose();
    return { data, dims };
  }

  const transferable = (feeds) => [
    ...new Set(feeds.map((f) => f.data.buffer).filter((b) => !(b instanceof SharedArrayBuffer))),
  ];

  parentPort.on('message', async (msg) => {
    try {
      if (msg.kind === 'load') {
        parentPort.postMessage({ id: msg.id, ok: true, value: await load(msg) });
      } else if (msg.kind === 'run') {
        const value = await run(msg);
        const buffers = transferable(msg.feeds);
        parentPort.postMessage({ id: msg.id, ok: true, value, buffers }, [value.data.buffer, ...buffers]);
      } else if (msg.kind === 'release') {
        for (const s of sessions.values()) await s.release();
        sessions.clear();
        parentPort.postMessage({ id: msg.id, ok: true, value: null });
      }
    } catch (err) {
      const buffers = msg.kind === 'run' ? transferable(msg.feeds) : [];
      parentPort.postMessage(
        { id: msg.id, ok: false, error: String((err && err.message) || err), attempts: err && err.attempts, buffers },
        buffers,
      );
    }
  });
  parentPort.postMessage({ id: 0, ok: true, value: 'ready' });
})().catch((err) => {
  throw err;
});
`;
