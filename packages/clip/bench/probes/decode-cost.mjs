// Probe: CPU per 1024×768 benchmark JPEG for the header, a full decode, libjpeg shrink-on-load
// decodes (s2 is not one: sharp skips shrink-on-load at an exact factor of 2) and libvips's cubic
// resize of already decoded pixels (BENCHMARKS.md, "The CPU is the ceiling"). Needs .bench/images
// (npm run bench once).
//   node bench/probes/decode-cost.mjs
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { readFileSync, readdirSync } from 'node:fs';
const dir = new URL('../../.bench/images', import.meta.url).pathname;
const files = readdirSync(dir)
  .filter((f) => f.startsWith('synth'))
  .map((f) => readFileSync(`${dir}/${f}`));
sharp.concurrency(1);
const raws = await Promise.all(files.map((f) => sharp(f).raw().toBuffer({ resolveWithObject: true })));
const rawOf = new Map(files.map((f, i) => [f, raws[i]]));
const cases = {
  meta: (b) => sharp(b).metadata(),
  full: (b) => sharp(b, { ignoreIcc: true }).raw().toBuffer(),
  s2: (b) => sharp(b).resize(512, 384, { kernel: 'nearest' }).raw().toBuffer(),
  s4: (b) => sharp(b).resize(256, 192, { kernel: 'nearest' }).raw().toBuffer(),
  s8: (b) => sharp(b).resize(128, 96, { kernel: 'nearest' }).raw().toBuffer(),
  resizeDecoded: (b) => {
    const r = rawOf.get(b);
    return sharp(r.data, { raw: r.info })
      .resize(298, 224, { fit: 'fill', kernel: 'cubic' })
      .extract({ left: 37, top: 0, width: 224, height: 224 })
      .raw()
      .toBuffer();
  },
};
for (const [name, fn] of Object.entries(cases)) {
  await Promise.all(files.slice(0, 4).map(fn));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const N = 108;
  for (let i = 0; i < N; i++) await fn(files[i % files.length]);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  console.log(
    name,
    'wall ms/img',
    (ms / N).toFixed(2),
    'cpu ms/img',
    ((c.user + c.system) / 1000 / N).toFixed(2),
  );
}
