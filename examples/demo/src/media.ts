// The demo's sample audio, made at run time with the ffmpeg @pmoves/qwen-audio bundles: 8 s of a
// kick-like pulse at 120 BPM over a low drone, so the signal features have something to find
// (tempo ≈ 120, RMS, MFCC). Synthetic: it is not music, and says so.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '@pmoves/qwen-audio';

const run = promisify(execFile);

/** What {@link makeSampleAudio} writes. */
export const SAMPLE_AUDIO = {
  seconds: 8,
  bpm: 120,
  description: '8 s synthetic pulse at 120 BPM over a 220 Hz drone (ffmpeg aevalsrc)',
};

/** Runs the bundled ffmpeg (or FFMPEG_PATH) on a lavfi source; the output format follows `out`'s extension and `extra`. */
export async function synthesize(out: string, lavfi: string, extra: string[] = []): Promise<string> {
  const ffmpeg = await resolveFfmpegPath(process.env.FFMPEG_PATH || undefined);
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', lavfi, ...extra, out]);
  return out;
}

/** Writes the sample audio as FLAC into `dir`; returns its path. */
export async function makeSampleAudio(dir: string): Promise<string> {
  const beat = 60 / SAMPLE_AUDIO.bpm;
  const expr = `0.6*sin(2*PI*60*t)*exp(-30*mod(t\\,${beat}))+0.12*sin(2*PI*220*t)`;
  return synthesize(
    join(dir, 'demo-pulse-120bpm.flac'),
    `aevalsrc=${expr}:s=44100:d=${SAMPLE_AUDIO.seconds}`,
    ['-c:a', 'flac'],
  );
}
