// Probe: the event loop's delay on a main thread that does nothing while raw onnxruntime runs batches
// of 32 in a worker thread of the same process (BENCHMARKS.md, "Event loop"). No preprocessing at all,
// so whatever delay shows is what two busy onnxruntime threads on a 2-core machine leave the main
// thread. Needs the generated model (npm run bench once). The last argument turns onnxruntime's CPU
// memory arena off (0) or on (1, the default); it made no difference to the delay (5–10 ms either way).
//   node bench/probes/loop-delay-under-ort.mjs <q8|fp32> [batches] [extra busy threads] [arena 1|0]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
const dtype = process.argv[2] ?? 'q8';
const batches = Number(process.argv[3] ?? 4);
const busy = Number(process.argv[4] ?? 0);
const file = `${new URL('../../.models/', import.meta.url).pathname}vit-b32/xenova-split/onnx/${dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx'}`;
const worker = new Worker(
  `
  const { parentPort, workerData } = require('worker_threads');
  const ort = require('onnxruntime-node');
  (async () => {
    const s = await ort.InferenceSession.create(workerData.file, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableCpuMemArena: workerData.arena });
    const data = Float32Array.from({ length: 32 * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001) * 1.5);
    const feeds = { pixel_values: new ort.Tensor('float32', data, [32, 3, 224, 224]) };
    await s.run(feeds);
    parentPort.postMessage('ready');
    await new Promise((r) => parentPort.once('message', r));
    const t0 = performance.now();
    for (let i = 0; i < workerData.batches; i++) await s.run(feeds);
    parentPort.postMessage((performance.now() - t0) / (workerData.batches * 32));
  })();
`,
  { eval: true, workerData: { file, batches, arena: process.argv[5] !== '0' } },
);
await new Promise((r) => worker.once('message', r));
// Optional competitors: busy JavaScript threads, as preprocessing workers would be.
const _competitors = Array.from(
  { length: busy },
  () => new Worker('let x = 0; for (;;) for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);', { eval: true }),
);
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const t0 = performance.now();
worker.postMessage('go');
const msPerImg = await new Promise((r) => worker.once('message', r));
h.disable();
console.log(
  JSON.stringify({
    dtype,
    busy,
    msPerImg: +msPerImg.toFixed(2),
    wallS: +((performance.now() - t0) / 1000).toFixed(1),
    maxDelayMs: +(h.max / 1e6).toFixed(1),
    p99DelayMs: +(h.percentile(99) / 1e6).toFixed(1),
  }),
);
process.exit(0);
