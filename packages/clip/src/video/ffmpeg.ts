// Running ffmpeg: which binary, what `ffmpeg -i` says about an input (the npm build ships no
// ffprobe), and a child process that is always reaped (SIGTERM, then SIGKILL after a grace period).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { FfmpegMissingError, resolveFfmpegBinary } from '@pmoves/internal';
import { ClipError } from '../errors';

/** The ffmpeg binary: `explicit` (option or `FFMPEG_PATH`), else the one in `@ffmpeg-installer/ffmpeg`. */
export async function ffmpegBinary(explicit?: string): Promise<string> {
  try {
    return await resolveFfmpegBinary(explicit);
  } catch (err) {
    if (err instanceof FfmpegMissingError) throw new ClipError('not-found', err.message, { cause: err });
    throw err;
  }
}

/** What `ffmpeg -i` printed about an input. */
export interface VideoProbe {
  /** Container duration in seconds; undefined when ffmpeg cannot tell. */
  duration?: number;
  /** Width and height of the first video stream (before sample-aspect correction). */
  width: number;
  /** Height of the first video stream. */
  height: number;
  /** Frame rate ffmpeg reports for that stream, when it does. */
  fps?: number;
  /** Whether the input has an audio stream too. */
  hasAudio: boolean;
}

/**
 * Environment of every ffmpeg we start: without proxy variables, because ffmpeg's http client would
 * send the loopback URL source's requests to a proxy instead.
 */
export function ffmpegEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!/^(https?|all|no)_proxy$/i.test(k)) out[k] = v;
  return out;
}

/** The last few meaningful lines of ffmpeg's stderr, for error messages. */
export function tail(stderr: string, lines = 3): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l && !l.startsWith('[Parsed_showinfo') && !/^(Input|Output) #|^Stream mapping|^Press \[q\]/.test(l),
    )
    .slice(-lines)
    .join(' | ');
}

const VIDEO_LINE = /Stream #\d+:\d+[^:]*: Video: (.*)$/gm;

/**
 * Read duration and streams of `input` with `ffmpeg -i` (which exits 1: "at least one output").
 *
 * @throws ClipError `decode` (ffmpeg cannot read it: corrupt, truncated, not media), `unsupported`
 *   (no video stream: audio only, or only a cover picture), `timeout` (aborted)
 */
export async function probeVideo(
  ffmpeg: string,
  inputArgs: readonly string[],
  label: string,
  signal?: AbortSignal,
): Promise<VideoProbe> {
  const child = startFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', ...inputArgs]);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    stderr += c;
    if (stderr.length > 256_000) stderr = stderr.slice(-128_000);
  });
  child.stdout?.resume();
  await waitExit(child, signal);
  if (signal?.aborted) throw abortError(signal);
  if (!/^Input #0/m.test(stderr)) {
    throw new ClipError('decode', `${label} is not a video ffmpeg can read: ${tail(stderr) || 'no output'}`);
  }
  const hasAudio = /Stream #\d+:\d+[^:]*: Audio:/.test(stderr);
  const video = [...stderr.matchAll(VIDEO_LINE)].map((m) => m[1]!).find((l) => !/attached pic/.test(l));
  if (!video) {
    throw new ClipError(
      'unsupported',
      `${label} has no video stream${hasAudio ? ' (audio only)' : ''}; nothing to take frames from`,
    );
  }
  const size = /(?:^|[\s,])(\d{1,5})x(\d{1,5})(?=[\s,[]|$)/.exec(video);
  if (!size) throw new ClipError('decode', `${label}: ffmpeg reports no frame size for its video stream`);
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  const fps = /([\d.]+) fps/.exec(video);
  return {
    ...(d ? { duration: Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) } : {}),
    width: Number(size[1]),
    height: Number(size[2]),
    ...(fps ? { fps: Number(fps[1]) } : {}),
    hasAudio,
  };
}

/** An ffmpeg child with stderr piped, and stdout piped unless it was given a socket. */
export type FfmpegChild = ChildProcessByStdio<null, Readable | null, Readable>;

/**
 * Start ffmpeg; a missing binary becomes a ClipError on the child's `error` event (see waitExit).
 * `stdout` is a pipe, or a connected socket the child writes to directly.
 */
export function startFfmpeg(
  ffmpeg: string,
  args: readonly string[],
  stdout: 'pipe' | Socket = 'pipe',
): FfmpegChild {
  // Node types stdio from literal options only; a socket there makes stdout null, as declared.
  return spawn(ffmpeg, args, {
    stdio: ['ignore', stdout, 'pipe'],
    env: ffmpegEnv(),
    windowsHide: true,
  }) as FfmpegChild;
}

/** Error of an aborted operation (the embedder's convention: code `timeout`, message "aborted"). */
export function abortError(signal: AbortSignal): ClipError {
  return new ClipError('timeout', `aborted: ${String(signal.reason ?? 'signal aborted')}`);
}

const exits = new WeakMap<FfmpegChild, Promise<number | null>>();

/** The child's exit code (null when killed by a signal), once; a spawn failure rejects with a ClipError. */
export function exitOf(child: FfmpegChild): Promise<number | null> {
  let p = exits.get(child);
  if (!p) {
    p = new Promise<number | null>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new ClipError(
            err.code === 'ENOENT' ? 'not-found' : 'unsupported',
            `cannot run ffmpeg at ${child.spawnfile}: ${err.message}`,
            { cause: err },
          ),
        ),
      );
      child.once('close', (code) => resolve(code));
    });
    exits.set(child, p);
  }
  return p;
}

/** Wait for the child to exit; when `signal` fires first, stop it (see {@link stopFfmpeg}). */
export async function waitExit(child: FfmpegChild, signal?: AbortSignal): Promise<number | null> {
  if (!signal) return exitOf(child);
  const onAbort = () => void stopFfmpeg(child);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    return await exitOf(child);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Stop ffmpeg and wait until it is gone: SIGTERM (ffmpeg exits at once), SIGKILL when it has not
 * exited after `graceMs`. Safe to call more than once and after exit.
 */
export async function stopFfmpeg(child: FfmpegChild, graceMs = 2000): Promise<void> {
  const exited = exitOf(child).catch(() => null);
  // Close our ends of the pipes first: the child's 'close' (which exitOf waits for) comes only once
  // they are closed, and a paused stdout with frames left in the pipe is never read to its end.
  // Unread output must not keep the event loop alive either.
  child.stdout?.destroy();
  child.stderr.destroy();
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    timer.unref();
    await exited;
    clearTimeout(timer);
  } else await exited;
}
