// A spoken test clip made at test time (never committed): espeak-ng sentences, silences and a
// music-like tone segment, concatenated at 16 kHz, with the timeline of what was said when.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../../src/audio/ffmpeg';
import { encodeWav } from '../../src/audio/wav';

const run = promisify(execFile);
export const RATE = 16_000;

/** A part of the script: a sentence to speak, a silence, or a music-like tone, in seconds. */
export type ScriptStep = { say: string } | { silence: number } | { tone: number };

/** Where each part ended up in the clip (seconds); sentences also carry their words' spans. */
export type TimelinePart =
  | {
      kind: 'speech';
      text: string;
      start: number;
      end: number;
      words: Array<{ word: string; start: number; end: number }>;
    }
  | { kind: 'silence' | 'tone'; start: number; end: number };

/** The clip, its samples and its timeline. */
export interface SpokenClip {
  path: string;
  pcm: Float32Array;
  durationSeconds: number;
  timeline: TimelinePart[];
}

async function toPcm(ffmpeg: string, file: string): Promise<Float32Array> {
  const { stdout } = await run(
    ffmpeg,
    ['-loglevel', 'error', '-i', file, '-ac', '1', '-ar', String(RATE), '-f', 's16le', 'pipe:1'],
    {
      encoding: 'buffer',
      maxBuffer: 1 << 28,
    },
  );
  const buf = stdout as Buffer;
  const out = new Float32Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2) / 32768;
  return out;
}

/** A plucked melody over a held chord: tonal, note by note, not speech. */
function musicLikeTone(seconds: number): Float32Array {
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  const notes = [0, 4, 7, 12, 7, 4, 2, 5];
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const step = Math.floor(t * 3);
    const f = 220 * 2 ** (notes[step % notes.length]! / 12);
    const pluck = Math.exp(-6 * (t - step / 3));
    const chord =
      0.08 *
      (Math.sin(2 * Math.PI * 130.8 * t) +
        Math.sin(2 * Math.PI * 164.8 * t) +
        Math.sin(2 * Math.PI * 196 * t));
    out[i] = 0.35 * pluck * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t)) + chord;
  }
  return out;
}

/** First and last 10 ms frame of `pcm` louder than -40 dBFS (the sentence's voiced extent), seconds. */
function voicedExtent(pcm: Float32Array): [number, number] {
  const hop = RATE / 100;
  let first = -1;
  let last = -1;
  for (let f = 0; (f + 1) * hop <= pcm.length; f++) {
    let sq = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) sq += pcm[i]! * pcm[i]!;
    if (10 * Math.log10(sq / hop + 1e-12) > -40) {
      if (first < 0) first = f;
      last = f;
    }
  }
  return [first / 100, (last + 1) / 100];
}

/**
 * Speaks each sentence with espeak-ng and lays the parts end to end. Word spans are estimated by
 * sharing the sentence's voiced extent among its words by length (espeak gives no word times).
 */
export async function makeSpokenClip(dir: string, script: readonly ScriptStep[]): Promise<SpokenClip> {
  const ffmpeg = await resolveFfmpegPath();
  const parts: Float32Array[] = [];
  const timeline: TimelinePart[] = [];
  let at = 0;
  for (const [i, step] of script.entries()) {
    let pcm: Float32Array;
    if ('say' in step) {
      const wav = join(dir, `say-${i}.wav`);
      await run('espeak-ng', ['-w', wav, step.say]);
      pcm = await toPcm(ffmpeg, wav);
      const [v0, v1] = voicedExtent(pcm);
      const words = step.say.split(/\s+/);
      const weights = words.map((w) => w.length + 1);
      const total = weights.reduce((a, b) => a + b, 0);
      let c = 0;
      const start = at / RATE;
      timeline.push({
        kind: 'speech',
        text: step.say,
        start: start + v0,
        end: start + v1,
        words: words.map((word, k) => {
          const ws = start + v0 + ((v1 - v0) * c) / total;
          c += weights[k]!;
          return { word, start: ws, end: start + v0 + ((v1 - v0) * c) / total };
        }),
      });
    } else if ('silence' in step) {
      pcm = new Float32Array(Math.round(step.silence * RATE));
      timeline.push({ kind: 'silence', start: at / RATE, end: (at + pcm.length) / RATE });
    } else {
      pcm = musicLikeTone(step.tone);
      timeline.push({ kind: 'tone', start: at / RATE, end: (at + pcm.length) / RATE });
    }
    parts.push(pcm);
    at += pcm.length;
  }
  const all = new Float32Array(at);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const path = join(dir, 'spoken.wav');
  await writeFile(path, encodeWav(all, RATE));
  return { path, pcm: all, durationSeconds: at / RATE, timeline };
}

/** 16-bit PCM samples of a WAV made by encodeWav (44-byte header), as floats. */
export function wavSamples(wav: Buffer): Float32Array {
  const n = (wav.length - 44) >> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = wav.readInt16LE(44 + i * 2) / 32768;
  return out;
}

/**
 * Where `clip` sits in `full`, seconds: coarse search on 10 ms loudness, then sample-exact. The
 * stand-in uses it to learn which part of the item it was sent, from the audio alone.
 */
export function locate(clip: Float32Array, full: Float32Array): number {
  const hop = RATE / 100;
  const env = (x: Float32Array) => {
    const e = new Float32Array(Math.floor(x.length / hop));
    for (let f = 0; f < e.length; f++) {
      let s = 0;
      for (let i = f * hop; i < (f + 1) * hop; i++) s += Math.abs(x[i]!);
      e[f] = s / hop;
    }
    return e;
  };
  const ec = env(clip);
  const ef = env(full);
  const span = Math.min(ec.length, 300);
  let best = 0;
  let bestErr = Infinity;
  for (let o = 0; o + span <= ef.length; o++) {
    let err = 0;
    for (let i = 0; i < span && err < bestErr; i++) err += Math.abs(ef[o + i]! - ec[i]!);
    if (err < bestErr) {
      bestErr = err;
      best = o;
    }
  }
  let fine = best * hop;
  let fineErr = Infinity;
  const probe = Math.min(clip.length, 4000);
  for (let s = Math.max(0, best * hop - hop); s <= Math.min(full.length - probe, best * hop + hop); s++) {
    let err = 0;
    for (let i = 0; i < probe && err < fineErr; i++) err += Math.abs(full[s + i]! - clip[i]!);
    if (err < fineErr) {
      fineErr = err;
      fine = s;
    }
  }
  return fine / RATE;
}

/** The script's words whose estimated midpoint lies in [from, to), in order: what a listener to that span hears. */
export function wordsHeard(timeline: readonly TimelinePart[], from: number, to: number): string[] {
  return timeline.flatMap((p) =>
    p.kind === 'speech'
      ? p.words.filter((w) => (w.start + w.end) / 2 >= from && (w.start + w.end) / 2 < to).map((w) => w.word)
      : [],
  );
}
