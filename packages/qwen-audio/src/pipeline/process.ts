import type { QwenAudioAdapter } from '../adapter/create.js';
import { sha256File } from '../adapter/create.js';
import { QwenAudioError } from '../errors.js';
import type { AnalysisResult } from '../schema.js';
import { needsAnalysis } from '../store/types.js';
import type { AudioAnalysisStore } from '../store/types.js';

/** What happened to one item in {@link processItem}. */
export type ProcessOutcome =
  | { outcome: 'processed'; result: AnalysisResult }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'failed'; error: string; code: string };

/** Options for {@link processItem}. */
export interface ProcessItemOptions {
  /** The adapter to analyse with. */
  adapter: QwenAudioAdapter;
  /** Where results and failures go. */
  store: AudioAnalysisStore;
  /** Stable id of the media item (Jellyfin item id, or the file path). */
  itemId: string;
  /** Local audio/video file. */
  path: string;
  /** Stored namespace; default `pmoves`. */
  namespace?: string;
  /** Re-analyse even when audio, model and prompt version are unchanged. */
  force?: boolean;
  /** Aborts decoding and model calls (the item is then neither stored nor recorded). */
  signal?: AbortSignal;
}

/**
 * Analyses one item and stores the outcome: skips it when the stored analysis is current (same
 * audio SHA-256, model and prompt version) unless forced; records failures (status + error) in the
 * store instead of throwing, so one bad item never stops a batch. Only an abort is thrown.
 */
export async function processItem(opts: ProcessItemOptions): Promise<ProcessOutcome> {
  const { adapter, store, itemId } = opts;
  const namespace = opts.namespace ?? 'pmoves';
  let sha: string | null = null;
  try {
    if (!adapter.enabled) {
      const skipped = await adapter.analyze(opts.path);
      return { outcome: 'skipped', reason: skipped.status === 'skipped' ? skipped.reason : 'disabled' };
    }
    sha = await sha256File(opts.path, opts.signal);
    const need = await needsAnalysis(
      store,
      itemId,
      { audioSha256: sha, model: adapter.model, promptVersion: adapter.promptVersion },
      opts.force,
    );
    if (!need.analyze) return { outcome: 'skipped', reason: need.reason };
    const result = await adapter.analyze(opts.path, {
      audioSha256: sha,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (result.status === 'skipped') return { outcome: 'skipped', reason: result.reason };
    await store.upsert({
      itemId,
      namespace,
      summary: result.summary,
      tags: result.tags,
      mood: result.mood,
      confidence: result.confidence,
      confidenceSource: result.confidenceSource,
      language: result.language,
      model: result.model,
      backend: result.backend,
      promptVersion: result.promptVersion,
      audioSha256: result.audio.sha256,
      durationSeconds: result.audio.durationSeconds,
      features: result.features,
      raw: { chunks: result.chunks, audio: result.audio, timings: result.timings },
      status: 'ok',
      error: null,
    });
    return { outcome: 'processed', result };
  } catch (err) {
    const e =
      err instanceof QwenAudioError
        ? err
        : new QwenAudioError('backend', (err as Error)?.message ?? String(err), { cause: err });
    if (e.code === 'aborted') throw e;
    try {
      await store.recordFailure({
        itemId,
        namespace,
        model: adapter.model,
        backend: adapter.backend,
        promptVersion: adapter.promptVersion,
        audioSha256: sha,
        error: `${e.code}: ${e.message}`,
      });
    } catch (storeErr) {
      return {
        outcome: 'failed',
        code: e.code,
        error: `${e.message}; and recording the failure failed: ${(storeErr as Error).message}`,
      };
    }
    return { outcome: 'failed', code: e.code, error: e.message };
  }
}
