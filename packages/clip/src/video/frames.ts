// Decoding a video's selected frames to raw RGB through a pipe. ffmpeg writes the frames back to
// back on stdout; `showinfo` (the last filter) prints each frame's number, time and size on stderr,
// which is how the byte stream is cut into frames and each frame gets its timestamp. stdout is
// paused while frames wait for the consumer, so ffmpeg blocks on a full pipe and memory stays at a
// couple of frames however long the video is.
import { stat } from 'node:fs/promises';
import type { RawImage } from '../types';
import { ClipError } from '../errors';
import { redact } from '../fetch/fetch-image';
import {
  abortError,
  exitOf,
  ffmpegBinary,
  probeVideo,
  startFfmpeg,
  stopFfmpeg,
  tail,
  type VideoProbe,
} from './ffmpeg';
import { parseSampling, samplingArgs, type VideoSampling, type VideoSamplingLimits } from './sampling';
import { openUrlSource, type UrlSource, type VideoFetchOptions } from './url-source';

/** One decoded frame. */
export interface VideoFrame {
  /** Position among the frames taken, from 0. */
  index: number;
  /** Seconds from the video's first frame. */
  timestamp: number;
  /** The frame: 8-bit RGB, square pixels (anamorphic video is stretched to its display shape). */
  image: RawImage & { channels: 3 };
}

/** Options of {@link extractVideoFrames}: a sampling mode plus where ffmpeg is and how URLs are fetched. */
export type ExtractFramesOptions = VideoSampling &
  VideoSamplingLimits & {
    /** ffmpeg binary (`FFMPEG_PATH`; default the one in `@ffmpeg-installer/ffmpeg`). */
    ffmpegPath?: string;
    /** How an http(s) URL is fetched (address policy, headers, limits); see {@link VideoFetchOptions}. */
    fetch?: VideoFetchOptions;
    /** Stops decoding and ffmpeg. */
    signal?: AbortSignal;
    /** Frames decoded ahead of the consumer before ffmpeg is paused. Default 2. */
    readAhead?: number;
    /** Called once the input has been probed, before the first frame. */
    onProbe?: (probe: VideoProbe) => void;
  };

/**
 * Demuxers allowed for a URL: single-file containers. Playlists (HLS, DASH, concat) are refused,
 * because ffmpeg would open the URLs inside them itself, past the address policy.
 */
const URL_FORMATS =
  'mov,mp4,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf,mxf,nut,wtv,dv,ivf,m4v,h264,hevc,mpegvideo,mp3,aac,wav,flac';

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)\b.*?\bs:(\d+)x(\d+)/;

interface FrameMeta {
  n: number;
  time: number;
  width: number;
  height: number;
}

function parseShowinfo(line: string): FrameMeta | undefined {
  const m = SHOWINFO.exec(line);
  return m ? { n: Number(m[1]), time: Number(m[3]), width: Number(m[4]), height: Number(m[5]) } : undefined;
}

/** Whether `input` is a URL (anything with a scheme) rather than a file path. */
function isUrl(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input);
}

/**
 * The selected frames of a video file or http(s) URL, decoded by ffmpeg to raw RGB, streamed.
 * Breaking out of the loop, an error, or `signal` stops ffmpeg (and the URL source) before the
 * generator finishes.
 *
 * @throws ClipError `invalid-input` (options), `decode` (not a readable video, or ffmpeg failed
 *   while decoding), `unsupported` (no video stream, e.g. audio only), `blocked` / `fetch` /
 *   `timeout` (a URL refused by the address policy or failing), `not-found` (no ffmpeg), `timeout`
 *   (aborted)
 */
export async function* extractVideoFrames(
  pathOrUrl: string,
  options: ExtractFramesOptions,
): AsyncGenerator<VideoFrame, void, undefined> {
  if (typeof pathOrUrl !== 'string' || pathOrUrl.length === 0) {
    throw new ClipError('invalid-input', 'video input must be a file path or an http(s) URL');
  }
  const sampling = parseSampling(options);
  const readAhead = options.readAhead ?? 2;
  if (!Number.isSafeInteger(readAhead) || readAhead < 1) {
    throw new ClipError('invalid-input', 'video option "readAhead" must be a positive integer');
  }
  const signal = options.signal;
  if (signal?.aborted) throw abortError(signal);
  const ffmpeg = await ffmpegBinary(options.ffmpegPath);

  let source: UrlSource | undefined;
  let inputArgs: string[];
  let label: string;
  if (isUrl(pathOrUrl)) {
    source = await openUrlSource(pathOrUrl, options.fetch);
    label = redact(new URL(pathOrUrl));
    inputArgs = ['-protocol_whitelist', 'http,tcp', '-format_whitelist', URL_FORMATS, '-i', source.url];
  } else {
    label = `file ${JSON.stringify(pathOrUrl)}`;
    const info = await stat(pathOrUrl).catch((err: NodeJS.ErrnoException) => {
      throw new ClipError(err.code === 'ENOENT' ? 'not-found' : 'invalid-input', `${label}: ${err.message}`, {
        cause: err,
      });
    });
    if (!info.isFile()) throw new ClipError('invalid-input', `${label} is not a file`);
    // A local playlist must not reach the network either.
    inputArgs = [
      '-protocol_whitelist',
      'file',
      '-i',
      pathOrUrl.startsWith('-') ? `file:${pathOrUrl}` : pathOrUrl,
    ];
  }
  const sourceError = (err: unknown): unknown => source?.failure() ?? err;

  try {
    let probe: VideoProbe;
    try {
      probe = await probeVideo(ffmpeg, inputArgs, label, signal);
    } catch (err) {
      throw sourceError(err);
    }
    options.onProbe?.(probe);
    const args = decodeArgs(inputArgs, samplingArgs(sampling, probe, label), 'pipe:1');
    yield* decodeFrames(ffmpeg, args, label, readAhead, signal, sourceError);
  } finally {
    await source?.close();
  }
}

/**
 * The decoding command: selection, square pixels, RGB, then `showinfo` (frame number, time and
 * size on stderr) unless `showinfo` is false, raw frames to `target`. The benchmark runs the same
 * command to /dev/null without showinfo as the baseline.
 *
 * @internal
 */
export function decodeArgs(
  inputArgs: readonly string[],
  sampling: { beforeInput: string[]; select: string[]; output: string[] },
  target: string,
  showinfo = true,
): string[] {
  const filters = [
    'setpts=PTS-STARTPTS',
    ...sampling.select,
    // Square pixels, as a still image has: stretch anamorphic frames to their display shape.
    "scale=w='if(gt(sar,1),iw*sar,iw)':h='if(between(sar,0.0001,1),ih/sar,ih)'",
    'setsar=1',
    'format=rgb24',
    // Without checksums: showinfo would otherwise hash every plane and compute its mean and
    // deviation, a full pass over each 6 MB frame that costs more than cutting it from the pipe.
    ...(showinfo ? ['showinfo=checksum=0'] : []),
  ];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    ...sampling.beforeInput,
    ...inputArgs,
    '-map',
    '0:V:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-vsync',
    '0',
    ...sampling.output,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    target,
  ];
}

async function* decodeFrames(
  ffmpeg: string,
  args: string[],
  label: string,
  readAhead: number,
  signal: AbortSignal | undefined,
  sourceError: (err: unknown) => unknown,
): AsyncGenerator<VideoFrame, void, undefined> {
  const child = startFfmpeg(ffmpeg, args);
  const exit = exitOf(child);
  exit.catch(() => undefined);

  const ready: VideoFrame[] = [];
  const metas: FrameMeta[] = [];
  const chunks: Buffer[] = [];
  let buffered = 0;
  let stderr = '';
  let partial = '';
  let stdoutEnded = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  /** Cut every complete frame whose size is known off the front of the byte stream. */
  const cut = () => {
    while (metas.length > 0) {
      const m = metas[0]!;
      const size = m.width * m.height * 3;
      if (buffered < size) break;
      metas.shift();
      const data = new Uint8Array(size);
      let at = 0;
      while (at < size) {
        const c = chunks[0]!;
        const take = Math.min(c.length, size - at);
        data.set(take === c.length ? c : c.subarray(0, take), at);
        at += take;
        if (take === c.length) chunks.shift();
        else chunks[0] = c.subarray(take);
      }
      buffered -= size;
      ready.push({
        index: m.n,
        timestamp: Math.max(0, m.time),
        image: { data, width: m.width, height: m.height, channels: 3 },
      });
    }
    if (ready.length >= readAhead) child.stdout.pause();
    if (ready.length > 0) notify();
  };

  child.stdout.on('data', (c: Buffer) => {
    chunks.push(c);
    buffered += c.length;
    cut();
  });
  child.stdout.on('end', () => {
    stdoutEnded = true;
    notify();
  });
  child.stdout.on('error', (err) => {
    failed ??= err;
    notify();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr += text;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const meta = parseShowinfo(line);
      if (meta) metas.push(meta);
    }
    cut();
  });
  child.stderr.on('end', () => {
    const meta = parseShowinfo(partial);
    if (meta) metas.push(meta);
    partial = '';
    cut();
  });
  const onAbort = () => {
    failed ??= abortError(signal!);
    notify();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let exitCode: number | null | undefined;
  exit.then(
    (code) => {
      exitCode = code;
      notify();
    },
    (err: unknown) => {
      failed ??= err;
      notify();
    },
  );

  try {
    for (;;) {
      if (failed) throw sourceError(failed);
      const frame = ready.shift();
      if (frame) {
        if (ready.length < readAhead) child.stdout.resume();
        yield frame;
        continue;
      }
      if (stdoutEnded && exitCode !== undefined) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (exitCode !== 0) {
      throw sourceError(
        new ClipError('decode', `ffmpeg failed to decode ${label} (exit ${exitCode}): ${tail(stderr)}`),
      );
    }
    if (buffered > 0 || metas.length > 0) {
      throw new ClipError('decode', `ffmpeg's output for ${label} ended in the middle of a frame`);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await stopFfmpeg(child);
  }
}
