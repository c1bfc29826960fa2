import type { AudioFeatures } from '../schema';
import type { AudioWindow } from '../audio/windows';

/**
 * Version of the prompts and reply handling. Stored with each analysis; a change makes the store
 * re-analyse items even when their audio and model are unchanged (v2: lenient replies, transcripts).
 */
export const PROMPT_VERSION = 'qwen-audio-v2';

/** System instruction for every window. */
export const SYSTEM_PROMPT =
  'You are an audio analyst. You listen to the attached audio clip and describe only what you hear. ' +
  'You answer with a single JSON object and nothing else.';

const REPLY_SHAPE =
  '{"summary": string (1-3 sentences: genre or kind of audio, instruments, vocals or speech, notable sounds), ' +
  '"tags": string[] (up to 10 short lowercase tags), "mood": string (one or two words), ' +
  '"confidence": number from 0 to 1 (how sure you are), "language": ISO 639-1 code of any speech, or null}';

function describeFeatures(f: AudioFeatures | null): string {
  if (!f) return '';
  const parts = [
    f.tempo ? `estimated tempo ${f.tempo.toFixed(0)} BPM` : 'no clear tempo',
    `spectral centroid ${f.spectral_centroid_mean.toFixed(0)} Hz`,
    `RMS level ${f.rms_mean.toFixed(3)}`,
  ];
  return ` Measured signal features (for context, do not just repeat them): ${parts.join(', ')}.`;
}

/** The user prompt for one window, with the item's position and measured features as context. */
export function buildPrompt(
  window: AudioWindow,
  windowCount: number,
  durationSeconds: number,
  features: AudioFeatures | null,
): string {
  const where =
    windowCount > 1
      ? `This clip is section ${window.index + 1} of ${windowCount} (from ${window.startSeconds.toFixed(0)} s, ` +
        `${window.durationSeconds.toFixed(0)} s long) of a ${durationSeconds.toFixed(0)}-second recording.`
      : `This clip is a ${durationSeconds.toFixed(0)}-second recording.`;
  return `${where}${describeFeatures(features)} Describe what you hear. Reply with JSON exactly of this shape: ${REPLY_SHAPE}`;
}

/** The stricter retry prompt, quoting why the first reply was rejected. */
export function buildStrictPrompt(original: string, problem: string): string {
  return (
    `${original}\n\nYour previous reply was rejected: ${problem}. ` +
    'Reply again with ONLY the JSON object: no prose, no markdown, no code fences, every field present.'
  );
}

/** Text-only prompt merging window summaries into one (used when `summaryMerge` is `model`). */
export function buildMergePrompt(summaries: readonly string[]): string {
  return (
    'These are descriptions of consecutive sections of one recording:\n' +
    summaries.map((s, i) => `${i + 1}. ${s}`).join('\n') +
    '\nWrite one 1-3 sentence summary of the whole recording. Reply with JSON: {"summary": string}'
  );
}
