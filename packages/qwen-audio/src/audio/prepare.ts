import pLimit from 'p-limit';
import { s16ToFloat } from './decode.js';
import { QWEN_SAMPLE_RATE, runFfmpeg } from './ffmpeg.js';
import { wavFromS16le } from './wav.js';
import type { AudioWindow } from './windows.js';

/** One window decoded and ready to send: 16 kHz mono samples and the same audio as a WAV file. */
export interface PreparedWindow {
  /** Which part of the item this is. */
  window: AudioWindow;
  /** 16 kHz mono float samples. */
  pcm: Float32Array;
  /** 16-bit 16 kHz mono WAV with a full RIFF header. */
  wav: Buffer;
}

/** Options for {@link prepareWindows}. */
export interface PrepareWindowsOptions {
  /** ffmpeg binary. */
  ffmpeg: string;
  /** ffmpeg processes run at once; default 2. */
  concurrency?: number;
  /** Aborts all extraction. */
  signal?: AbortSignal;
}

/**
 * One window by input seeking (`-ss`/`-t` before `-i`): ffmpeg demuxes from the seek point and
 * decodes 30 s at most. One process per window: tried and measured, a single process with one input
 * per window (concat filter, or one output per window) was no faster — its read loop idles between
 * inputs, and the decoding work is the same.
 */
async function extractWindow(
  path: string,
  window: AudioWindow,
  opts: PrepareWindowsOptions,
): Promise<PreparedWindow> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (window.startSeconds > 0) args.push('-ss', window.startSeconds.toFixed(3));
  args.push('-t', window.durationSeconds.toFixed(3), '-i', path, '-vn', '-sn', '-dn', '-map', '0:a:0');
  args.push('-ac', '1', '-ar', String(QWEN_SAMPLE_RATE), '-f', 's16le', 'pipe:1');
  const { stdout } = await runFfmpeg(opts.ffmpeg, args, opts.signal ? { signal: opts.signal } : {});
  const bytes = stdout.subarray(0, stdout.length - (stdout.length % 2));
  return { window, pcm: s16ToFloat(bytes), wav: wavFromS16le(bytes, QWEN_SAMPLE_RATE) };
}

/**
 * Decodes only the planned windows, each by seeking the input, so a long item is never decoded in
 * full; `concurrency` ffmpeg processes run at once. Windows come back in plan order.
 */
export async function prepareWindows(
  path: string,
  windows: readonly AudioWindow[],
  opts: PrepareWindowsOptions,
): Promise<PreparedWindow[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 2));
  return Promise.all(windows.map((w) => limit(() => extractWindow(path, w, opts))));
}
