import pLimit from 'p-limit';
import { QwenAudioError } from '../errors';
import { decodePcm, s16ToFloat } from './decode';
import { QWEN_SAMPLE_RATE, probeAudio, runFfmpeg } from './ffmpeg';
import { encodeWav, wavFromS16le } from './wav';
import { planWindows } from './windows';
import type { AudioWindow } from './windows';

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
export async function extractWindow(
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

/** Options for {@link prepareItemWindows}. */
export interface PrepareItemOptions extends PrepareWindowsOptions {
  /** Window length, seconds (≤ 30). */
  windowSeconds: number;
  /** Most windows analysed per item. */
  maxWindows: number;
}

/** An item's length and its planned windows, decoded (empty windows dropped). */
export interface PreparedItem {
  /** Length of the whole item, seconds. */
  durationSeconds: number;
  /** The planned windows that hold audio, in order. */
  windows: PreparedWindow[];
}

/**
 * Probes an item, plans its windows and decodes them: by seeking when ffmpeg knows the length,
 * otherwise (a raw stream) by decoding once and cutting the windows from memory.
 *
 * @throws {@link QwenAudioError} `decode` when the input has no audio track or no samples.
 */
export async function prepareItemWindows(path: string, opts: PrepareItemOptions): Promise<PreparedItem> {
  const { ffmpeg, signal } = opts;
  const probe = await probeAudio(ffmpeg, path, signal);
  if (!probe.hasAudio) throw new QwenAudioError('decode', `${path} has no audio track`);
  const plan = { windowSeconds: opts.windowSeconds, maxWindows: opts.maxWindows };
  let durationSeconds = probe.durationSeconds;
  let windows: PreparedWindow[];
  if (durationSeconds === null) {
    const pcm = await decodePcm(path, { ffmpeg, ...(signal ? { signal } : {}) });
    durationSeconds = pcm.length / QWEN_SAMPLE_RATE;
    windows = planWindows(durationSeconds, plan).map((window) => {
      const slice = pcm.slice(
        Math.round(window.startSeconds * QWEN_SAMPLE_RATE),
        Math.round((window.startSeconds + window.durationSeconds) * QWEN_SAMPLE_RATE),
      );
      return { window, pcm: slice, wav: encodeWav(slice, QWEN_SAMPLE_RATE) };
    });
  } else {
    windows = await prepareWindows(path, planWindows(durationSeconds, plan), opts);
  }
  windows = windows.filter((w) => w.pcm.length > 0);
  if (windows.length === 0) throw new QwenAudioError('decode', `${path} decoded to no audio samples`);
  return { durationSeconds, windows };
}
