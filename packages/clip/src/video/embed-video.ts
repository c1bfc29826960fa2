// Video → frame embeddings: frames from ffmpeg go to the embedder in small batches, as raw pixels,
// so they take the embedder's own preprocessing (`exact` or `fast`, like a still image). One batch
// is embedded while the next is decoded; at most two batches and the read-ahead are in memory.
import { ClipError } from '../errors';
import type { ClipEmbedder } from '../types';
import { extractVideoFrames, type ExtractFramesOptions, type VideoFrame } from './frames';
import type { VideoProbe } from './ffmpeg';

/** Options of {@link embedVideo}: a sampling mode, the embedder, and the extraction options. */
export type EmbedVideoOptions = ExtractFramesOptions & {
  /** Embeds the frames (local or remote). */
  embedder: ClipEmbedder;
  /** Frames per `embedImages` call. Default 8 (a 1080p frame is 6 MB of RGB). */
  batchSize?: number;
  /**
   * How frames reach the embedder: `raw` pixels, or `png` (lossless, so the embedder decodes the
   * same pixels) for an embedder that takes only encoded images. Default: `png` for a remote
   * embedder (`info().provider` is `remote`), `raw` otherwise.
   */
  frameEncoding?: 'raw' | 'png';
};

/** One frame's embedding, or the error that frame alone got (the others go on). */
export type FrameEmbedding =
  | { index: number; timestamp: number; embedding: Float32Array; error?: undefined }
  | { index: number; timestamp: number; embedding?: undefined; error: ClipError };

/** What {@link embedVideo} returns. */
export interface VideoEmbedding {
  /** Every embedded frame, in order. */
  frames: { timestamp: number; embedding: Float32Array }[];
  /** The mean of the frame embeddings, L2-normalised again: one vector for the whole video. */
  embedding: Float32Array;
  /** Frames that decoded but could not be embedded, with why. */
  failed: { timestamp: number; error: ClipError }[];
  /** What ffmpeg reported about the input (duration, size, frame rate). */
  probe: VideoProbe;
}

function checkBatchSize(n: number | undefined): number {
  const size = n ?? 8;
  if (!Number.isSafeInteger(size) || size < 1 || size > 1024) {
    throw new ClipError('invalid-input', 'video option "batchSize" must be an integer from 1 to 1024');
  }
  return size;
}

/**
 * Embeddings of a video's selected frames, streamed in order as they are computed: memory stays
 * flat however long the video. Stop early by breaking out of the loop (ffmpeg is stopped).
 *
 * @throws ClipError as {@link extractVideoFrames}, and the embedder's errors for a whole batch
 */
export async function* embedVideoFrames(
  pathOrUrl: string,
  options: EmbedVideoOptions,
): AsyncGenerator<FrameEmbedding, void, undefined> {
  const { embedder, batchSize, frameEncoding, ...extract } = options ?? ({} as EmbedVideoOptions);
  if (!embedder || typeof embedder.embedImages !== 'function') {
    throw new ClipError('invalid-input', 'video option "embedder" must be a ClipEmbedder');
  }
  const encoding = frameEncoding ?? (embedder.info().provider === 'remote' ? 'png' : 'raw');
  if (encoding !== 'raw' && encoding !== 'png') {
    throw new ClipError('invalid-input', 'video option "frameEncoding" must be "raw" or "png"');
  }
  const toInput = encoding === 'raw' ? undefined : await pngEncoder();
  const size = checkBatchSize(batchSize);
  const signal = extract.signal;
  type Inflight = { frames: VideoFrame[]; results: ReturnType<ClipEmbedder['embedImages']> };
  let inflight: Inflight | undefined;
  const start = (frames: VideoFrame[]): Inflight => {
    const results = (
      toInput ? Promise.all(frames.map((f) => toInput(f.image))) : Promise.resolve(frames.map((f) => f.image))
    ).then((inputs) => embedder.embedImages(inputs, signal ? { signal } : undefined));
    results.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    return { frames, results };
  };
  async function* settle(batch: Inflight): AsyncGenerator<FrameEmbedding> {
    const results = await batch.results;
    for (let i = 0; i < batch.frames.length; i++) {
      const { index, timestamp } = batch.frames[i]!;
      const r = results[i];
      if (r?.embedding) yield { index, timestamp, embedding: r.embedding };
      else
        yield {
          index,
          timestamp,
          error: r?.error ?? new ClipError('model', `frame at ${timestamp}s: the embedder returned nothing`),
        };
    }
  }

  let batch: VideoFrame[] = [];
  for await (const frame of extractVideoFrames(pathOrUrl, extract)) {
    batch.push(frame);
    if (batch.length < size) continue;
    if (inflight) yield* settle(inflight);
    inflight = start(batch);
    batch = [];
  }
  if (inflight) yield* settle(inflight);
  if (batch.length > 0) yield* settle(start(batch));
}

/**
 * Embed a video: the frames chosen by the sampling mode (`everySeconds`, `count`, `scenes` or
 * `keyframes`), each with its timestamp, and a pooled embedding (their mean, L2-normalised).
 *
 * ```ts
 * const video = await embedVideo('film.mkv', { embedder, everySeconds: 2 });
 * video.frames[0].timestamp; video.embedding; // Float32Array, unit length
 * ```
 *
 * @throws ClipError `decode` (corrupt or unreadable, or no frame decoded), `unsupported` (audio
 *   only), `blocked` / `fetch` (URL refused or failing), `timeout` (aborted), `invalid-input`
 */
export async function embedVideo(pathOrUrl: string, options: EmbedVideoOptions): Promise<VideoEmbedding> {
  let probe: VideoProbe | undefined;
  const frames: VideoEmbedding['frames'] = [];
  const failed: VideoEmbedding['failed'] = [];
  const onProbe = options?.onProbe;
  for await (const f of embedVideoFrames(pathOrUrl, {
    ...options,
    onProbe: (p) => {
      probe = p;
      onProbe?.(p);
    },
  })) {
    if (f.embedding) frames.push({ timestamp: f.timestamp, embedding: f.embedding });
    else failed.push({ timestamp: f.timestamp, error: f.error });
  }
  if (frames.length === 0) {
    const why = failed[0] ? `: ${failed[0].error.message}` : ' (the sampling selected none)';
    throw new ClipError('decode', `no frame of ${describeInput(pathOrUrl)} was embedded${why}`);
  }
  return { frames, embedding: poolEmbeddings(frames.map((f) => f.embedding)), failed, probe: probe! };
}

/** Frames as PNG (fastest compression: the bytes only cross a network once). sharp loads on first use. */
async function pngEncoder(): Promise<(image: VideoFrame['image']) => Promise<Uint8Array>> {
  const { default: sharp } = await import('sharp');
  return async (image) =>
    new Uint8Array(
      await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
}

/** The mean of unit vectors, scaled back to unit length (the direction they share). */
export function poolEmbeddings(vectors: readonly Float32Array[]): Float32Array {
  const dims = vectors[0]?.length ?? 0;
  if (dims === 0) throw new ClipError('invalid-input', 'no embeddings to pool');
  const sum = new Float64Array(dims);
  for (const v of vectors) {
    if (v.length !== dims) {
      throw new ClipError('invalid-input', `embeddings to pool differ in length (${dims} and ${v.length})`);
    }
    for (let i = 0; i < dims; i++) sum[i]! += v[i]!;
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += sum[i]! * sum[i]!;
  norm = Math.sqrt(norm);
  if (!(norm > 0)) throw new ClipError('invalid-input', 'the embeddings cancel out; no direction to pool');
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = sum[i]! / norm;
  return out;
}

function describeInput(pathOrUrl: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl) ? 'the video URL' : JSON.stringify(pathOrUrl);
}
