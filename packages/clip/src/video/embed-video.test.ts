// embedVideo on the tiny generated CLIP model (real tensor contract, meaningless weights): frames
// get the same preprocessing and embedding as a still image of that frame, and the pooled vector
// is the re-normalised mean.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClipEmbedder, type LocalClipEmbedder } from '../embedder/embedder';
import { ClipError } from '../errors';
import type { ClipEmbedder, ImageInput } from '../types';
import { LAYOUT_DIR } from '../../test/models';
import { h264, testFfmpeg, testsrc2, videoDir, type VideoDir } from '../../test/videos';
import { embedVideo, embedVideoFrames, poolEmbeddings } from './embed-video';

const run = promisify(execFile);
let videos: VideoDir;
let embedder: LocalClipEmbedder;
let clip: string;

beforeAll(async () => {
  videos = await videoDir();
  clip = await videos.make('clip.mp4', [...testsrc2(4, 25, '320x240'), ...h264()]);
  embedder = await createClipEmbedder({
    modelPath: LAYOUT_DIR.split,
    dtype: 'fp32',
    device: 'cpu',
    preprocessing: 'exact',
    modalities: ['image'],
    threads: { intra: 1 },
  });
});
afterAll(async () => {
  await embedder.dispose();
  await videos.dispose();
});

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('embedVideo', () => {
  it('embeds each frame as the still image of that frame, and pools them into one unit vector', async () => {
    const video = await embedVideo(clip, { embedder, everySeconds: 1, batchSize: 3 });
    expect(video.frames.map((f) => f.timestamp)).toEqual([0, 1, 2, 3]);
    expect(video.failed).toEqual([]);
    expect(video.probe).toMatchObject({ width: 320, height: 240 });
    expect(video.probe.duration).toBeCloseTo(4, 1);
    // The frame at 2 s as a PNG, decoded and preprocessed like any photo.
    const png = join(videos.dir, 'frame2.png');
    await run(await testFfmpeg(), [
      '-v',
      'error',
      '-y',
      '-i',
      clip,
      '-vf',
      "select='eq(n,50)'",
      '-frames:v',
      '1',
      png,
    ]);
    const [still] = await embedder.embedImages([png]);
    expect(maxDiff(video.frames[2]!.embedding, still!.embedding!)).toBeLessThan(1e-5);
    // Frames differ from one another, and the pooled vector is their normalised mean.
    expect(maxDiff(video.frames[0]!.embedding, video.frames[1]!.embedding)).toBeGreaterThan(1e-4);
    const norm = Math.hypot(...video.embedding);
    expect(norm).toBeCloseTo(1, 5);
    const mean = new Float32Array(video.embedding.length);
    for (const f of video.frames) f.embedding.forEach((x, i) => (mean[i]! += x / video.frames.length));
    const mn = Math.hypot(...mean);
    expect(
      maxDiff(
        video.embedding,
        mean.map((x) => x / mn),
      ),
    ).toBeLessThan(1e-6);
  });

  it('streams frame results in order; one frame failing does not fail the others', async () => {
    let calls = 0;
    const flaky: ClipEmbedder = {
      ...embedder,
      info: () => embedder.info(),
      embedTexts: (t) => embedder.embedTexts(t),
      dispose: async () => undefined,
      async embedImages(inputs: readonly ImageInput[]) {
        calls++;
        const out = await embedder.embedImages(inputs);
        return out.map((r, i) =>
          calls === 1 && i === 1 ? { error: new ClipError('decode', 'bad frame') } : r,
        );
      },
    };
    const seen = [];
    for await (const f of embedVideoFrames(clip, { embedder: flaky, everySeconds: 1, batchSize: 2 }))
      seen.push(f);
    expect(seen.map((f) => f.timestamp)).toEqual([0, 1, 2, 3]);
    expect(seen.map((f) => (f.error ? 'error' : 'ok'))).toEqual(['ok', 'error', 'ok', 'ok']);
    expect(calls).toBe(2);
    const video = await embedVideo(clip, { embedder: flaky, everySeconds: 1, batchSize: 8 });
    expect(video.frames).toHaveLength(4);
  });

  it('sends lossless PNG frames to a remote embedder (which takes no raw pixels): same embeddings', async () => {
    const seen: string[] = [];
    const remote: ClipEmbedder = {
      info: () => ({ ...embedder.info(), provider: 'remote' }),
      embedTexts: (t) => embedder.embedTexts(t),
      dispose: async () => undefined,
      async embedImages(inputs: readonly ImageInput[]) {
        // As the remote client does: raw pixels are refused per item.
        seen.push(
          ...inputs.map((i) => (i instanceof Uint8Array ? Buffer.from(i.subarray(1, 4)).toString() : 'raw')),
        );
        if (inputs.some((i) => !(i instanceof Uint8Array)))
          return inputs.map(() => ({ error: new ClipError('invalid-input', 'raw pixels cannot be sent') }));
        return embedder.embedImages(inputs);
      },
    };
    const viaPng = await embedVideo(clip, { embedder: remote, everySeconds: 2 });
    const local = await embedVideo(clip, { embedder, everySeconds: 2 });
    expect(seen).toEqual(['PNG', 'PNG']);
    viaPng.frames.forEach((f, i) =>
      expect(maxDiff(f.embedding, local.frames[i]!.embedding)).toBeLessThan(1e-5),
    );
  });

  it('refuses a missing embedder and a bad batch size', async () => {
    await expect(embedVideo(clip, { everySeconds: 1 } as never)).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await expect(embedVideo(clip, { embedder, everySeconds: 1, batchSize: 0 })).rejects.toMatchObject({
      message: expect.stringContaining('batchSize'),
    });
  });

  it('an abort reaches both ffmpeg and the embedder', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(embedVideo(clip, { embedder, everySeconds: 1, signal: ac.signal })).rejects.toMatchObject({
      code: 'timeout',
    });
  });
});

describe('poolEmbeddings', () => {
  it('averages unit vectors and normalises; refuses mixed lengths and opposite vectors', () => {
    const p = poolEmbeddings([Float32Array.of(1, 0), Float32Array.of(0, 1)]);
    expect(Array.from(p)).toEqual([Math.SQRT1_2, Math.SQRT1_2].map((x) => Math.fround(x)));
    expect(() => poolEmbeddings([Float32Array.of(1, 0), Float32Array.of(1)])).toThrow(/differ in length/);
    expect(() => poolEmbeddings([Float32Array.of(1, 0), Float32Array.of(-1, 0)])).toThrow(/cancel out/);
    expect(() => poolEmbeddings([])).toThrow(/no embeddings/);
  });
});
