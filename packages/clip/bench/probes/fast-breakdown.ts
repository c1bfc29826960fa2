// Probe: CPU per 1024×768 benchmark JPEG for the whole `fast` path and its parts, one image at a time
// (BENCHMARKS.md, "The CPU is the ceiling"). Needs .bench/images (npm run bench once).
//   node --import tsx bench/probes/fast-breakdown.ts
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { createPreprocessor, DEFAULT_PREPROCESSOR_CONFIG } from '../../src/preprocess/index';
import { checkInput, decodePixels } from '../../src/preprocess/decode';
import { planCrop } from '../../src/preprocess/geometry';
import { normalisationTables, writeChw } from '../../src/preprocess/normalize';

const dir = new URL('../../.bench/images', import.meta.url).pathname;
const files = readdirSync(dir)
  .filter((f) => f.startsWith('synth'))
  .map((f) => readFileSync(`${dir}/${f}`));
sharp.concurrency(1);
const limits = { maxPixels: 1e8, maxBytes: 1e9 };
const fast = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'fast' });
const target = new Float32Array(3 * 224 * 224);
const tables = normalisationTables(DEFAULT_PREPROCESSOR_CONFIG);
const rgb = new Uint8Array(224 * 224 * 3).map((_, i) => i * 7);
const plan = planCrop(DEFAULT_PREPROCESSOR_CONFIG, 1024, 768);
const mid = await sharp(files[0]!, { ignoreIcc: true })
  .resize(plan.resizedWidth, 768, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
  .extract({ left: plan.srcLeft, top: 0, width: plan.width, height: 768 })
  .raw()
  .toBuffer({ resolveWithObject: true });
const cases: Record<string, (b: Buffer) => Promise<unknown>> = {
  'fast toTensorInto': (b) => fast.toTensorInto(b, target, 0),
  'checkInput (metadata)': (b) => checkInput(b, limits),
  decodePixels: async (b) => decodePixels(await checkInput(b, limits), limits),
  'streamed pass 1 (decode, h-resize, extract)': (b) =>
    sharp(b, { ignoreIcc: true, failOn: 'error' })
      .resize(plan.resizedWidth, 768, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
      .extract({ left: plan.srcLeft, top: 0, width: plan.width, height: 768 })
      .raw()
      .toBuffer(),
  'streamed pass 2 (v-resize of 224x768)': () =>
    sharp(mid.data, { raw: mid.info }).resize(224, 224, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer(),
  'a sharp call doing nothing (224x224 raw)': () =>
    sharp(rgb, { raw: { width: 224, height: 224, channels: 3 } })
      .raw()
      .toBuffer(),
  'both axes in one pipeline (no border fix)': (b) =>
    sharp(b, { ignoreIcc: true, failOn: 'error' })
      .resize(plan.resizedWidth, plan.resizedHeight, {
        fit: 'fill',
        kernel: 'cubic',
        fastShrinkOnLoad: false,
      })
      .extract({ left: plan.srcLeft, top: plan.srcTop, width: plan.width, height: plan.height })
      .raw()
      .toBuffer(),
  writeChw: async () => writeChw(rgb, 224 * 224, tables, target, 0),
};
for (const [name, fn] of Object.entries(cases)) {
  for (let i = 0; i < 8; i++) await fn(files[i % files.length]!);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const N = 135;
  for (let i = 0; i < N; i++) await fn(files[i % files.length]!);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  console.log(
    name.padEnd(44),
    'wall',
    (ms / N).toFixed(2),
    'cpu',
    ((c.user + c.system) / 1000 / N).toFixed(2),
  );
}
