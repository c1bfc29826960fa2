// The synthetic 1080p clips the video benchmarks and probes decode: testsrc2, x264 ultrafast,
// encoded once and cached in `.bench/`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where encoded clips are cached. */
export const BENCH_WORK = resolve(import.meta.dirname, '..', '.bench');

/** ffmpeg arguments encoding `seconds` of 1080p testsrc2 at `fps` (x264 ultrafast, a keyframe every 10 s). */
export const synthetic1080p = (seconds: number, fps: number): string[] => [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=1920x1080:rate=${fps}:duration=${seconds}`,
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-crf',
  '30',
  '-g',
  String(fps * 10),
];

/** The path of a `minutes`-long 1080p25 clip, encoding it first when it is not cached. */
export function cachedClip(ffmpeg: string, minutes: number, log: (s: string) => void): string {
  mkdirSync(BENCH_WORK, { recursive: true });
  const path = join(BENCH_WORK, `testsrc2-${minutes}min-1080p25.mp4`);
  if (existsSync(path)) return path;
  log(`encoding a ${minutes}-minute 1080p clip (cached in .bench/)…`);
  execFileSync(ffmpeg, ['-y', ...synthetic1080p(minutes * 60, 25), '-pix_fmt', 'yuv420p', `${path}.tmp.mp4`]);
  execFileSync('mv', [`${path}.tmp.mp4`, path]);
  return path;
}
