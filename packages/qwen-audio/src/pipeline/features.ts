import { QWEN_SAMPLE_RATE, resolveFfmpegPath } from '../audio/ffmpeg';
import { prepareItemWindows } from '../audio/prepare';
import { featuresOfWindows } from '../features/extract';
import type { AudioFeatures } from '../schema';

/** Options of {@link measureAudioFeatures}. */
export interface MeasureFeaturesOptions {
  /** ffmpeg binary; default the one in `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath?: string;
  /** Window length, seconds (≤ 30); default 30. */
  windowSeconds?: number;
  /** Most windows measured; default 12 (longer items are sampled as `analyze` samples them). */
  maxWindows?: number;
  /** Aborts decoding. */
  signal?: AbortSignal;
}

/**
 * The signal features `analyze` stores (tempo, RMS, MFCC, …) without any model: decodes the same
 * windows `analyze` would and measures them.
 *
 * @throws {@link QwenAudioError} `decode`, `ffmpeg`, `aborted`.
 */
export async function measureAudioFeatures(
  path: string,
  opts: MeasureFeaturesOptions = {},
): Promise<AudioFeatures> {
  const item = await prepareItemWindows(path, {
    ffmpeg: await resolveFfmpegPath(opts.ffmpegPath),
    windowSeconds: opts.windowSeconds ?? 30,
    maxWindows: opts.maxWindows ?? 12,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return featuresOfWindows(item.windows, item.durationSeconds, QWEN_SAMPLE_RATE);
}
