// One window through the model: the prompt, the reply read leniently, one stricter retry.
import { z } from 'zod';
import type { PreparedWindow } from '../audio/prepare';
import { QwenAudioError, throwIfAborted } from '../errors';
import { confidenceFromLogprobs } from '../adapter/merge';
import { parseModelJson } from '../adapter/parse';
import { SYSTEM_PROMPT, buildMergePrompt, buildPrompt, buildStrictPrompt } from '../adapter/prompt';
import { lenientReplySchema } from '../adapter/reply';
import { modelReplySchema } from '../schema';
import type { AudioFeatures, ChunkResult } from '../schema';
import type { AnalysisContext } from './context';
import { withTimeout } from './context';

const replyJsonSchema = z.toJSONSchema(modelReplySchema) as Record<string, unknown>;
const mergeReplySchema = z.object({ summary: z.string().trim().min(1) });
const mergeJsonSchema = z.toJSONSchema(mergeReplySchema) as Record<string, unknown>;

/** Where a window sits in its item, for the prompt. */
export interface WindowPlace {
  /** Windows analysed in the item. */
  count: number;
  /** Length of the item, seconds. */
  durationSeconds: number;
  /** The item's measured features, or null. */
  features: AudioFeatures | null;
}

/**
 * Asks the model about one window; a reply without a usable summary or mood is asked once more
 * with a stricter prompt quoting the problem, and a second such reply is `bad-output`.
 */
export async function analyzeWindow(
  ctx: AnalysisContext,
  w: PreparedWindow,
  place: WindowPlace,
  signal?: AbortSignal,
): Promise<ChunkResult> {
  const prompt = buildPrompt(w.window, place.count, place.durationSeconds, place.features);
  const ask = async (text: string) => {
    throwIfAborted(signal);
    const reply = await ctx.backend.chat({
      system: SYSTEM_PROMPT,
      prompt: text,
      wav: w.wav,
      jsonSchema: replyJsonSchema,
      signal: withTimeout(signal, ctx.options.timeoutMs),
    });
    return { reply, parsed: parseModelJson(reply.text, lenientReplySchema) };
  };
  let attempt = await ask(prompt);
  let attempts = 1;
  if (!attempt.parsed.ok) {
    attempt = await ask(buildStrictPrompt(prompt, attempt.parsed.problem));
    attempts = 2;
  }
  const { reply, parsed } = attempt;
  if (!parsed.ok) {
    throw new QwenAudioError(
      'bad-output',
      `model ${ctx.backend.model} gave no valid analysis for window ${w.window.index + 1}/${place.count} after a stricter retry: ${parsed.problem}`,
    );
  }
  const fromLogprobs = reply.logprobs ? confidenceFromLogprobs(reply.logprobs) : null;
  const confidence = fromLogprobs ?? parsed.value.confidence;
  return {
    index: w.window.index,
    startSeconds: w.window.startSeconds,
    durationSeconds: w.window.durationSeconds,
    summary: parsed.value.summary,
    tags: parsed.value.tags,
    mood: parsed.value.mood,
    language: parsed.value.language,
    confidence,
    confidenceSource: fromLogprobs !== null ? 'logprobs' : confidence !== null ? 'model' : 'none',
    attempts,
  };
}

/**
 * One text-only call merging the window summaries (`summaryMerge: 'model'`); null when the reply is
 * unusable, so the deterministic summary stands — both come from the model's own window summaries.
 */
export async function modelMergedSummary(
  ctx: AnalysisContext,
  summaries: readonly string[],
  signal?: AbortSignal,
): Promise<string | null> {
  const reply = await ctx.backend.chat({
    system: SYSTEM_PROMPT,
    prompt: buildMergePrompt(summaries),
    jsonSchema: mergeJsonSchema,
    signal: withTimeout(signal, ctx.options.timeoutMs),
  });
  const merged = parseModelJson(reply.text, mergeReplySchema);
  return merged.ok ? merged.value.summary : null;
}
