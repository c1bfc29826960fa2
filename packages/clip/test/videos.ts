// Test videos made at test time with ffmpeg's synthetic sources (never committed): testsrc2,
// colour bars, a hard cut between two scenes, an audio-only file, a corrupt file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegBinary } from '@pmoves/internal';

const run = promisify(execFile);

/** The ffmpeg the tests use to make videos (the bundled one). */
export const testFfmpeg = (): Promise<string> => resolveFfmpegBinary();

/** A temporary directory of generated videos; `dispose()` removes it. */
export interface VideoDir {
  dir: string;
  /** Run ffmpeg with `args`, writing `name` in the directory; returns its path. */
  make(name: string, args: string[]): Promise<string>;
  dispose(): Promise<void>;
}

export async function videoDir(): Promise<VideoDir> {
  const dir = await mkdtemp(join(tmpdir(), 'pmoves-clip-video-'));
  const ffmpeg = await testFfmpeg();
  return {
    dir,
    async make(name, args) {
      const out = join(dir, name);
      await run(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, out], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return out;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** x264 at the fastest preset, a keyframe every `gop` frames and none at scene cuts. */
export const h264 = (gop = 25): string[] => [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-pix_fmt',
  'yuv420p',
  '-g',
  String(gop),
  '-keyint_min',
  String(gop),
  '-sc_threshold',
  '0',
];

/** `seconds` of testsrc2 at `fps`, `size` (WxH). */
export const testsrc2 = (seconds: number, fps = 25, size = '160x120'): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=${fps}:duration=${seconds}`,
];

/** Colour bars for `first` seconds, then a hard cut to testsrc2 for `second` seconds. */
export const hardCut = (first: number, second: number, fps = 25, size = '160x120'): string[] => [
  '-f',
  'lavfi',
  '-i',
  `smptebars=size=${size}:rate=${fps}:duration=${first}`,
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=${fps}:duration=${second}`,
  '-filter_complex',
  '[0:v][1:v]concat=n=2:v=1:a=0[v]',
  '-map',
  '[v]',
];

/** `seconds` of a sine tone, no video. */
export const sine = (seconds: number): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:duration=${seconds}`,
];

/** A file of random bytes named like a video. */
export async function corruptFile(dir: string, name = 'corrupt.mp4'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, randomBytes(64 * 1024));
  return path;
}

/** Child processes of this process (Linux: /proc/self/task/N/children), to see ffmpeg is gone. */
export async function childPids(): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const task of await readdir('/proc/self/task')) {
    const text = await readFile(`/proc/self/task/${task}/children`, 'utf8').catch(() => '');
    for (const p of text.split(/\s+/).filter(Boolean)) pids.push(Number(p));
  }
  return pids;
}

/** The command name of a process, or undefined when it is gone. */
export async function processName(pid: number): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  return readFile(`/proc/${pid}/comm`, 'utf8').then(
    (s) => s.trim(),
    () => undefined,
  );
}
