// Which frames to take, as ffmpeg options: a `select` expression over the frame's time (in seconds
// from the first frame), or the decoder's keyframe-only mode. Selection runs before conversion to
// RGB, so frames that are not taken are never converted.
import { z } from 'zod';
import { ClipError } from '../errors';
import type { VideoProbe } from './ffmpeg';

/**
 * Which frames of a video to embed; exactly one of the four:
 *
 * - `{ everySeconds: s }`: the first frame of every `s`-second slot (0, s, 2s, …);
 * - `{ count: n }`: `n` frames spread evenly, each in the middle of its slot (needs a duration);
 * - `{ scenes: threshold }`: the first frame, then each frame whose scene-change score (ffmpeg's
 *   `scene`, 0–1) exceeds `threshold` (0.3–0.4 finds hard cuts);
 * - `{ keyframes: true }`: the stream's keyframes (I-frames), decoded alone, which is fastest.
 */
export type VideoSampling =
  | { everySeconds: number; count?: never; scenes?: never; keyframes?: never }
  | { count: number; everySeconds?: never; scenes?: never; keyframes?: never }
  | { scenes: number; everySeconds?: never; count?: never; keyframes?: never }
  | { keyframes: true; everySeconds?: never; count?: never; scenes?: never };

/** Limits that apply to every sampling mode. */
export interface VideoSamplingLimits {
  /** With `scenes` or `keyframes`: at least this many seconds between two frames taken. */
  minGapSeconds?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
}

const samplingSchema = z
  .object({
    everySeconds: z.number().positive().max(86_400).optional(),
    count: z.int().min(1).max(100_000).optional(),
    scenes: z.number().gt(0).lt(1).optional(),
    keyframes: z.literal(true).optional(),
    minGapSeconds: z.number().min(0).max(86_400).optional(),
    maxFrames: z.int().min(1).optional(),
  })
  .strict();

/** A validated sampling. */
export type ParsedSampling = z.output<typeof samplingSchema>;

/** Validate the sampling keys of a video options object (exactly one mode); other keys are ignored. */
export function parseSampling(options: VideoSampling & VideoSamplingLimits): ParsedSampling {
  if (typeof options !== 'object' || options === null) {
    throw new ClipError('invalid-input', 'video options must be an object with a sampling mode');
  }
  const { everySeconds, count, scenes, keyframes, minGapSeconds, maxFrames } = options;
  const picked = { everySeconds, count, scenes, keyframes, minGapSeconds, maxFrames };
  const r = samplingSchema.safeParse(
    Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)),
  );
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ClipError('invalid-input', `video option "${issue.path.join('.')}": ${issue.message}`);
  }
  const modes = (['everySeconds', 'count', 'scenes', 'keyframes'] as const).filter(
    (k) => r.data[k] !== undefined,
  );
  if (modes.length !== 1) {
    throw new ClipError(
      'invalid-input',
      modes.length === 0
        ? 'video options need one of everySeconds, count, scenes or keyframes'
        : `video options take one sampling mode, got ${modes.join(' and ')}`,
    );
  }
  if (r.data.minGapSeconds !== undefined && r.data.scenes === undefined && !r.data.keyframes) {
    throw new ClipError('invalid-input', 'video option "minGapSeconds" applies to scenes and keyframes only');
  }
  return r.data;
}

/** Number text for an ffmpeg expression (no exponent notation). */
function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(9).replace(/0+$/, '');
}

/** ffmpeg arguments for a sampling: options before `-i`, the selecting filters, options after. */
export function samplingArgs(
  s: ParsedSampling,
  probe: VideoProbe,
  label: string,
): { beforeInput: string[]; select: string[]; output: string[] } {
  const select: string[] = [];
  const beforeInput: string[] = [];
  const gap = s.minGapSeconds
    ? `*(isnan(prev_selected_t)+gte(t-prev_selected_t,${num(s.minGapSeconds)}))`
    : '';
  if (s.everySeconds !== undefined) {
    // The epsilon keeps a frame exactly on a slot boundary (t = 0.12 with slots of 0.04) in its
    // slot despite floating point (0.12 / 0.04 = 2.9999999999999996).
    const slot = (t: string) => `floor(${t}/${num(s.everySeconds!)}+1e-6)`;
    select.push(`select='isnan(prev_selected_t)+gt(${slot('t')},${slot('prev_selected_t')})'`);
  } else if (s.count !== undefined) {
    if (!probe.duration || !(probe.duration > 0)) {
      throw new ClipError(
        'unsupported',
        `${label}: ffmpeg reports no duration, so "count" cannot spread frames; use everySeconds`,
      );
    }
    // Slot k of `count` starts at k·step; its frame is the first at or after the slot's middle.
    const step = num(probe.duration / s.count);
    const slot = `floor(t/${step}-0.5+1e-6)`;
    const prev = `floor(prev_selected_t/${step}-0.5+1e-6)`;
    select.push(`select='between(${slot},0,${s.count - 1})*(isnan(prev_selected_t)+gt(${slot},${prev}))'`);
  } else if (s.scenes !== undefined) {
    // The first frame opens the first scene.
    select.push(`select='(eq(n,0)+gt(scene,${num(s.scenes)}))${gap}'`);
  } else {
    // The decoder skips every frame that is not a keyframe: nothing else is decoded at all.
    beforeInput.push('-skip_frame', 'nokey');
    if (gap) select.push(`select='1${gap}'`);
  }
  const output = s.maxFrames !== undefined ? ['-frames:v', String(s.maxFrames)] : [];
  return { beforeInput, select, output };
}
