// Benchmark of video frame embedding:
//  1. extraction alone: extractVideoFrames (1 frame a second, frames cut out of the pipe and
//     handed over) against the same ffmpeg command writing raw RGB to /dev/null (no showinfo,
//     nothing read back), on a synthetic 1080p clip (testsrc2, x264), interleaved repeats;
//  2. end to end: embedVideo with the generated ViT-B/32-size q8 model (real speed, meaningless
//     vectors) on the same clip;
//  3. memory: RSS of this process every 2 s while embedVideoFrames consumes a long synthetic clip
//     that is never stored: a loopback HTTP server answers each request with a live ffmpeg encode
//     (testsrc2 → MPEG-TS), read through the video URL source.
//
// Run: `npm run bench:video -w @pmoves/clip` (flock /tmp/pmoves-bench.lock). Options:
//   --minutes M (10), --repeats R (3), --hours H (2), --soak-fps F (2), --skip e2e,soak
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveFfmpegBinary } from '@pmoves/internal';
import { decodeArgs, extractVideoFrames } from '../src/video/frames';
import { samplingArgs, parseSampling } from '../src/video/sampling';
import { embedVideo, embedVideoFrames } from '../src/video/embed-video';
import { cachedClip, synthetic1080p } from './synthetic-video';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const MINUTES = Number(arg('minutes', '10'));
const REPEATS = Number(arg('repeats', '3'));
const HOURS = Number(arg('hours', '2'));
const SOAK_FPS = Number(arg('soak-fps', '2'));
const SKIP = arg('skip', '').split(',');

const log = (s: string) => process.stderr.write(`${s}\n`);

/** The ffmpeg-only baseline: the command extractVideoFrames runs, without showinfo, to /dev/null. */
function baseline(ffmpeg: string, path: string, duration: number): Promise<number> {
  const sampling = samplingArgs(
    parseSampling({ everySeconds: 1 }),
    { duration, width: 1920, height: 1080, hasAudio: false },
    path,
  );
  const args = decodeArgs(['-protocol_whitelist', 'file', '-i', path], sampling, '/dev/null', false);
  args.splice(args.indexOf('info'), 1, 'error');
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(ffmpeg, ['-y', ...args], { stdio: 'ignore' });
    child.once('error', rej);
    child.once('close', (code) =>
      code === 0 ? res((performance.now() - t0) / 1000) : rej(new Error(`ffmpeg exit ${code}`)),
    );
  });
}

async function ours(path: string): Promise<{ seconds: number; frames: number }> {
  const t0 = performance.now();
  let frames = 0;
  let touched = 0;
  for await (const f of extractVideoFrames(path, { everySeconds: 1 })) {
    frames++;
    touched += f.image.data[0]!; // the consumer reads the frame
  }
  void touched;
  return { seconds: (performance.now() - t0) / 1000, frames };
}

async function embedder() {
  const { ensureModels, VIT_B32_DIMS } = await import('../scripts/generate-models');
  const dir = join(pkg, '.models', 'vit-b32');
  log('generating the ViT-B/32-dimension model (cached in .models/vit-b32)…');
  ensureModels({ outDir: dir, dims: VIT_B32_DIMS, layouts: ['xenova-split'], dtypes: ['fp32', 'q8'] });
  const { createClipEmbedder } = await import('../src/embedder/embedder');
  return createClipEmbedder({
    modelPath: join(dir, 'xenova-split'),
    dtype: 'q8',
    device: 'cpu',
    modalities: ['image'],
    threads: { intra: 2, inter: 1 },
  });
}

/** A loopback server that encodes a fresh live clip for every request: nothing is stored. */
async function liveClip(ffmpeg: string, seconds: number) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    const child = spawn(ffmpeg, [...synthetic1080p(seconds, SOAK_FPS), '-f', 'mpegts', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.pipe(res);
    res.on('close', () => child.kill('SIGKILL'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.ts`,
    close: () => new Promise((r) => server.close(r)),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const ffmpeg = await resolveFfmpegBinary(process.env.FFMPEG_PATH);
  const path = cachedClip(ffmpeg, MINUTES, log);
  const duration = MINUTES * 60;
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    ffmpeg: execFileSync(ffmpeg, ['-version'], { encoding: 'utf8' }).split('\n')[0],
    clip: `${MINUTES} min testsrc2 1920×1080 25 fps, x264 ultrafast`,
  };

  const runs: { ffmpeg: number; ours: number; frames: number }[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const b = await baseline(ffmpeg, path, duration);
    const o = await ours(path);
    runs.push({ ffmpeg: Number(b.toFixed(2)), ours: Number(o.seconds.toFixed(2)), frames: o.frames });
    log(
      `  extraction run ${r + 1}: ffmpeg → /dev/null ${b.toFixed(1)} s, extractVideoFrames ${o.seconds.toFixed(1)} s (${o.frames} frames)`,
    );
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  report.extraction = {
    runs,
    medianFfmpegSeconds: med(runs.map((x) => x.ffmpeg)),
    medianOursSeconds: med(runs.map((x) => x.ours)),
    throughputVsFfmpeg: Number((med(runs.map((x) => x.ffmpeg)) / med(runs.map((x) => x.ours))).toFixed(3)),
    perRunRatios: runs.map((x) => Number((x.ffmpeg / x.ours).toFixed(3))),
  };

  if (!SKIP.includes('e2e') || !SKIP.includes('soak')) {
    const e = await embedder();
    if (!SKIP.includes('e2e')) {
      const t0 = performance.now();
      const video = await embedVideo(path, { embedder: e, everySeconds: 1 });
      const s = (performance.now() - t0) / 1000;
      report.endToEnd = {
        model: 'generated ViT-B/32 dimensions, q8, fast preprocessing, 2 intra-op threads',
        frames: video.frames.length,
        seconds: Number(s.toFixed(1)),
        msPerFrame: Number(((1000 * s) / video.frames.length).toFixed(1)),
        realtimeFactor: Number((duration / s).toFixed(1)),
      };
      log(`  end to end: ${JSON.stringify(report.endToEnd)}`);
    }
    if (!SKIP.includes('soak')) {
      const seconds = Math.round(HOURS * 3600);
      const live = await liveClip(ffmpeg, seconds);
      const samples: { frame: number; rssMiB: number }[] = [];
      let frame = 0;
      // Every sample also goes to stderr each minute, so a run stopped early still has its figures.
      const timer = setInterval(() => {
        samples.push({ frame, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) });
        if (samples.length % 30 === 0) log(`  soak: ${JSON.stringify(samples[samples.length - 1])}`);
      }, 2000);
      const t0 = performance.now();
      for await (const f of embedVideoFrames(live.url, {
        embedder: e,
        everySeconds: 1,
        fetch: { allowedHosts: ['127.0.0.1'] },
      })) {
        if (f.error) throw f.error;
        frame++;
      }
      clearInterval(timer);
      await live.close();
      const rss = samples.map((x) => x.rssMiB);
      const firstTenth = rss.slice(0, Math.max(1, Math.floor(rss.length / 10)));
      const lastHalf = rss.slice(Math.floor(rss.length / 2));
      report.soak = {
        clip: `${HOURS} h testsrc2 1920×1080 at ${SOAK_FPS} fps, live MPEG-TS over loopback HTTP, 1 frame a second`,
        frames: frame,
        seconds: Math.round((performance.now() - t0) / 1000),
        rssMiB: {
          maxFirstTenth: Math.max(...firstTenth),
          medianLastHalf: med(lastHalf),
          maxLastHalf: Math.max(...lastHalf),
          max: Math.max(...rss),
        },
        samples: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 20)) === 0),
      };
      log(`  soak: ${JSON.stringify({ ...(report.soak as object), samples: undefined })}`);
    }
    await e.dispose();
  }
  report.load = execFileSync('uptime', { encoding: 'utf8' }).trim();
  report.seconds = Math.round((Date.now() - started) / 1000);
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
