import type { QwenAudioAdapter } from '../adapter/create';
import { QwenAudioError } from '../errors';
import type { AudioAnalysisStore } from '../store/types';

/** An item's failure: the `failed` outcome and what was recorded. */
export interface ItemFailure {
  outcome: 'failed';
  /** The QwenAudioError code (`backend` for anything untyped). */
  code: string;
  /** What went wrong (and, if so, that recording it failed too). */
  error: string;
}

/** Any thrown value as a QwenAudioError (`backend` when it was not one). */
export function asQwenAudioError(err: unknown): QwenAudioError {
  return err instanceof QwenAudioError
    ? err
    : new QwenAudioError('backend', (err as Error)?.message ?? String(err), { cause: err });
}

/**
 * The one place an item's failure is written: `status = 'failed'` and `error = "code: message"`,
 * keeping an earlier good analysis. A store that cannot take it is reported in the outcome, never thrown.
 */
export async function recordItemFailure(
  store: AudioAnalysisStore,
  adapter: Pick<QwenAudioAdapter, 'model' | 'backend' | 'promptVersion'>,
  item: { itemId: string; namespace: string; audioSha256?: string | null },
  err: unknown,
): Promise<ItemFailure> {
  const e = asQwenAudioError(err);
  try {
    await store.recordFailure({
      itemId: item.itemId,
      namespace: item.namespace,
      model: adapter.model,
      backend: adapter.backend,
      promptVersion: adapter.promptVersion,
      audioSha256: item.audioSha256 ?? null,
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
