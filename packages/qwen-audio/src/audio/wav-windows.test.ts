import { describe, expect, it } from 'vitest';
import { encodeWav, parseWavHeader } from './wav';
import { planWindows } from './windows';
import { QwenAudioError } from '../errors';

describe('encodeWav', () => {
  it('writes a complete, self-consistent 44-byte RIFF header for 16 kHz mono 16-bit', () => {
    const samples = new Float32Array(16000).map((_, i) => Math.sin(i / 10) * 0.5);
    const wav = encodeWav(samples, 16000);
    expect(wav.length).toBe(44 + 32000);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt32LE(16)).toBe(16);
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(28)).toBe(32000);
    expect(wav.readUInt16LE(32)).toBe(2);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(32000);
    expect(parseWavHeader(wav)).toEqual({
      channels: 1,
      sampleRate: 16000,
      bitsPerSample: 16,
      dataBytes: 32000,
      dataOffset: 44,
    });
  });

  it('clamps float samples and maps full scale to the int16 range', () => {
    const wav = encodeWav(new Float32Array([2, -2, 1, -1, 0, 0.5]), 16000);
    const ints = [0, 1, 2, 3, 4, 5].map((i) => wav.readInt16LE(44 + 2 * i));
    expect(ints).toEqual([32767, -32768, 32767, -32768, 0, 16384]);
  });

  it('passes int16 samples through unchanged', () => {
    const wav = encodeWav(new Int16Array([1, -2, 300]), 8000);
    expect([0, 1, 2].map((i) => wav.readInt16LE(44 + 2 * i))).toEqual([1, -2, 300]);
    expect(parseWavHeader(wav).sampleRate).toBe(8000);
  });

  it('rejects a bad sample rate and corrupt headers, naming the problem', () => {
    expect(() => encodeWav(new Float32Array(1), 0)).toThrow(/sampleRate/);
    const wav = encodeWav(new Float32Array(10), 16000);
    const truncated = wav.subarray(0, wav.length - 2);
    expect(() => parseWavHeader(truncated)).toThrow(/RIFF size/);
    const badRate = Buffer.from(wav);
    badRate.writeUInt32LE(1234, 28);
    expect(() => parseWavHeader(badRate)).toThrow(/byte rate/);
    expect(() => parseWavHeader(Buffer.from('not a wav file at all, definitely not one, no'))).toThrow(
      QwenAudioError,
    );
  });
});

describe('planWindows', () => {
  it('covers a short item end to end with ≤ 30 s windows', () => {
    expect(planWindows(75)).toEqual([
      { index: 0, startSeconds: 0, durationSeconds: 30 },
      { index: 1, startSeconds: 30, durationSeconds: 30 },
      { index: 2, startSeconds: 60, durationSeconds: 15 },
    ]);
    expect(planWindows(12)).toEqual([{ index: 0, startSeconds: 0, durationSeconds: 12 }]);
  });

  it('drops a sub-second tail but keeps a lone short item', () => {
    expect(planWindows(60.4).map((w) => w.durationSeconds)).toEqual([30, 30]);
    expect(planWindows(0.5)).toEqual([{ index: 0, startSeconds: 0, durationSeconds: 0.5 }]);
  });

  it('spreads exactly maxWindows windows evenly over a long item, each centred in its slice', () => {
    const w = planWindows(3600, { maxWindows: 12 });
    expect(w).toHaveLength(12);
    w.forEach((win, i) => {
      expect(win.durationSeconds).toBe(30);
      expect(win.startSeconds + 15).toBeCloseTo((i + 0.5) * 300, 6);
    });
    const gaps = w.slice(1).map((win, i) => win.startSeconds - w[i]!.startSeconds);
    expect(new Set(gaps)).toEqual(new Set([300]));
  });

  it('keeps windows inside the item when slices are shorter than a window', () => {
    const w = planWindows(100, { maxWindows: 3, windowSeconds: 30 });
    expect(w[0]!.startSeconds).toBeCloseTo(1.667, 3);
    expect(w[2]!.startSeconds + w[2]!.durationSeconds).toBeLessThanOrEqual(100);
    const edge = planWindows(61, { maxWindows: 2, windowSeconds: 30 });
    expect(edge[0]!.startSeconds).toBeGreaterThanOrEqual(0);
    expect(edge[1]!.startSeconds + 30).toBeLessThanOrEqual(61);
  });

  it('rejects windows over 30 s and bad counts or durations', () => {
    expect(() => planWindows(100, { windowSeconds: 31 })).toThrow(/windowSeconds/);
    expect(() => planWindows(100, { maxWindows: 0 })).toThrow(/maxWindows/);
    expect(() => planWindows(0)).toThrow(/durationSeconds/);
    expect(() => planWindows(Number.NaN)).toThrow(/durationSeconds/);
  });
});
