import { spawn } from 'node:child_process';
import { endianness } from 'node:os';
import { QwenAudioError } from '../errors';
import { QWEN_SAMPLE_RATE, lastLines } from './ffmpeg';

/** Options of the decoders (`decodePcm`). */
export interface DecodeOptions {
  /** ffmpeg binary (see `resolveFfmpegPath`). */
  ffmpeg: string;
  /** Seek to this many seconds before decoding (input seeking: fast, sample-accurate when transcoding). */
  startSeconds?: number;
  /** Decode at most this many seconds. */
  durationSeconds?: number;
  /** Output sample rate in Hz; default 16000. */
  sampleRate?: number;
  /** Aborts decoding and kills ffmpeg. */
  signal?: AbortSignal;
}

function ffmpegArgs(path: string, opts: DecodeOptions, format: 'f32le' | 's16le'): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (opts.startSeconds && opts.startSeconds > 0) args.push('-ss', opts.startSeconds.toFixed(3));
  if (opts.durationSeconds !== undefined) args.push('-t', opts.durationSeconds.toFixed(3));
  // First audio stream only (video files: their audio track); downmix to mono and resample.
  args.push('-i', path, '-vn', '-sn', '-dn', '-map', '0:a:0', '-ac', '1');
  args.push('-ar', String(opts.sampleRate ?? QWEN_SAMPLE_RATE), '-f', format, 'pipe:1');
  return args;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Little-endian signed 16-bit PCM bytes to floats in [-1, 1). */
export function s16ToFloat(buf: Buffer): Float32Array {
  const n = buf.length >> 1;
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN && buf.byteOffset % 2 === 0) {
    const ints = new Int16Array(buf.buffer, buf.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = ints[i]! / 32768;
  } else {
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2) / 32768;
  }
  return out;
}

/**
 * Decodes the first audio track of a file to mono PCM (16 kHz by default; 16-bit from ffmpeg, yielded as floats), yielding blocks as
 * ffmpeg produces them, so memory stays flat however long the input is.
 *
 * @throws {@link QwenAudioError} `decode` when ffmpeg fails (no audio track, corrupt input),
 *   `ffmpeg` when it cannot start, `aborted` when the signal fires.
 */
export async function* streamPcm(path: string, opts: DecodeOptions): AsyncGenerator<Float32Array> {
  // 16-bit output halves the bytes through the pipe (the WAV we send is 16-bit anyway); converting
  // to float here costs less than moving float32 through the pipe.
  const child = spawn(opts.ffmpeg, ffmpegArgs(path, opts, 's16le'), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-16_000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (cause) =>
      reject(
        new QwenAudioError('ffmpeg', `cannot run ffmpeg at ${opts.ffmpeg}: ${cause.message}`, { cause }),
      ),
    );
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  const onAbort = () => child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let carry: Buffer | null = null;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const whole: number = buf.length - (buf.length % 2);
      carry = whole < buf.length ? Buffer.from(buf.subarray(whole)) : null;
      buf = buf.subarray(0, whole);
      if (buf.length === 0) continue;
      yield s16ToFloat(buf);
    }
    const code = await exited;
    if (opts.signal?.aborted) {
      throw new QwenAudioError('aborted', 'decoding aborted', { cause: opts.signal.reason });
    }
    if (code !== 0) {
      throw new QwenAudioError(
        'decode',
        `ffmpeg could not decode ${path} (exit ${code}): ${lastLines(stderr)}`,
      );
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Decodes a file (or a time range of it) fully into one mono Float32Array. */
export async function decodePcm(path: string, opts: DecodeOptions): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let total = 0;
  for await (const p of streamPcm(path, opts)) {
    parts.push(p);
    total += p.length;
  }
  const out = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
