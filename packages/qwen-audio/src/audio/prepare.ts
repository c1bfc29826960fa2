import pLimit from 'p-limit';
import { decodePcm } from './decode.js';
import { QWEN_SAMPLE_RATE } from './ffmpeg.js';
import { encodeWav } from './wav.js';
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
 * Decodes only the planned windows, each by seeking the input (`-ss` before `-i`), so a long item is
 * never decoded in full; windows come back in plan order.
 */
export async function prepareWindows(
  path: string,
  windows: readonly AudioWindow[],
  opts: PrepareWindowsOptions,
): Promise<PreparedWindow[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 2));
  return Promise.all(
    windows.map((window) =>
      limit(async () => {
        const pcm = await decodePcm(path, {
          ffmpeg: opts.ffmpeg,
          startSeconds: window.startSeconds,
          durationSeconds: window.durationSeconds,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        return { window, pcm, wav: encodeWav(pcm, QWEN_SAMPLE_RATE) };
      }),
    ),
  );
}
