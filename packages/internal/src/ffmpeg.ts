// Which ffmpeg binary to run, shared by the packages that decode media (clip's video frames,
// qwen-audio's audio): the configured path, else the static build inside @ffmpeg-installer/ffmpeg,
// loaded lazily so a platform without a build only fails when ffmpeg is really needed.

/** No ffmpeg binary could be found; each package wraps it in its own typed error. */
export class FfmpegMissingError extends Error {
  /** @param options - standard `cause` */
  constructor(options?: { cause?: unknown }) {
    super(
      'no ffmpeg binary: @ffmpeg-installer/ffmpeg has no build for this platform; set FFMPEG_PATH',
      options,
    );
    this.name = 'FfmpegMissingError';
  }
}

/** `explicit` when given (the caller's option or `FFMPEG_PATH`), else the bundled binary's path. */
export async function resolveFfmpegBinary(explicit?: string): Promise<string> {
  if (explicit) return explicit;
  try {
    const mod = (await import('@ffmpeg-installer/ffmpeg')) as { path?: string; default?: { path?: string } };
    const path = mod.path ?? mod.default?.path;
    if (!path) throw new Error('@ffmpeg-installer/ffmpeg exports no path');
    return path;
  } catch (cause) {
    throw new FfmpegMissingError({ cause });
  }
}
