// Benchmark: images per second of the browser build on WASM in headless Chromium (cross-origin
// isolated, so threaded) against the Node build on onnxruntime-node's CPU provider, on the same
// generated model, inputs and machine. Both sides run the whole path: decode, the exact
// preprocessing, inference, L2 normalisation. Figures go to packages/clip/BENCHMARKS.md (provisional).
//
//   flock /tmp/pmoves-bench.lock node --conditions=@pmoves/source --import tsx visual-search/bench.ts \
//     [--dims vit-b32|tiny] [--batches 4] [--batch 16] [--repeats 2]
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClipEmbedder } from '@pmoves/clip';
import type { createWebClipEmbedder } from '@pmoves/clip/web';
import { ensureModels, TINY_DIMS, VIT_B32_DIMS } from '../../packages/clip/scripts/generate-models';
import { SHARED_FIXTURES } from '../test/models';
import { ORT_DIST } from './vite.config';
import { buildPage, launchChromium, scratchDir } from './src/browser';
import { serveStatic } from './src/static-server';

const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const dimsName = arg('dims', 'vit-b32');
const batches = Number(arg('batches', '4'));
const batch = Number(arg('batch', '16'));
const repeats = Number(arg('repeats', '2'));
const threads = Math.min(4, availableParallelism());

const modelRoot = resolve(
  here,
  '../../packages/clip/.models',
  dimsName === 'tiny' ? 'tiny-bench' : 'vit-b32',
);
// The same options as packages/clip/bench/clip.ts, so the ViT-B/32 model is generated once for both.
ensureModels(
  dimsName === 'tiny'
    ? { outDir: modelRoot, dims: TINY_DIMS, layouts: ['xenova-split'], dtypes: ['fp32'] }
    : { outDir: modelRoot, dims: VIT_B32_DIMS, layouts: ['xenova-split'], dtypes: ['fp32', 'q8'] },
);
const model = join(modelRoot, 'xenova-split');
const images = join(SHARED_FIXTURES, 'images');
const manifest = JSON.parse(readFileSync(join(images, 'manifest.json'), 'utf8')) as {
  items: { file: string; expect: string }[];
};
const files = manifest.items.filter((i) => i.expect === 'match').map((i) => i.file);
const inputs = Array.from({ length: batch }, (_, i) => files[i % files.length]!);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function nodeRun(): Promise<number[]> {
  const e = await createClipEmbedder({
    modelPath: model,
    dtype: 'fp32',
    device: 'cpu',
    preprocessing: 'exact',
    modalities: ['image'],
    batchSize: batch,
    threads: { intra: threads, inter: 1 },
  });
  const bytes = inputs.map((f) => new Uint8Array(readFileSync(join(images, f))));
  await e.embedImages(bytes); // warm-up
  const per: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    const r = await e.embedImages(bytes);
    per.push((performance.now() - t) / r.length);
  }
  await e.dispose();
  return per;
}

async function webRun(): Promise<{ per: number[]; info: unknown }> {
  const out = scratchDir('visual-search-bench');
  await buildPage(out);
  const server = await serveStatic(
    { '/': out, '/ort/': ORT_DIST, '/models/clip/': model, '/fixtures/': images },
    {
      extra: { '/gallery.json': [] },
    },
  );
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}?model=/models/none/`); // the page's own model load is not timed
    return await page.evaluate(
      async ({ inputs, batches, batch }) => {
        type Hooks = { visualSearch: { api: { createWebClipEmbedder: typeof createWebClipEmbedder } } };
        const { createWebClipEmbedder: create } = (globalThis as unknown as Hooks).visualSearch.api;
        const e = await create({
          modelUrl: '/models/clip/',
          wasmPaths: '/ort/',
          device: 'wasm',
          modalities: ['image'],
          cache: false,
          batchSize: batch,
        });
        const blobs = await Promise.all(inputs.map(async (f) => (await fetch(`/fixtures/${f}`)).blob()));
        await e.embedImages(blobs); // warm-up
        const per: number[] = [];
        for (let b = 0; b < batches; b++) {
          const t = performance.now();
          const r = await e.embedImages(blobs);
          per.push((performance.now() - t) / r.length);
        }
        const info = e.info();
        await e.dispose();
        return { per, info };
      },
      { inputs, batches, batch },
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

const node: number[] = [];
const web: number[] = [];
let info: unknown;
for (let r = 0; r < repeats; r++) {
  node.push(...(await nodeRun()));
  const w = await webRun();
  web.push(...w.per);
  info = w.info;
}
const i = info as { threads: number; crossOriginIsolated: boolean; provider: string; pixelReader: string };
console.log(
  JSON.stringify(
    {
      dims: dimsName,
      batch,
      batches,
      repeats,
      threads,
      web: {
        medianMsPerImage: median(web),
        all: web.map((x) => +x.toFixed(1)),
        provider: i.provider,
        threads: i.threads,
        crossOriginIsolated: i.crossOriginIsolated,
        pixelReader: i.pixelReader,
      },
      node: { medianMsPerImage: median(node), all: node.map((x) => +x.toFixed(1)) },
      ratio: median(web) / median(node),
    },
    null,
    2,
  ),
);
