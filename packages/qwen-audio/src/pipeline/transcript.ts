// The transcript step: speech detection in each window, one transcription call per speech stretch,
// and the pieces merged into one timeline. `windows` reuses the analysed windows; `full` walks the
// whole item in overlapping windows, a few at a time, never holding more than those in memory.
import pLimit from 'p-limit';
import { QWEN_SAMPLE_RATE } from '../audio/ffmpeg';
import { extractWindow } from '../audio/prepare';
import type { PreparedWindow } from '../audio/prepare';
import { encodeWav } from '../audio/wav';
import { planCoveringWindows } from '../audio/windows';
import { throwIfAborted } from '../errors';
import { confidenceFromLogprobs } from '../adapter/merge';
import type { Transcript } from '../schema';
import { TRANSCRIBE_SYSTEM_PROMPT, readTranscriptReply, transcribePrompt } from '../transcript/asr';
import { mergePieces } from '../transcript/merge';
import type { TranscribedPiece } from '../transcript/merge';
import { detectSpeech } from '../transcript/speech';
import type { SpeechRegion } from '../transcript/speech';
import type { AnalysisContext } from './context';
import { withTimeout } from './context';

/** Audio sent around each speech stretch, seconds (speech detection trims soft edges). */
const PAD_SECONDS = 0.25;
/** Windows of `full` mode overlap by this much, seconds. */
export const FULL_OVERLAP_SECONDS = 2;
/** Most transcription calls per window: closer stretches are merged beyond it. */
const MAX_CALLS_PER_WINDOW = 8;

/** Joins the closest neighbours until at most `max` regions remain. */
function capRegions(regions: SpeechRegion[], max: number): SpeechRegion[] {
  const out = regions.map((r) => ({ ...r }));
  while (out.length > max) {
    let at = 0;
    for (let i = 1; i < out.length - 1; i++)
      if (out[i + 1]!.start - out[i]!.end < out[at + 1]!.start - out[at]!.end) at = i;
    out[at]!.end = out[at + 1]!.end;
    out.splice(at + 1, 1);
  }
  return out;
}

/** One window: detect speech, transcribe each stretch. Pieces are in item time. */
async function transcribeWindow(
  ctx: AnalysisContext,
  w: PreparedWindow,
  signal: AbortSignal | undefined,
): Promise<{ pieces: TranscribedPiece[]; languages: string[] }> {
  const style = ctx.options.transcriptPrompt;
  const offset = w.window.startSeconds;
  const length = w.pcm.length / QWEN_SAMPLE_RATE;
  const pieces: TranscribedPiece[] = [];
  const languages: string[] = [];
  for (const r of capRegions(detectSpeech(w.pcm, QWEN_SAMPLE_RATE), MAX_CALLS_PER_WINDOW)) {
    throwIfAborted(signal);
    const from = Math.max(0, r.start - PAD_SECONDS);
    const to = Math.min(length, r.end + PAD_SECONDS);
    const clip = w.pcm.subarray(Math.round(from * QWEN_SAMPLE_RATE), Math.round(to * QWEN_SAMPLE_RATE));
    const reply = await ctx.backend.chat({
      ...(style === 'chat' ? { system: TRANSCRIBE_SYSTEM_PROMPT } : {}),
      prompt: transcribePrompt(style),
      wav: encodeWav(clip, QWEN_SAMPLE_RATE),
      signal: withTimeout(signal, ctx.options.timeoutMs),
    });
    const heard = readTranscriptReply(reply.text);
    if (heard.language) languages.push(heard.language);
    if (!heard.text) continue; // the model heard no words: no segment
    pieces.push({
      start: offset + r.start,
      end: offset + r.end,
      audioStart: offset + from,
      audioEnd: offset + to,
      text: heard.text,
      logprobs: reply.logprobs,
    });
  }
  return { pieces, languages };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function mostFrequent(values: readonly string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** What {@link transcribeItem} needs of the item. */
export interface TranscribeInput {
  /** The file (decoded again, window by window, in `full` mode). */
  path: string;
  /** ffmpeg binary. */
  ffmpeg: string;
  /** The item's length, seconds. */
  durationSeconds: number;
  /** The analysed windows (`windows` mode transcribes these). */
  windows: readonly PreparedWindow[];
  /** The analysis's language, used when the transcription replies carry none. */
  language: string | null;
}

/** The item's transcript per `ctx.options.transcript`; null when it is `off`. */
export async function transcribeItem(
  ctx: AnalysisContext,
  input: TranscribeInput,
  signal?: AbortSignal,
): Promise<Transcript | null> {
  const mode = ctx.options.transcript;
  if (mode === 'off') return null;
  const limit = pLimit(ctx.options.transcriptConcurrency);
  const results =
    mode === 'windows'
      ? await Promise.all(input.windows.map((w) => limit(() => transcribeWindow(ctx, w, signal))))
      : await Promise.all(
          planCoveringWindows(input.durationSeconds, ctx.options.windowSeconds, FULL_OVERLAP_SECONDS).map(
            (window) =>
              limit(async () => {
                const w = await extractWindow(input.path, window, {
                  ffmpeg: input.ffmpeg,
                  ...(signal ? { signal } : {}),
                });
                return transcribeWindow(ctx, w, signal);
              }),
          ),
        );
  const segments = mergePieces(results.flatMap((r) => r.pieces));
  const scored = segments.map((s) => ({
    seconds: Math.max(s.end - s.start, 1e-3),
    confidence: s.logprobs ? confidenceFromLogprobs(s.logprobs) : null,
  }));
  const withLogprobs = scored.length > 0 && scored.every((s) => s.confidence !== null);
  const total = scored.reduce((a, s) => a + s.seconds, 0);
  return {
    text: segments.map((s) => s.text).join(' '),
    language: mostFrequent(results.flatMap((r) => r.languages)) ?? (segments.length ? input.language : null),
    segments: segments.map((s) => ({ start: round(s.start), end: round(s.end), text: s.text })),
    confidence: withLogprobs ? scored.reduce((a, s) => a + s.confidence! * s.seconds, 0) / total : null,
    confidenceSource: withLogprobs ? 'logprobs' : 'none',
    // Windows mode covers the item when its windows do (short items): then it is the full transcript.
    scope:
      mode === 'full' ||
      input.windows.reduce((a, w) => a + w.window.durationSeconds, 0) >= input.durationSeconds - 0.5
        ? 'full'
        : 'windows',
  };
}
