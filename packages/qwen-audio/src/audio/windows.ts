import { QwenAudioError } from '../errors';

/** Longest clip Qwen2-Audio takes, in seconds. */
export const MAX_WINDOW_SECONDS = 30;

/** One analysed window of an item. */
export interface AudioWindow {
  /** Position in the plan, 0-based. */
  index: number;
  /** Start, seconds from the beginning of the item. */
  startSeconds: number;
  /** Length in seconds (≤ the window length; the last contiguous window may be shorter). */
  durationSeconds: number;
}

/** Options for {@link planWindows}. */
export interface WindowPlanOptions {
  /** Window length in seconds, at most 30; default 30. */
  windowSeconds?: number;
  /** Most windows to analyse; default 12. */
  maxWindows?: number;
  /** Tails shorter than this (seconds) are dropped unless they are the only audio; default 1. */
  minTailSeconds?: number;
}

/**
 * Chooses which windows of an item to analyse. Items that fit in `maxWindows` windows are covered
 * end to end; longer items get exactly `maxWindows` windows, each centred in one of `maxWindows`
 * equal slices of the item, so the selection is spread evenly from start to end.
 */
export function planWindows(durationSeconds: number, opts: WindowPlanOptions = {}): AudioWindow[] {
  const w = opts.windowSeconds ?? MAX_WINDOW_SECONDS;
  const max = opts.maxWindows ?? 12;
  const minTail = opts.minTailSeconds ?? 1;
  if (!(w > 0 && w <= MAX_WINDOW_SECONDS)) {
    throw new QwenAudioError('invalid-input', `windowSeconds must be in (0, 30], got ${w}`);
  }
  if (!Number.isInteger(max) || max < 1) {
    throw new QwenAudioError('invalid-input', `maxWindows must be a positive integer, got ${max}`);
  }
  if (!(durationSeconds > 0) || !Number.isFinite(durationSeconds)) {
    throw new QwenAudioError('invalid-input', `durationSeconds must be positive, got ${durationSeconds}`);
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  if (durationSeconds <= w * max) {
    const out: AudioWindow[] = [];
    for (let start = 0; start < durationSeconds; start += w) {
      const len = Math.min(w, durationSeconds - start);
      if (len < minTail && out.length > 0) break;
      out.push({ index: out.length, startSeconds: round(start), durationSeconds: round(len) });
    }
    return out;
  }
  const slice = durationSeconds / max;
  return Array.from({ length: max }, (_, i) => {
    const centre = (i + 0.5) * slice;
    const start = Math.min(Math.max(0, centre - w / 2), durationSeconds - w);
    return { index: i, startSeconds: round(start), durationSeconds: w };
  });
}

/**
 * Windows covering the whole item, each overlapping the next by `overlapSeconds` so that no word is
 * heard only cut in half (the transcript's `full` mode); the last window may be shorter.
 */
export function planCoveringWindows(
  durationSeconds: number,
  windowSeconds = MAX_WINDOW_SECONDS,
  overlapSeconds = 2,
): AudioWindow[] {
  if (!(windowSeconds > 0 && windowSeconds <= MAX_WINDOW_SECONDS)) {
    throw new QwenAudioError('invalid-input', `windowSeconds must be in (0, 30], got ${windowSeconds}`);
  }
  if (!(overlapSeconds >= 0 && overlapSeconds < windowSeconds / 2)) {
    throw new QwenAudioError(
      'invalid-input',
      `overlapSeconds must be in [0, windowSeconds / 2), got ${overlapSeconds}`,
    );
  }
  if (!(durationSeconds > 0) || !Number.isFinite(durationSeconds)) {
    throw new QwenAudioError('invalid-input', `durationSeconds must be positive, got ${durationSeconds}`);
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const hop = windowSeconds - overlapSeconds;
  const out: AudioWindow[] = [];
  for (let start = 0; ; start += hop) {
    const len = Math.min(windowSeconds, durationSeconds - start);
    out.push({ index: out.length, startSeconds: round(start), durationSeconds: round(len) });
    if (start + windowSeconds >= durationSeconds) return out;
  }
}
