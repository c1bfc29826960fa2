import { spawn } from 'node:child_process';
import { QwenAudioError } from '../errors';

/** Sample rate Qwen2-Audio expects, in Hz. */
export const QWEN_SAMPLE_RATE = 16_000;

/**
 * The ffmpeg binary to run: the explicit argument (the `ffmpegPath` option, `FFMPEG_PATH` through
 * `qwenAudioOptionsFromEnv`), else the static build shipped inside `@ffmpeg-installer/ffmpeg`
 * (loaded lazily so an unsupported platform only fails when used).
 */
export async function resolveFfmpegPath(explicit?: string): Promise<string> {
  if (explicit) return explicit;
  try {
    const mod = (await import('@ffmpeg-installer/ffmpeg')) as { path?: string; default?: { path?: string } };
    const path = mod.path ?? mod.default?.path;
    if (!path) throw new Error('no path exported');
    return path;
  } catch (cause) {
    throw new QwenAudioError(
      'ffmpeg',
      'no ffmpeg binary: @ffmpeg-installer/ffmpeg has no build for this platform; set FFMPEG_PATH (or the ffmpegPath option)',
      { cause },
    );
  }
}

/** What `ffmpeg -i` reports about an input before decoding. */
export interface ProbeResult {
  /** Container duration in seconds, or null when ffmpeg cannot tell (streams). */
  durationSeconds: number | null;
  /** Whether the input has at least one audio stream. */
  hasAudio: boolean;
}

/**
 * Reads duration and stream list from `ffmpeg -i` (the npm package ships no ffprobe).
 *
 * @throws {@link QwenAudioError} `decode` when ffmpeg cannot open the input.
 */
export async function probeAudio(ffmpeg: string, path: string, signal?: AbortSignal): Promise<ProbeResult> {
  const { stderr } = await runFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', '-i', path], {
    signal,
    allowFailure: true,
  });
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  const hasAudio = /Stream #\d+:\d+.*: Audio:/.test(stderr);
  if (!m && !hasAudio) {
    throw new QwenAudioError('decode', `ffmpeg cannot read ${path}: ${lastLines(stderr)}`);
  }
  const durationSeconds = m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
  return { durationSeconds, hasAudio };
}

/** Runs ffmpeg to completion, collecting stdout and stderr; kills it when the signal fires. */
export function runFfmpeg(
  ffmpeg: string,
  args: string[],
  opts: { signal?: AbortSignal; allowFailure?: boolean } = {},
): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      if (err.length > 64_000) err = err.slice(-32_000);
    });
    child.on('error', (cause: NodeJS.ErrnoException) => {
      if (cause.name === 'AbortError') reject(new QwenAudioError('aborted', 'ffmpeg aborted', { cause }));
      else
        reject(new QwenAudioError('ffmpeg', `cannot run ffmpeg at ${ffmpeg}: ${cause.message}`, { cause }));
    });
    child.on('close', (code) => {
      if (code !== 0 && !opts.allowFailure) {
        reject(new QwenAudioError('decode', `ffmpeg exited with ${code}: ${lastLines(err)}`));
      } else resolve({ stdout: Buffer.concat(out), stderr: err, code });
    });
  });
}

/** The last few lines of ffmpeg's stderr, for error messages. */
export function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
