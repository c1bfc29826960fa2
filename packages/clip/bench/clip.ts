// Benchmark of @pmoves/clip against raw onnxruntime-node (the ceiling) and transformers.js, on a
// generated model with the real ViT-B/32 dimensions (deterministic weights: speed and memory are
// real, the embeddings mean nothing). Each measurement runs in its own child process so that its
// peak RSS is its own. Run: `npm run bench -w @pmoves/clip` (wraps this in flock /tmp/pmoves-bench.lock).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as ClipApi from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const MODEL_DIR = join(pkg, '.models', 'vit-b32');
const SPLIT = join(MODEL_DIR, 'xenova-split');
const WORK = join(pkg, '.bench');
const IMAGES = resolve(pkg, '../../../shared/fixtures/images');
const THREADS = 2;
const BATCH = 32;
const GROUPS = Number(process.env.CLIP_BENCH_GROUPS ?? 4); // timed batches of 32 per measurement
// 8 runs (about 2 s) let the order of three near-equal figures change from run to run; 40 settle it.
const TEXT_RUNS = Number(process.env.CLIP_BENCH_TEXT_RUNS ?? 40);
/** Embedder setting to compare (unset: the default users get). */
const PREPROCESS_WORKERS = process.env.CLIP_BENCH_PREPROCESS_WORKERS;

interface Result {
  name: string;
  msPerItem: number;
  peakRssMiB: number;
  maxLoopDelayMs?: number;
  note?: string;
  extra?: Record<string, number | string>;
}

const CAPTIONS = [
  'a photo of a cat',
  'a dog running on the beach at sunset',
  'an astronaut in a white spacesuit',
  'a rocket launching from a pad with a cloud of smoke',
  'a cup of coffee on a wooden table',
  'the camera man standing in a field',
  'a panoramic view of a city skyline at night with lights reflected in the river',
  'two children playing football in a park',
  'a bowl of fresh fruit',
  'an old black and white photograph of a street',
  'a close-up of a red flower with water drops',
  'a snowy mountain under a clear blue sky',
  'people walking across a busy crosswalk in the rain',
  'a plate of pasta with tomato sauce and basil',
  'a vintage car parked in front of a brick building',
  'a laptop and a notebook on a desk',
  'a bird sitting on a branch',
  'a group of friends laughing around a campfire at night',
  'a diagram of the solar system',
  'a train crossing a bridge over a river',
  'a logo with blue letters',
  'a green palette of colours',
  'a small boat on a calm lake in the early morning fog',
  'a concert crowd with stage lights',
  'a kitten sleeping on a sofa',
  'a screenshot of a spreadsheet',
  'a mountain biker jumping over rocks',
  'an empty road through the desert',
  'a chef cooking in a restaurant kitchen',
  'a painting of a woman with a pearl earring',
  'a map of europe',
  'fireworks over a harbour',
];

/**
 * The built package (dist/, as users run it: no TypeScript loader in its worker threads), or another
 * build given by CLIP_BENCH_DIST (a copy of an older dist/ under this package, for A/B runs).
 */
async function importPackage(): Promise<typeof ClipApi> {
  const dist = join(
    process.env.CLIP_BENCH_DIST ? resolve(process.env.CLIP_BENCH_DIST) : join(pkg, 'dist'),
    'index.js',
  );
  if (!existsSync(dist)) throw new Error('run `npm run build -w @pmoves/clip` first');
  return (await import(pathToFileURL(dist).href)) as typeof ClipApi;
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function emit(r: Result): void {
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

async function loadImages(): Promise<Uint8Array[]> {
  const dir = join(WORK, 'images');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  return files.map((f) => readFileSync(join(dir, f)));
}

/** 5 real JPEGs from ../shared plus 27 sharp-made 1024×768 JPEGs derived from the real photos. */
async function prepareImages(): Promise<void> {
  const dir = join(WORK, 'images');
  if (existsSync(join(dir, 'synth-26.jpg'))) return;
  mkdirSync(dir, { recursive: true });
  const { default: sharp } = await import('sharp');
  const real = ['chelsea.jpg', 'astronaut.jpg', 'rocket.jpg', 'wide.jpg', 'chelsea-exif6.jpg'];
  for (const f of real) writeFileSync(join(dir, `real-${f}`), readFileSync(join(IMAGES, f)));
  const sources = ['chelsea.jpg', 'astronaut.jpg', 'rocket.jpg', 'coffee.png', 'camera.png', 'logo.png'];
  for (let i = 0; i < 27; i++) {
    const src = readFileSync(join(IMAGES, sources[i % sources.length]!));
    await sharp(src)
      .resize(1024, 768, { fit: 'cover', position: ['centre', 'north', 'south', 'east', 'west'][i % 5] })
      .flop(i % 2 === 1)
      .modulate({ brightness: 0.85 + (i % 7) * 0.05, hue: (i * 23) % 360 })
      .removeAlpha()
      .jpeg({ quality: 88 })
      .toFile(join(dir, `synth-${String(i).padStart(2, '0')}.jpg`));
  }
}

// ---------------------------------------------------------------- child measurements

async function rawOrt(dtype: 'fp32' | 'q8', batch: number): Promise<void> {
  const ort = await import('onnxruntime-node');
  const file = join(SPLIT, 'onnx', dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx');
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const data = Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001) * 1.5);
  const feeds = { pixel_values: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
  await session.run(feeds); // warm-up
  const runs = Math.max(1, Math.round((GROUPS * BATCH) / batch));
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const ms = performance.now() - t0;
  emit({ name: `raw-ort-${dtype}-b${batch}`, msPerItem: ms / (runs * batch), peakRssMiB: peakRssMiB() });
}

async function ours(dtype: 'fp32' | 'q8', mode: 'fast' | 'exact', groups = GROUPS): Promise<void> {
  const { createClipEmbedder } = await importPackage();
  const images = await loadImages();
  const e = await createClipEmbedder({
    modelPath: SPLIT,
    dtype,
    device: 'cpu',
    threads: { intra: THREADS, inter: 1 },
    batchSize: BATCH,
    preprocessing: mode,
    modalities: ['image'],
    ...(PREPROCESS_WORKERS !== undefined && { preprocessWorkers: Number(PREPROCESS_WORKERS) }),
  });
  const warm = await e.embedImages(images);
  const failed = warm.filter((r) => r.error);
  if (failed.length) throw new Error(`warm-up failed: ${failed[0]!.error!.message}`);
  const inputs = Array.from({ length: groups }, () => images).flat();
  const h = monitorEventLoopDelay({ resolution: 1 });
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(process.memoryUsage().rss / 2 ** 20), 250);
  h.enable();
  const t0 = performance.now();
  const out = await e.embedImages(inputs);
  const ms = performance.now() - t0;
  h.disable();
  clearInterval(sampler);
  if (out.some((r) => r.error)) throw new Error('a timed image failed');
  const info = e.info();
  await e.dispose();
  emit({
    name: `ours-${dtype}-${mode}`,
    msPerItem: ms / inputs.length,
    peakRssMiB: peakRssMiB(),
    maxLoopDelayMs: h.max / 1e6,
    extra: {
      images: inputs.length,
      file: info.files.vision!.replace(pkg, '.'),
      rssFirstMiB: Math.round(rssSamples[0] ?? 0),
      rssLastMiB: Math.round(rssSamples.at(-1) ?? 0),
      p99LoopDelayMs: +(h.percentile(99) / 1e6).toFixed(1),
      preprocessWorkers: PREPROCESS_WORKERS ?? 'default',
    },
  });
}

async function transformersImages(dtype: 'fp32' | 'q8' = 'fp32'): Promise<void> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${MODEL_DIR}/`;
  const processor = await tjs.AutoProcessor.from_pretrained('xenova-split');
  // q8: transformers.js loads onnx/vision_model_quantized.onnx, the file ours-q8 runs here.
  const model = await tjs.CLIPVisionModelWithProjection.from_pretrained('xenova-split', {
    dtype,
    device: 'cpu',
    session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
  });
  const images = await loadImages();
  const run = async (): Promise<void> => {
    const raws = await Promise.all(images.map((b) => tjs.RawImage.fromBlob(new Blob([b]))));
    const { pixel_values } = await processor(raws);
    const out = await model({ pixel_values });
    const emb = out.image_embeds as { data: Float32Array };
    if (emb.data.length !== images.length * 512) throw new Error('unexpected output');
  };
  await run();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  for (let g = 0; g < GROUPS; g++) await run();
  const ms = performance.now() - t0;
  h.disable();
  emit({
    name: `transformersjs-${dtype}`,
    msPerItem: ms / (GROUPS * images.length),
    peakRssMiB: peakRssMiB(),
    maxLoopDelayMs: h.max / 1e6,
  });
}

async function captionIds(): Promise<{ ids: number[]; length: number }> {
  const { ClipTokenizer } = await import('../src/index');
  const tok = ClipTokenizer.fromFiles(join(SPLIT, 'tokenizer.json'), join(SPLIT, 'tokenizer_config.json'));
  const b = tok.batch(CAPTIONS);
  return { ids: b.ids, length: b.length };
}

async function rawText(dtype: 'fp32' | 'q8'): Promise<void> {
  const ort = await import('onnxruntime-node');
  const { ids, length } = JSON.parse(readFileSync(join(WORK, 'caption-ids.json'), 'utf8')) as {
    ids: number[];
    length: number;
  };
  const file = join(SPLIT, 'onnx', dtype === 'q8' ? 'text_model_quantized.onnx' : 'text_model.onnx');
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    input_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (v) => BigInt(v)),
      [CAPTIONS.length, length],
    ),
  };
  await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < TEXT_RUNS; i++) await session.run(feeds);
  const ms = performance.now() - t0;
  emit({
    name: `raw-ort-text-${dtype}`,
    msPerItem: ms / (TEXT_RUNS * CAPTIONS.length),
    peakRssMiB: peakRssMiB(),
    extra: { paddedLength: length },
  });
}

async function oursText(dtype: 'fp32' | 'q8'): Promise<void> {
  const { createClipEmbedder } = await importPackage();
  const e = await createClipEmbedder({
    modelPath: SPLIT,
    dtype,
    device: 'cpu',
    threads: { intra: THREADS, inter: 1 },
    modalities: ['text'],
  });
  await e.embedTexts(CAPTIONS);
  const t0 = performance.now();
  for (let i = 0; i < TEXT_RUNS; i++) await e.embedTexts(CAPTIONS);
  const ms = performance.now() - t0;
  await e.dispose();
  emit({
    name: `ours-text-${dtype}`,
    msPerItem: ms / (TEXT_RUNS * CAPTIONS.length),
    peakRssMiB: peakRssMiB(),
  });
}

async function transformersText(): Promise<void> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${MODEL_DIR}/`;
  const tokenizer = await tjs.AutoTokenizer.from_pretrained('xenova-split');
  const model = await tjs.CLIPTextModelWithProjection.from_pretrained('xenova-split', {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
  });
  const run = async (): Promise<void> => {
    await model(tokenizer(CAPTIONS, { padding: true, truncation: true }));
  };
  await run();
  const t0 = performance.now();
  for (let i = 0; i < TEXT_RUNS; i++) await run();
  const ms = performance.now() - t0;
  emit({
    name: 'transformersjs-text-fp32',
    msPerItem: ms / (TEXT_RUNS * CAPTIONS.length),
    peakRssMiB: peakRssMiB(),
  });
}

const CHILDREN: Record<string, () => Promise<void>> = {
  'raw-fp32-b32': () => rawOrt('fp32', 32),
  'raw-fp32-b1': () => rawOrt('fp32', 1),
  'raw-q8-b32': () => rawOrt('q8', 32),
  'ours-fp32-fast': () => ours('fp32', 'fast'),
  'ours-fp32-exact': () => ours('fp32', 'exact'),
  'ours-q8-fast': () => ours('q8', 'fast'),
  'ours-q8-soak': () => ours('q8', 'fast', Number(process.env.CLIP_BENCH_SOAK_GROUPS ?? 32)),
  'tjs-fp32': () => transformersImages('fp32'),
  'tjs-q8': () => transformersImages('q8'),
  'raw-text-fp32': () => rawText('fp32'),
  'ours-text-fp32': () => oursText('fp32'),
  'raw-text-q8': () => rawText('q8'),
  'ours-text-q8': () => oursText('q8'),
  'tjs-text-fp32': transformersText,
};

// ---------------------------------------------------------------- parent

/**
 * Variants of a child, run as `name@variant`:
 * - `mmap1m`: glibc's mmap threshold fixed at 1 MiB (MALLOC_MMAP_THRESHOLD_, an environment variable of
 *   the service). glibc raises that threshold dynamically, and freed blocks of the model load then stay
 *   resident in its heap; fixing it shows how much of the RSS gap is the allocator's.
 * - `nomr`: node --no-memory-reducer. The main thread is nearly idle during a batch, so V8's memory
 *   reducer runs full collections of the main heap then; on two busy cores they take 7–20 ms.
 */
function runChild(spec: string): Result {
  const [name, variant] = spec.split('@') as [string, string | undefined];
  const env =
    variant === 'mmap1m' ? { ...process.env, MALLOC_MMAP_THRESHOLD_: String(2 ** 20) } : process.env;
  const flags = variant === 'nomr' ? ['--no-memory-reducer'] : [];
  const r = spawnSync(
    process.execPath,
    [...flags, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', name],
    {
      env,
      cwd: pkg,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      timeout: 240_000,
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`child ${spec} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(line.slice(7)) as Result;
  if (variant) result.name += `@${variant}`;
  process.stderr.write(
    `  ${spec}: ${result.msPerItem.toFixed(2)} ms/item, peak RSS ${result.peakRssMiB.toFixed(0)} MiB\n`,
  );
  return result;
}

async function parent(): Promise<void> {
  const started = Date.now();
  const { ensureModels, VIT_B32_DIMS } = await import('../scripts/generate-models');
  process.stderr.write('generating the ViT-B/32-dimension model (cached in .models/vit-b32)…\n');
  ensureModels({ outDir: MODEL_DIR, dims: VIT_B32_DIMS, layouts: ['xenova-split'], dtypes: ['fp32', 'q8'] });
  await prepareImages();
  writeFileSync(join(WORK, 'caption-ids.json'), JSON.stringify(await captionIds()));
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]!.split(',')
    : undefined;
  const results: Record<string, Result> = {};
  const specs = [
    ...Object.keys(CHILDREN),
    'raw-fp32-b32@mmap1m',
    'ours-fp32-fast@mmap1m',
    'ours-fp32-fast@nomr',
    'ours-q8-fast@nomr',
  ];
  // Other work shares this machine: run every measurement REPEATS times, interleaved, and keep the
  // fastest (the least disturbed); peak RSS is the largest seen.
  const repeats = Number(process.env.CLIP_BENCH_REPEATS ?? 2);
  for (let rep = 0; rep < repeats; rep++) {
    for (const spec of specs) {
      if (only && !only.includes(spec)) continue;
      if (rep > 0 && spec === 'ours-q8-soak') continue; // long memory soak: once is enough
      const r = runChild(spec);
      const prev = results[spec];
      const runs = [...(prev?.extra?.runs ? String(prev.extra.runs).split(' ') : []), r.msPerItem.toFixed(2)];
      const delays = [
        ...(prev?.extra?.maxLoopDelays ? String(prev.extra.maxLoopDelays).split(' ') : []),
        ...(r.maxLoopDelayMs !== undefined ? [r.maxLoopDelayMs.toFixed(1)] : []),
      ];
      const best = prev && prev.msPerItem <= r.msPerItem ? prev : r;
      results[spec] = {
        ...best,
        peakRssMiB: Math.max(prev?.peakRssMiB ?? 0, r.peakRssMiB),
        extra: {
          ...best.extra,
          runs: runs.join(' '),
          ...(delays.length > 0 && { maxLoopDelays: delays.join(' ') }),
        },
      };
    }
  }
  const load = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    load,
    threads: THREADS,
    batch: BATCH,
    groups: GROUPS,
    seconds: Math.round((Date.now() - started) / 1000),
    results,
  };
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'results.json'), JSON.stringify(report, null, 2));
  const ratio = (a?: Result, b?: Result): string => (a && b ? (b.msPerItem / a.msPerItem).toFixed(3) : 'n/a');
  const delay = (a?: Result): string => a?.extra?.maxLoopDelays?.toString() ?? 'n/a';
  const rss = (a?: Result, b?: Result): string => (a && b ? (a.peakRssMiB / b.peakRssMiB).toFixed(3) : 'n/a');
  const r = results;
  console.log(JSON.stringify(report, null, 2));
  console.log('\nthroughput vs raw ORT (≥ target is good):');
  console.log(
    `  fp32 fast end-to-end / raw ORT fp32 b32: ${ratio(r['ours-fp32-fast'], r['raw-fp32-b32'])} (target ≥ 0.88)`,
  );
  console.log(
    `  fp32 exact end-to-end / raw ORT fp32 b32: ${ratio(r['ours-fp32-exact'], r['raw-fp32-b32'])}`,
  );
  console.log(
    `  q8 fast end-to-end / raw ORT q8 b32: ${ratio(r['ours-q8-fast'], r['raw-q8-b32'])} (target ≥ 0.85)`,
  );
  console.log(
    `  text fp32 / raw ORT text fp32: ${ratio(r['ours-text-fp32'], r['raw-text-fp32'])} (target ≥ 0.9)`,
  );
  console.log(`  peak RSS fp32 ours / raw: ${rss(r['ours-fp32-fast'], r['raw-fp32-b32'])} (target ≤ 1.15)`);
  console.log(
    `  peak RSS fp32 ours / raw, both with MALLOC_MMAP_THRESHOLD_=1MiB: ${rss(r['ours-fp32-fast@mmap1m'], r['raw-fp32-b32@mmap1m'])}`,
  );
  console.log(
    `  max event-loop delay (target < 20 ms): fp32 ${delay(r['ours-fp32-fast'])}, q8 ${delay(r['ours-q8-fast'])}; with --no-memory-reducer: fp32 ${delay(r['ours-fp32-fast@nomr'])}, q8 ${delay(r['ours-q8-fast@nomr'])}`,
  );
  console.log(
    `  end to end, ours / transformers.js on the same file: fp32 ${ratio(r['ours-fp32-fast'], r['tjs-fp32'])}, q8 ${ratio(r['ours-q8-fast'], r['tjs-q8'])}`,
  );
  console.log(
    `  q8 / fp32 raw ORT speed-up: ${ratio(r['raw-q8-b32'], r['raw-fp32-b32'])} (vision), ${ratio(r['raw-text-q8'], r['raw-text-fp32'])} (text)`,
  );
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) {
  const fn = CHILDREN[process.argv[childIdx + 1]!];
  if (!fn) throw new Error(`unknown child ${process.argv[childIdx + 1]}`);
  await fn();
} else {
  await parent();
}
