// Probe: peak RSS and speed of raw onnxruntime with session variants (arena off, prepacking off, …),
// on the main thread or in a worker (BENCHMARKS.md, "Memory").
//   node bench/probes/ort-memory.mjs <default|noarena|noprepack|devalloc|lean> <main|worker> <fp32|q8>
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
const variant = process.argv[2] ?? 'default';
const where = process.argv[3] ?? 'worker';
const dtype = process.argv[4] ?? 'fp32';
async function body(variant, dtype) {
  const ort = (await import('onnxruntime-node')).default;
  const opts = { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  if (variant === 'noarena') opts.enableCpuMemArena = false;
  if (variant === 'devalloc') opts.extra = { session: { use_device_allocator_for_initializers: '1' } };
  if (variant === 'noprepack') opts.extra = { session: { disable_prepacking: '1' } };
  if (variant === 'nopattern') opts.enableMemPattern = false;
  if (variant === 'lean') {
    opts.enableCpuMemArena = false;
    opts.extra = { session: { disable_prepacking: '1' } };
  }
  if (variant === 'noarena+devalloc') {
    opts.enableCpuMemArena = false;
    opts.extra = { session: { use_device_allocator_for_initializers: '1' } };
  }
  const file = `${new URL('../../.models/', import.meta.url).pathname}vit-b32/xenova-split/onnx/${dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx'}`;
  const s = await ort.InferenceSession.create(file, opts);
  const afterLoad = process.memoryUsage().rss / 2 ** 20;
  const data = new Float32Array(32 * 3 * 224 * 224).map((_, i) => Math.sin(i * 0.001));
  const t0 = performance.now();
  for (let i = 0; i < 3; i++)
    await s.run({ pixel_values: new ort.Tensor('float32', data, [32, 3, 224, 224]) });
  return { afterLoad: Math.round(afterLoad), msPerImg: +((performance.now() - t0) / 96).toFixed(1) };
}
if (isMainThread) {
  let r;
  if (where === 'main') r = await body(variant, dtype);
  else
    r = await new Promise((res, rej) => {
      const w = new Worker(new URL(import.meta.url), { workerData: [variant, dtype] });
      w.on('message', res);
      w.on('error', rej);
    });
  console.log(
    JSON.stringify({
      variant,
      where,
      dtype,
      ...r,
      maxRss: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  process.exit(0);
} else {
  parentPort.postMessage(await body(workerData[0], workerData[1]));
}
