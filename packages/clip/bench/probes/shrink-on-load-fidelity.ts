// Probe: how far a single libvips pipeline with JPEG shrink-on-load lands from the reference
// (`exact`), next to today's `fast`, on benchmark photos and letterboxed video frames
// (BENCHMARKS.md, "Cheaper decoding breaks the fidelity target").
//   node --import tsx bench/probes/shrink-on-load-fidelity.ts
import { readFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { createPreprocessor, DEFAULT_PREPROCESSOR_CONFIG } from '../../src/preprocess/index';
import { planCrop } from '../../src/preprocess/geometry';
const exact = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'exact' });
const fast = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'fast' });
async function onePipe(b: Uint8Array) {
  const m = await sharp(b).metadata();
  const plan = planCrop(DEFAULT_PREPROCESSOR_CONFIG, m.width!, m.height!);
  return sharp(b, { ignoreIcc: true })
    .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: true })
    .extract({ left: plan.srcLeft, top: plan.srcTop, width: plan.width, height: plan.height })
    .raw()
    .toBuffer();
}
function cmp(a: Uint8Array, b: Uint8Array) {
  let max = 0,
    sum = 0,
    bmax = 0,
    imax = 0,
    isum = 0,
    n = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
    const row = Math.floor(i / (224 * 3));
    if (row < 4 || row >= 220) bmax = Math.max(bmax, d);
    else {
      imax = Math.max(imax, d);
      isum += d;
      n++;
    }
  }
  return `max ${max} mean ${(sum / a.length).toFixed(3)} | interior max ${imax} mean ${(isum / n).toFixed(3)} | border-rows max ${bmax}`;
}
const dir = new URL('../../.bench/images', import.meta.url).pathname;
const inputs: [string, Uint8Array][] = readdirSync(dir)
  .filter((f) => f.startsWith('synth'))
  .slice(0, 8)
  .map((f) => [f, readFileSync(`${dir}/${f}`)]);
// letterboxed frames
const src = readFileSync(
  new URL('../../../../../shared/fixtures/images/chelsea.jpg', import.meta.url).pathname,
);
for (const [w, h, bar] of [
  [1920, 1080, 5],
  [1280, 720, 2],
  [1280, 720, 0],
  [3840, 2160, 8],
] as const) {
  const inner = await sharp(src)
    .resize(w, h - 2 * bar, { fit: 'cover' })
    .toBuffer();
  const framed = await sharp(inner)
    .extend({ top: bar, bottom: bar, background: '#000' })
    .jpeg({ quality: 90 })
    .toBuffer();
  inputs.push([`frame ${w}x${h} bars ${bar}`, framed]);
}
for (const [name, b] of inputs) {
  const e = (await exact.toRgbCrop(b)).data;
  console.log(
    name.padEnd(24),
    'one-pipe:',
    cmp(await onePipe(b), e),
    ' || fast:',
    cmp((await fast.toRgbCrop(b)).data, e),
  );
}
