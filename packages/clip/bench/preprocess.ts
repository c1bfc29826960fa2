// Preprocessing benchmark for @pmoves/clip: what `exact` and `fast` cost per image, how long they block
// the event loop, and how far each is from the Hugging Face reference crops.
//
//   npx tsx packages/clip/bench/preprocess.ts [--quick]
//
// Figures go to packages/clip/BENCHMARKS-preprocess.md (copied by hand; the run prints Markdown).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { createPreprocessor, DEFAULT_PREPROCESSOR_CONFIG, type Preprocessor } from '../src/preprocess/index';
import { planCrop } from '../src/preprocess/geometry';
import { pixelDiff } from '../test/pixels';

const quick = process.argv.includes('--quick');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const imagesDir = path.resolve(repoRoot, '../shared/fixtures/images');
const manifest = JSON.parse(readFileSync(path.join(imagesDir, 'manifest.json'), 'utf8')) as {
  items: { file: string; expect: string; reference?: string }[];
};
const matches = manifest.items.filter((i) => i.expect === 'match');

const exact = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'exact' });
const fast = createPreprocessor(DEFAULT_PREPROCESSOR_CONFIG, { mode: 'fast' });

/** The straightforward sharp pipeline the issue measured (rotate → resize cubic → extract → raw). */
async function plainSharp(bytes: Uint8Array): Promise<Buffer> {
  const meta = await sharp(bytes, { autoOrient: true }).metadata();
  const plan = planCrop(DEFAULT_PREPROCESSOR_CONFIG, meta.autoOrient.width, meta.autoOrient.height);
  return sharp(bytes, { autoOrient: true })
    .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel: 'cubic' })
    .extract({ left: plan.srcLeft, top: plan.srcTop, width: plan.width, height: plan.height })
    .removeAlpha()
    .raw()
    .toBuffer();
}

type Run = (bytes: Uint8Array) => Promise<unknown>;
const runs: Record<string, Run> = {
  exact: (b) => exact.toRgbCrop(b),
  fast: (b) => fast.toRgbCrop(b),
  'plain sharp': plainSharp,
};

interface Timing {
  wallMs: number;
  cpuMs: number;
  /** Main-thread (event loop) busy time per image: JavaScript work, the rest runs in libvips threads. */
  mainMs: number;
  /** Largest event-loop delay while images run one at a time. */
  sequentialDelayMs: number;
  parallelMs: number;
  maxDelayMs: number;
}

/** Sequential wall and process CPU per image, then 4 in flight with the event-loop delay watched. */
async function measure(run: Run, bytes: Uint8Array, n: number): Promise<Timing> {
  for (let i = 0; i < 3; i++) await run(bytes);
  const sequentialDelay = monitorEventLoopDelay({ resolution: 1 });
  sequentialDelay.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await run(bytes);
  const wallMs = (performance.now() - t0) / n;
  const mainMs = performance.eventLoopUtilization(elu0).active / n;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / n;
  sequentialDelay.disable();

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        next++;
        await run(bytes);
      }
    }),
  );
  const parallelMs = (performance.now() - t1) / n;
  histogram.disable();
  return {
    wallMs,
    cpuMs,
    mainMs,
    sequentialDelayMs: sequentialDelay.max / 1e6,
    parallelMs,
    maxDelayMs: histogram.max / 1e6,
  };
}

const diff = pixelDiff;

const f = (v: number, digits = 1) => v.toFixed(digits);

async function main(): Promise<void> {
  console.log(
    `# machine: ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${f(os.totalmem() / 2 ** 30, 0)} GiB`,
  );
  console.log(`# node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
  console.log(
    `# load average before: ${os
      .loadavg()
      .map((v) => f(v, 2))
      .join(' ')}\n`,
  );

  // Synthetic photos at typical sizes, made from the fixtures (sharpened so that there is detail).
  const photo = async (src: string, w: number, h: number) =>
    sharp(path.join(imagesDir, src))
      .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
      .sharpen()
      .jpeg({ quality: 90 })
      .toBuffer();
  const cases: [string, Uint8Array, number][] = [
    ['1024×768 JPEG', await photo('coffee.png', 1024, 768), quick ? 10 : 60],
    ['1920×1080 JPEG', await photo('astronaut.jpg', 1920, 1080), quick ? 5 : 30],
    ['4000×3000 JPEG', await photo('chelsea.jpg', 4000, 3000), quick ? 2 : 8],
  ];
  const fixtureBytes = matches.map((m) => readFileSync(path.join(imagesDir, m.file)));

  console.log('## Cost per image\n');
  console.log(
    '| input | mode | wall ms (1 at a time) | process CPU ms | main-thread ms | max event-loop delay ms (1 at a time) | wall ms/image, 4 in flight | max event-loop delay ms (4 in flight) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, bytes, n] of cases) {
    for (const [mode, run] of Object.entries(runs)) {
      const t = await measure(run, bytes, n);
      console.log(
        `| ${label} | ${mode} | ${f(t.wallMs)} | ${f(t.cpuMs)} | ${f(t.mainMs)} | ${f(t.sequentialDelayMs)} | ${f(t.parallelMs)} | ${f(t.maxDelayMs)} |`,
      );
    }
  }
  // All 12 fixtures in turn.
  for (const [mode, run] of Object.entries(runs)) {
    let i = 0;
    const t = await measure(
      () => run(fixtureBytes[i++ % fixtureBytes.length]!),
      fixtureBytes[0]!,
      quick ? 12 : 96,
    );
    console.log(
      `| the 12 fixtures | ${mode} | ${f(t.wallMs)} | ${f(t.cpuMs)} | ${f(t.mainMs)} | ${f(t.sequentialDelayMs)} | ${f(t.parallelMs)} | ${f(t.maxDelayMs)} |`,
    );
  }

  console.log('\n## Fidelity against the reference crops (max / mean level difference)\n');
  console.log('| fixture | exact | fast | plain sharp |');
  console.log('|---|---|---|---|');
  for (const [i, item] of matches.entries()) {
    const ref = new Uint8Array(readFileSync(path.join(imagesDir, item.reference!)));
    const cells: string[] = [];
    for (const run of [exact, fast] as Preprocessor[]) {
      const d = diff((await run.toRgbCrop(fixtureBytes[i]!)).data, ref);
      cells.push(`${d.max} / ${f(d.mean, 3)}`);
    }
    const d = diff(new Uint8Array(await plainSharp(fixtureBytes[i]!)), ref);
    cells.push(`${d.max} / ${f(d.mean, 3)}`);
    console.log(`| ${item.file} | ${cells.join(' | ')} |`);
  }

  console.log('\n## fast against exact on larger photos (no reference crop exists at these sizes)\n');
  console.log('| input | max | mean |');
  console.log('|---|---:|---:|');
  for (const [label, bytes] of cases) {
    const d = diff((await fast.toRgbCrop(bytes)).data, (await exact.toRgbCrop(bytes)).data);
    console.log(`| ${label} | ${d.max} | ${f(d.mean, 3)} |`);
  }
  console.log(
    `\n# load average after: ${os
      .loadavg()
      .map((v) => f(v, 2))
      .join(' ')}`,
  );
}

await main();
