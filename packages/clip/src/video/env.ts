// Video options from the environment: the ffmpeg binary, and the image fetcher's address policy
// (CLIP_IMAGE_FETCH_*), which video URLs follow too.
import { EnvReader, envString, envVarInfo, type Env } from '@pmoves/internal';
import { absorbConfig, configError } from '../config/read';
import { imageFetchOptionsFromEnv } from '../fetch/env';
import type { VideoFetchOptions } from './url-source';

/** Fields of video decoding. */
export const VIDEO_FIELDS = {
  ffmpegPath: envString('FFMPEG_PATH', 'ffmpeg binary that decodes video frames', {
    form: 'path',
    defaultText: 'binary from @ffmpeg-installer/ffmpeg',
  }),
};

/**
 * Variables read by {@link videoOptionsFromEnv} besides the `CLIP_IMAGE_FETCH_*` policy (a part of
 * `CLIP_ENV_VARS`, which lists every variable of the package).
 */
export const VIDEO_ENV_VARS = envVarInfo(Object.values(VIDEO_FIELDS));

/** What {@link videoOptionsFromEnv} returns; spread it into `embedVideo`'s options. */
export interface VideoEnvOptions {
  /** `FFMPEG_PATH`. */
  ffmpegPath?: string;
  /** Address policy for URLs: `CLIP_IMAGE_FETCH_ALLOWED_HOSTS`, `…_ALLOW_PRIVATE`, `…_TIMEOUT`, `…_MAX_REDIRECTS`. */
  fetch: VideoFetchOptions;
}

/**
 * Video options from `env`: `FFMPEG_PATH`, and the image fetcher's address policy for URLs (its
 * byte limit, meant for images, is not applied to videos).
 *
 * @throws ClipError `config` naming every bad variable
 */
export function videoOptionsFromEnv(env: Env = process.env): VideoEnvOptions {
  const reader = new EnvReader(env);
  const ffmpegPath = reader.get(VIDEO_FIELDS.ffmpegPath);
  const { maxBytes: _imageLimit, ...policy } = absorbConfig(reader, () => imageFetchOptionsFromEnv(env), {});
  void _imageLimit;
  reader.finish(configError);
  return { ...(ffmpegPath ? { ffmpegPath } : {}), fetch: policy };
}
