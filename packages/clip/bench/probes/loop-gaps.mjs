// Probe: where the main thread's longest event-loop delays come from while the embedder runs 128
// images (BENCHMARKS.md, "Event loop"): timer ticks that came more than 8 ms late, next to the main
// isolate's garbage collections over 2 ms (kind 4: mark-compact, 8: incremental marking). Uses the
// built package and the generated model (npm run bench once). Compare with node --no-memory-reducer,
// and with node --trace-gc to see V8 name the collections "Mark-Compact (reduce)".
//   node bench/probes/loop-gaps.mjs <fp32|q8>
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';
const { createClipEmbedder } = await import(new URL('../../dist/index.js', import.meta.url).href);
const dir = new URL('../../.bench/images', import.meta.url).pathname;
const images = readdirSync(dir).map((f) => readFileSync(`${dir}/${f}`));
const e = await createClipEmbedder({
  modelPath: new URL('../../.models/vit-b32/xenova-split', import.meta.url).pathname,
  dtype: process.argv[2] ?? 'fp32',
  device: 'cpu',
  threads: { intra: 2, inter: 1 },
  batchSize: 32,
  modalities: ['image'],
});
await e.embedImages(images);
const gcs = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push([entry.startTime, entry.duration, entry.detail?.kind]);
});
observer.observe({ entryTypes: ['gc'] });
const late = [];
let last = performance.now();
const tick = setInterval(() => {
  const t = performance.now();
  if (t - last > 8) late.push([last, t - last]);
  last = t;
}, 1);
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const t0 = performance.now();
await e.embedImages([...images, ...images, ...images, ...images]);
const ms = performance.now() - t0;
h.disable();
clearInterval(tick);
observer.disconnect();
const at = (t) => (t - t0).toFixed(0);
console.log(`ms/image ${(ms / 128).toFixed(1)}, max event-loop delay ${(h.max / 1e6).toFixed(1)} ms`);
console.log('ticks > 8 ms late (at ms: gap):', late.map(([s, d]) => `${at(s)}: ${d.toFixed(1)}`).join(', '));
console.log(
  'main-thread GCs > 2 ms (at ms: duration, kind):',
  gcs
    .filter((g) => g[1] > 2)
    .map(([s, d, k]) => `${at(s)}: ${d.toFixed(1)}, ${k}`)
    .join('; '),
);
await e.dispose();
