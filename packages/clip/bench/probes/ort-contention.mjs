// Probe: how much a thread competing for the CPU slows raw onnxruntime (BENCHMARKS.md, "Waiting
// instead of overlapping"). Needs the generated model (npm run bench once).
//   node bench/probes/ort-contention.mjs <q8|fp32> <none|plain|nice> <spin: 1|0>
// plain: a busy JavaScript thread beside the batch; nice: the same thread at nice 19 (Linux: a thread
// id passed to setpriority renices that thread only).
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { Worker } from 'node:worker_threads';
const dtype = process.argv[2] ?? 'q8';
const mode = process.argv[3] ?? 'none'; // none | nice | plain
const spin = process.argv[4] ?? '1';
const file = `${new URL('../../.models/', import.meta.url).pathname}vit-b32/xenova-split/onnx/${dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx'}`;
const s = await ort.InferenceSession.create(file, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: spin } } },
});
const data = Float32Array.from({ length: 32 * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001) * 1.5);
const feeds = { pixel_values: new ort.Tensor('float32', data, [32, 3, 224, 224]) };
await s.run(feeds);
const counter = new Int32Array(new SharedArrayBuffer(8));
let competitor;
if (mode !== 'none') {
  competitor = new Worker(
    `
    const { workerData } = require('worker_threads'); const fs = require('fs'); const os = require('os');
    const tid = +fs.readlinkSync('/proc/thread-self').split('/').pop();
    if (workerData.nice) os.setPriority(tid, 19);
    const c = workerData.c; let x = 0;
    for (;;) { for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); Atomics.add(c, 0, 1); }
  `,
    { eval: true, workerData: { c: counter, nice: mode === 'nice' } },
  );
  await new Promise((r) => setTimeout(r, 300));
}
// calibrate: units per ms alone measured separately
const c0 = Atomics.load(counter, 0);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < 4; i++) await s.run(feeds);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const units = Atomics.load(counter, 0) - c0;
console.log(
  JSON.stringify({
    dtype,
    mode,
    spin,
    msPerImg: +(ms / 128).toFixed(2),
    cores: +((cpu.user + cpu.system) / 1000 / ms).toFixed(2),
    unitsPerSec: Math.round((units / ms) * 1000),
  }),
);
void competitor; // the competing thread runs until exit
process.exit(0);
