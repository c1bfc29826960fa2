// Probe: where extraction loses against ffmpeg alone. The same decoding command, interleaved: to
// /dev/null without showinfo (the baseline); into a pipe read and dropped by this process, with
// ffmpeg writing from its decoding thread (`-f rawvideo`) and through the fifo muxer (a writer
// thread with a 2-frame queue); and extractVideoFrames itself. Prints each run and the medians'
// ratios to the baseline.
//
// Run: node --import tsx bench/probes/video-fifo.ts [minutes=2] [repeats=3]
import { execFileSync, spawn } from 'node:child_process';
import { resolveFfmpegBinary } from '@pmoves/internal';
import { decodeArgs, extractVideoFrames } from '../../src/video/frames';
import { parseSampling, samplingArgs } from '../../src/video/sampling';
import { cachedClip } from '../synthetic-video';

const MINUTES = Number(process.argv[2] ?? 2);
const REPEATS = Number(process.argv[3] ?? 3);
const ffmpeg = await resolveFfmpegBinary(process.env.FFMPEG_PATH);
const path = cachedClip(ffmpeg, MINUTES, (l) => console.error(l));
const sampling = samplingArgs(
  parseSampling({ everySeconds: 1 }),
  { duration: MINUTES * 60, width: 1920, height: 1080, hasAudio: false },
  path,
);
const input = ['-protocol_whitelist', 'file', '-i', path];
const quiet = (args: string[]) => args.map((a) => (a === 'info' ? 'error' : a));

function run(args: string[], read: boolean): Promise<{ s: number; bytes: number }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(ffmpeg, ['-y', ...args], { stdio: ['ignore', read ? 'pipe' : 'ignore', 'ignore'] });
    let bytes = 0;
    child.stdout?.on('data', (c: Buffer) => (bytes += c.length));
    child.once('error', rej);
    child.once('close', (code) =>
      code === 0 ? res({ s: (performance.now() - t0) / 1000, bytes }) : rej(new Error(`exit ${code}`)),
    );
  });
}

const variants = {
  baseline: () => run(quiet(decodeArgs(input, sampling, '/dev/null', false)), false),
  direct: () => run(quiet(decodeArgs(input, sampling, 'pipe:1', true)), true),
  fifo: () => run(quiet(decodeArgs(input, sampling, 'pipe:1', true, 2)), true),
  ours: () => ours(),
};
async function ours(): Promise<{ s: number; bytes: number }> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const f of extractVideoFrames(path, { everySeconds: 1 })) bytes += f.image.data.length;
  return { s: (performance.now() - t0) / 1000, bytes };
}
const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < REPEATS; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const { s, bytes } = await fn();
    times[name]!.push(s);
    console.error(
      `run ${r + 1} ${name}: ${s.toFixed(2)} s${bytes ? `, ${(bytes / 2 ** 20).toFixed(0)} MiB read` : ''}`,
    );
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = med(times.baseline!);
console.log(
  JSON.stringify(
    {
      ffmpeg: execFileSync(ffmpeg, ['-version'], { encoding: 'utf8' }).split('\n')[0],
      clip: `${MINUTES} min 1080p25, 1 frame a second`,
      times,
      throughputVsBaseline: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, base / med(v)])),
    },
    null,
    2,
  ),
);
