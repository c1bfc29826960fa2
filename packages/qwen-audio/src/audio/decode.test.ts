import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePcm, streamPcm } from './decode';
import { probeAudio, resolveFfmpegPath } from './ffmpeg';
import { prepareWindows } from './prepare';
import { parseWavHeader } from './wav';
import { planWindows } from './windows';
import { extractFeatures } from '../features/extract';
import { espeak, hasCommand, makeTmpDir, synth, tone } from '../../test/helpers/fixtures';

let dir: string;
let cleanup: () => Promise<void>;
let ffmpeg: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  ({ dir, cleanup } = await makeTmpDir());
  ffmpeg = await resolveFfmpegPath();
  const src = tone(1000, 2);
  await Promise.all([
    synth(join(dir, 'a.mp3'), src).then((p) => (files.mp3 = p)),
    synth(join(dir, 'a.flac'), src).then((p) => (files.flac = p)),
    synth(join(dir, 'a.ogg'), tone(1000, 2, 48000), ['-c:a', 'libopus']).then((p) => (files.opus = p)),
    synth(join(dir, 'a.m4a'), src, ['-c:a', 'aac']).then((p) => (files.m4a = p)),
    synth(join(dir, 'a.wav'), `${src}`, ['-ac', '2']).then((p) => (files.wav = p)),
    synth(
      join(dir, 'split.flac'),
      'aevalsrc=0.5*if(lt(t\\,5)\\,sin(2*PI*440*t)\\,sin(2*PI*2000*t)):s=44100:d=10',
    ).then((p) => (files.split = p)),
  ]);
  // A video file with an audio track, and one without.
  await synth(join(dir, 'v.mp4'), 'testsrc=size=64x64:rate=10:duration=2', [
    '-f',
    'lavfi',
    '-i',
    src,
    '-c:v',
    'mpeg4',
    '-c:a',
    'aac',
    '-shortest',
  ]);
  files.video = join(dir, 'v.mp4');
  await synth(join(dir, 'mute.mp4'), 'testsrc=size=64x64:rate=10:duration=1', ['-c:v', 'mpeg4']);
  files.mute = join(dir, 'mute.mp4');
});
afterAll(() => cleanup?.());

describe('decoding with the bundled ffmpeg', () => {
  it.each(['mp3', 'flac', 'opus', 'm4a', 'wav', 'video'])(
    'decodes %s to 16 kHz mono PCM of the right length and pitch',
    async (kind) => {
      const pcm = await decodePcm(files[kind]!, { ffmpeg });
      // 2 s at 16 kHz, allowing encoder priming/padding (mp3, aac, opus).
      expect(Math.abs(pcm.length - 32000)).toBeLessThan(2200);
      const f = extractFeatures(pcm, 16000);
      expect(Math.abs(f.spectral_centroid_mean - 1000)).toBeLessThan(80);
      expect(f.zero_crossing_rate_mean).toBeCloseTo(0.125, 1);
    },
  );

  it('probes duration and the presence of an audio track', async () => {
    const p = await probeAudio(ffmpeg, files.flac!);
    expect(p.hasAudio).toBe(true);
    expect(p.durationSeconds).toBeCloseTo(2, 1);
    expect((await probeAudio(ffmpeg, files.mute!)).hasAudio).toBe(false);
    await expect(probeAudio(ffmpeg, join(dir, 'missing.mp3'))).rejects.toMatchObject({ code: 'decode' });
  });

  it('fails with a decode error for a video without audio and for non-media bytes', async () => {
    await expect(decodePcm(files.mute!, { ffmpeg })).rejects.toMatchObject({ code: 'decode' });
    const { writeFile } = await import('node:fs/promises');
    const junk = join(dir, 'junk.mp3');
    await writeFile(junk, 'this is not audio'.repeat(100));
    await expect(decodePcm(junk, { ffmpeg })).rejects.toMatchObject({ code: 'decode' });
  });

  it('reports a missing ffmpeg binary as an ffmpeg error', async () => {
    await expect(decodePcm(files.wav!, { ffmpeg: join(dir, 'no-ffmpeg') })).rejects.toMatchObject({
      code: 'ffmpeg',
    });
  });

  it('aborts a decode and kills ffmpeg', async () => {
    const ac = new AbortController();
    const it = streamPcm(files.split!, { ffmpeg, signal: ac.signal });
    await it.next();
    ac.abort();
    await expect(
      (async () => {
        for await (const _ of it) void _;
      })(),
    ).rejects.toMatchObject({ code: 'aborted' });
  });

  it('extracts windows by seeking: each window holds the audio of its own time range, as a valid WAV', async () => {
    const plan = [
      { index: 0, startSeconds: 1, durationSeconds: 3 },
      { index: 1, startSeconds: 6, durationSeconds: 3 },
    ];
    const [a, b] = await prepareWindows(files.split!, plan, { ffmpeg });
    expect(a!.pcm.length).toBe(48000);
    expect(Math.abs(extractFeatures(a!.pcm, 16000).spectral_centroid_mean - 440)).toBeLessThan(30);
    expect(Math.abs(extractFeatures(b!.pcm, 16000).spectral_centroid_mean - 2000)).toBeLessThan(60);
    const h = parseWavHeader(b!.wav);
    expect(h).toMatchObject({ channels: 1, sampleRate: 16000, bitsPerSample: 16, dataBytes: 96000 });
    // The WAV we send decodes back (ffmpeg reads our header) to the same length.
    const { writeFile } = await import('node:fs/promises');
    const out = join(dir, 'w.wav');
    await writeFile(out, b!.wav);
    expect((await decodePcm(out, { ffmpeg })).length).toBe(48000);
  });

  it('plans and extracts evenly spread windows for a longer item', async () => {
    const plan = planWindows(10, { windowSeconds: 2, maxWindows: 3 });
    const prepared = await prepareWindows(files.split!, plan, { ffmpeg, concurrency: 3 });
    expect(prepared.map((p) => p.window.startSeconds)).toEqual([0.667, 4, 7.333]);
    expect(prepared.every((p) => p.pcm.length === 32000)).toBe(true);
  });

  it('decodes espeak-ng speech (installed by scripts/test.sh)', async () => {
    if (!(await hasCommand('espeak-ng')))
      throw new Error('espeak-ng is not installed: run `bash scripts/test.sh --project qwen-audio`');
    const wav = await espeak(join(dir, 'speech.wav'), 'The quick brown fox jumps over the lazy dog.');
    const pcm = await decodePcm(wav, { ffmpeg });
    expect(pcm.length / 16000).toBeGreaterThan(1.5);
    const f = extractFeatures(pcm, 16000);
    expect(f.rms_mean).toBeGreaterThan(0.01);
    // Speech has a spread spectrum, unlike a tone: centroid well above the voice fundamental.
    expect(f.spectral_centroid_mean).toBeGreaterThan(300);
  });
});
