// Video frames from ffmpeg: videos are generated here with ffmpeg's synthetic sources (testsrc2,
// colour bars, a hard cut), never committed. The bundled ffmpeg (a 2018 static build) is the
// default; the frame-count tests run again on the system's ffmpeg when there is one, since
// FFMPEG_PATH may point at a modern build whose log lines differ.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import {
  childPids,
  corruptFile,
  h264,
  hardCut,
  processName,
  sine,
  testsrc2,
  videoDir,
  type VideoDir,
} from '../../test/videos';
import { extractVideoFrames, type ExtractFramesOptions, type VideoFrame } from './frames';
import { videoOptionsFromEnv } from './env';

let videos: VideoDir;
let tenSeconds: string;
let cut: string;
let gop: string;
let big: string;

beforeAll(async () => {
  videos = await videoDir();
  [tenSeconds, cut, gop, big] = await Promise.all([
    videos.make('ten.mp4', [...testsrc2(10), ...h264()]),
    videos.make('cut.mp4', [...hardCut(3, 3), ...h264()]),
    videos.make('gop.mkv', [...testsrc2(5), ...h264(25)]),
    videos.make('big.mp4', [...testsrc2(3, 25, '1280x720'), ...h264()]),
  ]);
});
afterAll(() => videos.dispose());

async function collect(path: string, options: ExtractFramesOptions): Promise<VideoFrame[]> {
  const out: VideoFrame[] = [];
  for await (const f of extractVideoFrames(path, options)) out.push(f);
  return out;
}

const times = (frames: VideoFrame[]) => frames.map((f) => Number(f.timestamp.toFixed(3)));

async function ffmpegPid(): Promise<number | undefined> {
  for (const pid of await childPids()) if ((await processName(pid))?.startsWith('ffmpeg')) return pid;
  return undefined;
}

const ffmpegAlive = async () => (await ffmpegPid()) !== undefined;

/** Bytes the process has written so far (Linux /proc/PID/io); -1 once it is gone. */
async function bytesWritten(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => '');
  const m = /wchar:\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

const binaries: [string, string | undefined][] = [['bundled ffmpeg', undefined]];
if (existsSync('/usr/bin/ffmpeg')) binaries.push(['system ffmpeg', '/usr/bin/ffmpeg']);

describe.each(binaries)('frame selection (%s)', (_name, ffmpegPath) => {
  it('everySeconds takes the first frame of each slot, with its timestamp and full RGB pixels', async () => {
    const frames = await collect(tenSeconds, { everySeconds: 1, ffmpegPath });
    expect(times(frames)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const f of frames) {
      expect(f.image).toMatchObject({ width: 160, height: 120, channels: 3 });
      expect(f.image.data.length).toBe(160 * 120 * 3);
    }
    // testsrc2 moves: consecutive frames differ.
    expect(Buffer.compare(Buffer.from(frames[0]!.image.data), Buffer.from(frames[1]!.image.data))).not.toBe(
      0,
    );
    // 25 fps has no frame at 2.5 s: each slot starts at the first frame at or after it.
    expect(times(await collect(tenSeconds, { everySeconds: 2.5, ffmpegPath }))).toEqual([0, 2.52, 5, 7.52]);
  });

  it('count spreads frames evenly, one in the middle of each slot', async () => {
    const frames = await collect(tenSeconds, { count: 4, ffmpegPath });
    expect(frames).toHaveLength(4);
    [1.25, 3.75, 6.25, 8.75].forEach((mid, i) => {
      expect(frames[i]!.timestamp).toBeGreaterThanOrEqual(mid - 1e-6);
      expect(frames[i]!.timestamp).toBeLessThan(mid + 0.041);
    });
  });

  it('scenes finds the hard cut between colour bars and testsrc2, and nothing else', async () => {
    const frames = await collect(cut, { scenes: 0.3, ffmpegPath });
    expect(times(frames)).toEqual([0, 3]);
  });

  it('keyframes decodes only the I-frames; minGapSeconds thins them', async () => {
    expect(times(await collect(gop, { keyframes: true, ffmpegPath }))).toEqual([0, 1, 2, 3, 4]);
    expect(times(await collect(gop, { keyframes: true, minGapSeconds: 2, ffmpegPath }))).toEqual([0, 2, 4]);
  });
});

describe('extractVideoFrames', () => {
  it('maxFrames stops ffmpeg after that many frames', async () => {
    expect(times(await collect(tenSeconds, { everySeconds: 1, maxFrames: 3 }))).toEqual([0, 1, 2]);
  });

  it('gives the same frames through a pipe when no socket can be made (a long TMPDIR)', async () => {
    const viaSocket = await collect(tenSeconds, { everySeconds: 2 });
    const saved = process.env.TMPDIR;
    const long = await mkdtemp(join(tmpdir(), `pipe-${'x'.repeat(100)}-`));
    process.env.TMPDIR = long;
    try {
      const viaPipe = await collect(tenSeconds, { everySeconds: 2 });
      expect(viaPipe.map((f) => [f.index, f.timestamp])).toEqual(
        viaSocket.map((f) => [f.index, f.timestamp]),
      );
      viaPipe.forEach((f, i) =>
        expect(Buffer.from(f.image.data).equals(Buffer.from(viaSocket[i]!.image.data))).toBe(true),
      );
      expect(await readdir(long)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(long, { recursive: true, force: true });
    }
  });

  it('stretches anamorphic video to square pixels', async () => {
    const path = await videos.make('anamorphic.mp4', [...testsrc2(1), '-vf', 'setsar=2', ...h264()]);
    const [frame] = await collect(path, { everySeconds: 1 });
    expect(frame!.image).toMatchObject({ width: 320, height: 120 });
  });

  it('pauses ffmpeg while frames wait for the consumer (backpressure)', async () => {
    // 75 frames of 1280×720 are 207 MB of RGB. While the consumer holds back, ffmpeg must stall on
    // the full pipe after a few frames (what it has written stops growing), not write them all.
    const frameBytes = 1280 * 720 * 3;
    const it = extractVideoFrames(big, { everySeconds: 0.04, readAhead: 1 });
    expect((await it.next()).done).toBe(false);
    const pid = await ffmpegPid();
    expect(pid).toBeDefined();
    let last = -1;
    let written = await bytesWritten(pid!);
    for (let i = 0; i < 50 && written !== last; i++) {
      await new Promise((r) => setTimeout(r, 200));
      last = written;
      written = await bytesWritten(pid!);
    }
    expect(written).toBe(last);
    expect(written).toBeGreaterThan(0); // stalled while still running, not gone
    expect(written).toBeLessThan(5 * frameBytes);
    let n = 1;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      n++;
    }
    expect(n).toBe(75);
    expect(await ffmpegAlive()).toBe(false);
  });

  it('an abort mid-stream stops ffmpeg and rejects with a timeout ClipError', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const f of extractVideoFrames(tenSeconds, { everySeconds: 0.04, signal: ac.signal })) {
        seen.push(f.index);
        if (seen.length === 5) ac.abort(new Error('enough'));
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'ClipError', code: 'timeout' });
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.length).toBeLessThan(250); // of the 250 frames: it stopped early
    expect(await ffmpegAlive()).toBe(false);
  });

  it('breaking out of the loop stops ffmpeg too', async () => {
    for await (const f of extractVideoFrames(tenSeconds, { everySeconds: 0.04 })) {
      if (f.index === 2) break;
    }
    expect(await ffmpegAlive()).toBe(false);
  });

  it('breaking out while ffmpeg is stalled on a full pipe stops it (no wait for unread output)', async () => {
    // The state a slow consumer leaves: stdout paused with frames unread in the pipe. Stopping
    // ffmpeg must not wait for that output to be read (it never would be): once ffmpeg was killed,
    // the child's 'close' only comes after its pipes are closed.
    const it = extractVideoFrames(tenSeconds, { everySeconds: 0.04, readAhead: 1 });
    expect((await it.next()).done).toBe(false);
    const pid = (await ffmpegPid())!;
    expect(pid).toBeDefined();
    let last = -1;
    let written = await bytesWritten(pid);
    for (let i = 0; i < 50 && written !== last; i++) {
      await new Promise((r) => setTimeout(r, 100));
      last = written;
      written = await bytesWritten(pid);
    }
    expect(written).toBeGreaterThan(0); // stalled, still running
    const returned = await Promise.race([
      it.return(undefined).then(() => 'returned'),
      new Promise((r) => setTimeout(() => r('stuck'), 10_000).unref()),
    ]);
    expect(returned).toBe('returned');
    expect(await ffmpegAlive()).toBe(false);
  });

  it('a corrupt file is a decode ClipError naming the file', async () => {
    const path = await corruptFile(videos.dir);
    const err = await collect(path, { everySeconds: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClipError);
    expect(err).toMatchObject({ code: 'decode' });
    expect((err as Error).message).toContain('corrupt.mp4');
  });

  it('a truncated MP4 (index missing) is a decode ClipError', async () => {
    const whole = await readFile(tenSeconds);
    const path = join(videos.dir, 'truncated.mp4');
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(collect(path, { everySeconds: 1 })).rejects.toMatchObject({ code: 'decode' });
  });

  it('an audio-only file is an unsupported ClipError saying so', async () => {
    const path = await videos.make('tone.m4a', [...sine(2), '-c:a', 'aac']);
    const err = (await collect(path, { everySeconds: 1 }).catch((e: unknown) => e)) as ClipError;
    expect(err).toMatchObject({ name: 'ClipError', code: 'unsupported' });
    expect(err.message).toMatch(/no video stream \(audio only\)/);
  });

  it('a missing file is not-found; bad options are invalid-input, each naming the problem', async () => {
    await expect(collect(join(videos.dir, 'nope.mp4'), { everySeconds: 1 })).rejects.toMatchObject({
      code: 'not-found',
    });
    const bad = async (o: unknown) =>
      ((await collect(tenSeconds, o as ExtractFramesOptions).catch((e: unknown) => e)) as Error).message;
    expect(await bad({})).toMatch(/one of everySeconds, count, scenes or keyframes/);
    expect(await bad({ everySeconds: 1, count: 3 })).toMatch(/one sampling mode, got everySeconds and count/);
    expect(await bad({ count: 0 })).toMatch(/"count"/);
    expect(await bad({ scenes: 1.5 })).toMatch(/"scenes"/);
    expect(await bad({ everySeconds: 1, minGapSeconds: 1 })).toMatch(/minGapSeconds/);
    expect(await bad({ everySeconds: 1, ffmpegPath: join(videos.dir, 'no-ffmpeg') })).toMatch(
      /cannot run ffmpeg/,
    );
  });
});

describe('videoOptionsFromEnv', () => {
  it('reads FFMPEG_PATH and the image fetcher policy, never its image byte limit', () => {
    expect(
      videoOptionsFromEnv({
        FFMPEG_PATH: '/opt/ffmpeg',
        CLIP_IMAGE_FETCH_ALLOWED_HOSTS: 'jellyfin.lan',
        CLIP_IMAGE_FETCH_MAX_BYTES: '1000',
      }),
    ).toEqual({ ffmpegPath: '/opt/ffmpeg', fetch: { allowedHosts: ['jellyfin.lan'] } });
    expect(videoOptionsFromEnv({})).toEqual({ fetch: {} });
  });
});
