// Benchmark of the quantized vision graphs on the generated ViT-B/32 (real dimensions, deterministic
// weights: speed and memory are real, the embeddings mean nothing): fp32, quantizeModel's int8 and
// uint8 (per channel), and the transformers.js-style `_quantized` file the generator writes. Each
// file is measured in its own child process (its peak RSS is its own), the children interleaved
// and repeated; ratios are taken within one run. Also prints `auto`'s choice on this CPU and each
// variant's cosine to fp32 on the same batch. Feeds docs/FOOTPRINTS.md and BENCHMARKS.md.
//   flock /tmp/pmoves-bench.lock node --import tsx bench/quantize.ts [--repeats N] [--batches N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const SPLIT = join(pkg, '.models', 'vit-b32', 'xenova-split');
const WORK = join(pkg, '.bench', 'quantize');
const BATCH = 8;
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

const FILES: Record<string, string> = {
  fp32: join(SPLIT, 'onnx', 'vision_model.onnx'),
  'int8 (quantizeModel)': join(WORK, 'vision_model_int8.onnx'),
  'uint8 (quantizeModel)': join(WORK, 'vision_model_uint8.onnx'),
  'q8 _quantized (transformers.js settings)': join(SPLIT, 'onnx', 'vision_model_quantized.onnx'),
};

interface ChildResult {
  msPerImage: number;
  peakRssMiB: number;
  loadMs: number;
  embeds: number[];
}

/** One file: load, warm up, time `batches` batches of BATCH, report ms/image and peak RSS. */
async function child(file: string, batches: number): Promise<void> {
  const ort = await import('onnxruntime-node');
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableCpuMemArena: false,
  });
  const loadMs = performance.now() - t0;
  const data = Float32Array.from({ length: BATCH * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001) * 1.5);
  const feeds = { pixel_values: new ort.Tensor('float32', data, [BATCH, 3, 224, 224]) };
  const first = await session.run(feeds);
  const t1 = performance.now();
  for (let i = 0; i < batches; i++) await session.run(feeds);
  const ms = performance.now() - t1;
  const embeds = Array.from((first.image_embeds!.data as Float32Array).subarray(0, 512 * BATCH));
  const result: ChildResult = {
    msPerImage: ms / (batches * BATCH),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    loadMs,
    embeds,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function cosineRows(a: number[], b: number[]): number {
  let worst = 1;
  for (let r = 0; r < BATCH; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < 512; c++) {
      const x = a[r * 512 + c]!;
      const y = b[r * 512 + c]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    worst = Math.min(worst, dot / Math.sqrt(na * nb));
  }
  return worst;
}

async function parent(): Promise<void> {
  const { ensureModels, VIT_B32_DIMS } = await import('../scripts/generate-models');
  const { quantizeOnnxBytes } = await import('../src/quantize/quantize-model');
  const { autoWeightType, cpuInt8Support } = await import('../src/model/cpu');
  process.stderr.write('generating the ViT-B/32-dimension model (cached in .models/vit-b32)…\n');
  ensureModels({
    outDir: join(pkg, '.models', 'vit-b32'),
    dims: VIT_B32_DIMS,
    layouts: ['xenova-split'],
    dtypes: ['fp32', 'q8'],
  });
  mkdirSync(WORK, { recursive: true });
  for (const weights of ['int8', 'uint8'] as const) {
    const out = join(WORK, `vision_model_${weights}.onnx`);
    if (existsSync(out)) continue;
    const t = performance.now();
    const { bytes } = quantizeOnnxBytes(readFileSync(FILES.fp32!), { weights }, FILES.fp32);
    writeFileSync(out, bytes);
    process.stderr.write(`quantized ${weights} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const repeats = arg('repeats', 2);
  const batches = arg('batches', 4);
  const runs: Record<string, ChildResult[]> = {};
  for (let rep = 0; rep < repeats; rep++) {
    for (const [name, file] of Object.entries(FILES)) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, String(batches)],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
          timeout: 600_000,
        },
      );
      const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`${name} failed: ${r.stderr.slice(-2000)}`);
      const res = JSON.parse(line.slice(7)) as ChildResult;
      (runs[name] ??= []).push(res);
      process.stderr.write(
        `  ${name}: ${res.msPerImage.toFixed(1)} ms/image, peak RSS ${res.peakRssMiB.toFixed(0)} MiB\n`,
      );
    }
  }
  const best = (name: string) => runs[name]!.reduce((a, b) => (b.msPerImage < a.msPerImage ? b : a));
  const fp32 = best('fp32');
  const rows = Object.keys(FILES).map((name) => {
    const b = best(name);
    return {
      file: name,
      bytes: readFileSync(FILES[name]!).length,
      msPerImage: +b.msPerImage.toFixed(1),
      runs: runs[name]!.map((r) => +r.msPerImage.toFixed(1)),
      speedupVsFp32: +(fp32.msPerImage / b.msPerImage).toFixed(2),
      peakRssMiB: Math.round(Math.max(...runs[name]!.map((r) => r.peakRssMiB))),
      loadMs: Math.round(b.loadMs),
      cosineToFp32: +cosineRows(fp32.embeds, b.embeds).toFixed(5),
    };
  });
  const cpu = cpuInt8Support();
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    cpuInt8: cpu,
    auto: autoWeightType(cpu),
    batch: BATCH,
    batches,
    repeats,
    rows,
  };
  writeFileSync(join(WORK, 'results.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) await child(process.argv[childIdx + 1]!, Number(process.argv[childIdx + 2]));
else await parent();
