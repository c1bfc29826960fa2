/**
 * `@pmoves/clip/video` — CLIP embeddings of video frames: ffmpeg decodes the frames a sampling mode
 * selects (every N seconds, N evenly spread, scene changes, keyframes) straight to raw RGB through a
 * pipe; they take the embedder's own preprocessing and are streamed to it with backpressure; a
 * pooled embedding stands for the whole video. URLs are fetched under the image fetcher's address
 * policy.
 *
 * @packageDocumentation
 */
export { ClipError, isClipError, type ClipErrorCode } from '../errors';
export {
  embedVideo,
  embedVideoFrames,
  poolEmbeddings,
  type EmbedVideoOptions,
  type FrameEmbedding,
  type VideoEmbedding,
} from './embed-video';
export { extractVideoFrames, type ExtractFramesOptions, type VideoFrame } from './frames';
export type { VideoProbe } from './ffmpeg';
export type { VideoSampling, VideoSamplingLimits } from './sampling';
export { VIDEO_CONTENT_TYPES, type VideoFetchOptions } from './url-source';
export { videoOptionsFromEnv, VIDEO_ENV_VARS, type VideoEnvOptions } from './env';
