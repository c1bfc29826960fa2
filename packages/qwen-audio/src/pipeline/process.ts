import type { QwenAudioAdapter } from '../adapter/create';
import { sha256File } from '../audio/hash';
import type { AnalysisResult } from '../schema';
import { needsAnalysis } from '../store/types';
import type { AudioAnalysisStore } from '../store/types';
import { asQwenAudioError, recordItemFailure } from './failure';
import type { ItemFailure } from './failure';

/** What happened to one item in {@link processItem}. */
export type ProcessOutcome =
  { outcome: 'processed'; result: AnalysisResult } | { outcome: 'skipped'; reason: string } | ItemFailure;

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
    const audioSha256 = await sha256File(opts.path, opts.signal);
    sha = audioSha256;
    const need = await needsAnalysis(
      store,
      itemId,
      { audioSha256, model: adapter.model, promptVersion: adapter.promptVersion },
      opts.force,
    );
    if (!need.analyze) return { outcome: 'skipped', reason: need.reason };
    const result = await adapter.analyze(opts.path, {
      audioSha256,
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
      transcript: result.transcript,
      raw: { chunks: result.chunks, audio: result.audio, timings: result.timings },
      status: 'ok',
      error: null,
    });
    return { outcome: 'processed', result };
  } catch (err) {
    const e = asQwenAudioError(err);
    if (e.code === 'aborted') throw e;
    return recordItemFailure(store, adapter, { itemId, namespace, audioSha256: sha }, e);
  }
}
