// The analysis of one file, as steps: check the model, hash, decode the windows, measure, ask the
// model about each window, merge, transcribe the speech.
import { QWEN_SAMPLE_RATE, resolveFfmpegPath } from '../audio/ffmpeg';
import { sha256File } from '../audio/hash';
import { prepareItemWindows } from '../audio/prepare';
import { throwIfAborted } from '../errors';
import { featuresOfWindows } from '../features/extract';
import {
  mergeConfidence,
  mergeLanguage,
  mergeMood,
  mergeSummaryDeterministic,
  mergeTags,
} from '../adapter/merge';
import { PROMPT_VERSION } from '../adapter/prompt';
import { analysisResultSchema } from '../schema';
import type { AnalysisResult, AudioFeatures, ChunkResult } from '../schema';
import type { AnalysisContext } from './context';
import { transcribeItem } from './transcript';
import { analyzeWindow, modelMergedSummary } from './window';

/** Per-call options of `analyze`. */
export interface AnalyzeOptions {
  /** Aborts decoding and any in-flight model call. */
  signal?: AbortSignal;
  /** The input's SHA-256 if already computed (skips re-hashing). */
  audioSha256?: string;
}

const since = (t: number) => performance.now() - t;

/** Summary, tags, mood, confidence and language of the item, merged over its windows. */
async function mergeChunks(ctx: AnalysisContext, chunks: readonly ChunkResult[], signal?: AbortSignal) {
  const { tags, scores } = mergeTags(chunks);
  const mood = mergeMood(chunks);
  let summary = mergeSummaryDeterministic(chunks, scores);
  if (ctx.options.summaryMerge === 'model' && chunks.length > 1) {
    summary =
      (await modelMergedSummary(
        ctx,
        chunks.map((c) => c.summary),
        signal,
      )) ?? summary;
  }
  return { summary, tags, mood, ...mergeConfidence(chunks, tags, mood), language: mergeLanguage(chunks) };
}

/** Analyses one local file (see `QwenAudioAdapter.analyze`). */
export async function analyzeFile(
  ctx: AnalysisContext,
  path: string,
  opts: AnalyzeOptions,
  started: number,
): Promise<AnalysisResult> {
  const { signal } = opts;
  const o = ctx.options;
  await ctx.ensureCapable(signal);
  const ffmpeg = await resolveFfmpegPath(o.ffmpegPath);
  const sha256 = opts.audioSha256 ?? (await sha256File(path, signal));
  throwIfAborted(signal);

  const t0 = performance.now();
  const item = await prepareItemWindows(path, {
    ffmpeg,
    windowSeconds: o.windowSeconds,
    maxWindows: o.maxWindows,
    concurrency: o.windowConcurrency,
    ...(signal ? { signal } : {}),
  });
  const decodeMs = since(t0);

  const t1 = performance.now();
  const features: AudioFeatures | null = o.features
    ? featuresOfWindows(item.windows, item.durationSeconds, QWEN_SAMPLE_RATE)
    : null;
  const featuresMs = since(t1);

  const t2 = performance.now();
  const place = { count: item.windows.length, durationSeconds: item.durationSeconds, features };
  const chunks: ChunkResult[] = [];
  for (const w of item.windows) chunks.push(await analyzeWindow(ctx, w, place, signal));
  const merged = await mergeChunks(ctx, chunks, signal);
  const modelMs = since(t2);

  const t3 = performance.now();
  const transcript = await transcribeItem(
    ctx,
    { path, ffmpeg, durationSeconds: item.durationSeconds, windows: item.windows, language: merged.language },
    signal,
  );
  const transcriptMs = since(t3);

  return analysisResultSchema.parse({
    status: 'ok',
    ...merged,
    chunks,
    model: ctx.backend.model,
    backend: ctx.backend.name,
    promptVersion: PROMPT_VERSION,
    audio: {
      sha256,
      durationSeconds: Math.round(item.durationSeconds * 1000) / 1000,
      windowCount: item.windows.length,
    },
    features,
    transcript,
    timings: { decodeMs, featuresMs, modelMs, transcriptMs, totalMs: since(started) },
  });
}
