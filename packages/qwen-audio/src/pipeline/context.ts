import type { ResolvedAdapterOptions } from '../adapter/options';
import type { AudioBackend } from '../backends/types';

/** What every step of an analysis reads: the resolved options and the backend. */
export interface AnalysisContext {
  /** Options with defaults filled in. */
  readonly options: ResolvedAdapterOptions;
  /** The protocol adapter. */
  readonly backend: AudioBackend;
  /** Resolves once the model is known to hear audio (memoised by the adapter). */
  ensureCapable(signal?: AbortSignal): Promise<void>;
}

/** The caller's signal combined with a timeout. */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}
