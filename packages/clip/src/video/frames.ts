// Decoding a video's selected frames to raw RGB. ffmpeg writes the frames back to back on its
// stdout (a Unix socket read straight into frame buffers, else a pipe: frame-reader.ts); `showinfo` (the last filter) prints each frame's number, time and size on stderr,
// which is how the byte stream is cut into frames and each frame gets its timestamp. Reading is
// paused while frames wait for the consumer, so ffmpeg's output queue fills, ffmpeg blocks, and
// memory stays at a few frames however long the video is.
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
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
import { FrameAssembler, openFrameSocket, type FrameMeta } from './frame-reader';
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
    /**
     * Frames decoded ahead of the consumer: up to this many wait here and as many again in
     * ffmpeg's output queue before ffmpeg stops decoding. Default 2.
     */
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
    const args = decodeArgs(inputArgs, samplingArgs(sampling, probe, label), 'pipe:1', true, readAhead);
    yield* decodeFrames(ffmpeg, args, label, readAhead, signal, sourceError);
  } finally {
    await source?.close();
  }
}

/**
 * The decoding command: selection, square pixels, RGB, then `showinfo` (frame number, time and
 * size on stderr) unless `showinfo` is false, raw frames to `target`, through an output queue of
 * `queue` frames when given. The benchmark runs the same command to /dev/null without showinfo or
 * queue as the baseline.
 *
 * @internal
 */
export function decodeArgs(
  inputArgs: readonly string[],
  sampling: { beforeInput: string[]; select: string[]; output: string[] },
  target: string,
  showinfo = true,
  queue?: number,
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
    '-c:v',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    // ffmpeg (before 6.0) writes from the thread that decodes: while a 6 MB frame trickles into the
    // pipe as fast as we read it, decoding stops. The fifo muxer writes from its own thread, so
    // decoding goes on; at most `queue` frames wait there (it blocks when full, dropping nothing).
    ...(queue === undefined
      ? ['-f', 'rawvideo']
      : [
          '-f',
          'fifo',
          '-fifo_format',
          'rawvideo',
          '-queue_size',
          String(queue),
          '-drop_pkts_on_overflow',
          '0',
        ]),
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
  const asm = new FrameAssembler();
  const socket = await openFrameSocket(asm, () => settle());
  const child = startFfmpeg(ffmpeg, args, socket?.peer ?? 'pipe');
  // The child holds its own copy of the socket now; ours would keep the reader from seeing the end.
  socket?.peer.destroy();
  const exit = exitOf(child);
  exit.catch(() => undefined);
  const input: Readable = socket?.reader ?? child.stdout!;

  let stderr = '';
  let partial = '';
  let inputEnded = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  function settle() {
    if (asm.ready.length >= readAhead) input.pause();
    if (asm.ready.length > 0) notify();
  }

  // On the socket, reads land in the assembler by themselves (openFrameSocket); a pipe's chunks
  // are handed to it.
  if (!socket)
    input.on('data', (c: Buffer) => {
      asm.addBytes(c);
      settle();
    });
  const ended = () => {
    inputEnded = true;
    notify();
  };
  input.on('end', ended);
  input.on('close', ended);
  input.on('error', (err) => {
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
      if (meta) asm.addMeta(meta);
    }
    settle();
  });
  child.stderr.on('end', () => {
    const meta = parseShowinfo(partial);
    if (meta) asm.addMeta(meta);
    partial = '';
    settle();
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
      const frame = asm.ready.shift();
      if (frame) {
        if (asm.ready.length < readAhead) input.resume();
        const m = frame.meta;
        yield {
          index: m.n,
          timestamp: Math.max(0, m.time),
          image: { data: frame.data, width: m.width, height: m.height, channels: 3 },
        };
        continue;
      }
      if (inputEnded && exitCode !== undefined) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (exitCode !== 0) {
      throw sourceError(
        new ClipError('decode', `ffmpeg failed to decode ${label} (exit ${exitCode}): ${tail(stderr)}`),
      );
    }
    const left = asm.pending;
    if (left.bytes > 0 || left.metas > 0) {
      throw new ClipError('decode', `ffmpeg's output for ${label} ended in the middle of a frame`);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket?.reader.destroy();
    await stopFfmpeg(child);
  }
}
