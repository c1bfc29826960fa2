import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../test/helpers/fixtures';
import { SPOKEN_SCRIPT } from '../../test/helpers/script';
import { RATE, makeSpokenClip } from '../../test/helpers/speech';
import type { SpokenClip, TimelinePart } from '../../test/helpers/speech';
import { detectSpeech } from './speech';

let tmp: { dir: string; cleanup: () => Promise<void> };
let clip: SpokenClip;
beforeAll(async () => {
  tmp = await makeTmpDir();
  clip = await makeSpokenClip(tmp.dir, SPOKEN_SCRIPT);
}, 120_000);
afterAll(() => tmp?.cleanup());

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

describe('detectSpeech (signal-based, no model)', () => {
  it('finds each espeak sentence and nothing in the silences or the music-like tone', () => {
    const regions = detectSpeech(clip.pcm, RATE);
    const speech = clip.timeline.filter(
      (p): p is Extract<TimelinePart, { kind: 'speech' }> => p.kind === 'speech',
    );
    const other = clip.timeline.filter((p) => p.kind !== 'speech');
    // Every sentence is covered (almost) entirely, by exactly one region: the pauses between them are longer than the join gap.
    for (const s of speech) {
      const hits = regions.filter((r) => overlap(r, s) > 0);
      expect(hits, s.text).toHaveLength(1);
      expect(overlap(hits[0]!, s) / (s.end - s.start), s.text).toBeGreaterThan(0.9);
    }
    expect(regions).toHaveLength(speech.length);
    // No region is mostly tone or silence.
    for (const r of regions) {
      const inOther = other.reduce((a, p) => a + overlap(r, p), 0);
      expect(inOther / (r.end - r.start)).toBeLessThan(0.2);
    }
    const tone = other.find((p) => p.kind === 'tone')!;
    expect(regions.every((r) => overlap(r, tone) < 0.3)).toBe(true);
  });

  it('finds no speech in a steady tone, a plucked melody, white noise or silence', () => {
    const secs = (s: number) => new Float32Array(s * RATE);
    const steady = secs(4).map((_, i) => 0.4 * Math.sin((2 * Math.PI * 440 * i) / RATE));
    let seed = 7;
    const noise = secs(4).map(() => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 0.2 * (seed / 2 ** 30 - 1);
    });
    const melodyStart = clip.timeline.find((p) => p.kind === 'tone')!;
    const melody = clip.pcm.subarray(
      Math.round(melodyStart.start * RATE),
      Math.round(melodyStart.end * RATE),
    );
    for (const [name, pcm] of [
      ['steady tone', steady],
      ['white noise', noise],
      ['plucked melody over a chord', melody],
      ['silence', secs(4)],
    ] as const)
      expect(detectSpeech(pcm, RATE), name).toEqual([]);
  });

  it('returns nothing for less than one frame', () => {
    expect(detectSpeech(new Float32Array(100), RATE)).toEqual([]);
  });
});
