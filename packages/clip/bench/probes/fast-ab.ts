// Probe: CPU per image of the `fast` path against an older commit's, interleaved in one process
// (8 rounds of 54 images each, one image at a time), on the benchmark JPEGs (BENCHMARKS.md, "The
// streamed path"). Needs .bench/images (npm run bench once).
//   node --import tsx bench/probes/fast-ab.ts <commit> [synth|real]
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import sharp from 'sharp';
import * as current from '../../src/preprocess/index';

const commit = process.argv[2];
if (!commit) throw new Error('usage: fast-ab.ts <commit> [synth|real]');
const pkg = new URL('../../', import.meta.url).pathname;
const oldDir = `${pkg}.bench/ab-src`;
rmSync(oldDir, { recursive: true, force: true });
mkdirSync(oldDir, { recursive: true });
execSync(`git archive ${commit} src | tar -x -C ${oldDir}`, { cwd: pkg });
const older = (await import(`${oldDir}/src/preprocess/index.ts`)) as typeof current;

const dir = `${pkg}.bench/images`;
const files = readdirSync(dir)
  .filter((f) => f.startsWith(process.argv[3] ?? 'synth'))
  .map((f) => readFileSync(`${dir}/${f}`));
sharp.concurrency(1);
const target = new Float32Array(3 * 224 * 224);
const paths = {
  current: current.createPreprocessor(current.DEFAULT_PREPROCESSOR_CONFIG),
  [commit]: older.createPreprocessor(older.DEFAULT_PREPROCESSOR_CONFIG),
};
const cpu: Record<string, number[]> = {};
for (let round = 0; round < 8; round++) {
  for (const [name, pre] of Object.entries(paths)) {
    for (let i = 0; i < 4; i++) await pre.toTensorInto(files[i % files.length]!, target, 0);
    const c0 = process.cpuUsage();
    const n = 54;
    for (let i = 0; i < n; i++) await pre.toTensorInto(files[i % files.length]!, target, 0);
    const c = process.cpuUsage(c0);
    (cpu[name] ??= []).push((c.user + c.system) / 1000 / n);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [name, runs] of Object.entries(cpu)) {
  console.log(
    `${name.padEnd(10)} CPU ms/image: median ${median(runs).toFixed(2)}, rounds ${runs.map((x) => x.toFixed(1)).join(' ')}`,
  );
}
