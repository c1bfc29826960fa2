// The fallback chain: providers tried in order, each behind a cockatiel circuit breaker and
// timeout, inside one budget for the whole chain. A failing provider (error, timeout, HTTP 5xx/429,
// malformed or wrong-length answer) hands over to the next; the result says who answered.
import {
  BrokenCircuitError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { RerankError } from '../errors';
import { normalizeScore, type FusionMode } from '../fusion/fuse';
import { createNoneProvider } from '../providers/none';
import {
  RerankRequestSchema,
  type BestMatch,
  type Candidate,
  type ProviderAttempt,
  type ProviderScores,
  type RerankHit,
  type RerankProvider,
  type RerankQuery,
  type RerankRequest,
  type RerankResult,
} from '../types';

/** Settings carried for `status()` and for the hi-rag adapter's defaults (PMOVES's names). */
export interface RerankSettings {
  /** `RERANK_ENABLE`. */
  enabled: boolean;
  /** `RERANK_TOPN`: pool size taken from retrieval before reranking. */
  topn: number;
  /** `RERANK_K`: hits returned (≤ topn). */
  k: number;
  /** `RERANK_FUSION`. */
  fusion: FusionMode;
}

/** Options of {@link createReranker}. */
export interface RerankerOptions {
  /** Providers in order; the first is the primary, the rest are fallbacks. */
  providers: RerankProvider[];
  /** Budget of one whole rerank across all providers, ms (default 30 000). */
  timeoutMs?: number;
  /** Circuit breaker: consecutive failures that open it (default 3) and the cool-down before a trial call, ms (default 30 000). */
  breaker?: { threshold?: number; cooldownMs?: number };
  /** Windows scored in parallel for pointwise providers (default 4). */
  maxParallelWindows?: number;
  /** When every provider fails, answer in retrieval order (provider `none`, degraded) instead of throwing (default true). */
  passthrough?: boolean;
  /** Settings reported by `status()` and used by `rerankHiRagHits`. */
  settings?: Partial<RerankSettings>;
  /** Configuration errors and warnings to report in `status()`. */
  configErrors?: string[];
  /** Configuration warnings to report in `status()`. */
  configWarnings?: string[];
}

/** Circuit breaker state of one provider. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One provider of the chain, as `status()` reports it. */
export interface ChainEntryStatus {
  /** Provider id. */
  id: string;
  /** Model, when known. */
  model: string | null;
  /** Circuit breaker state. */
  breaker: BreakerState;
  /** Calls made, and how many failed. */
  calls: number;
  /** Failed calls. */
  failures: number;
  /** Last failure message and time (ISO 8601). */
  lastError: string | null;
  /** When the last failure happened (ISO 8601). */
  lastErrorAt: string | null;
}

/** What `/hirag/admin/rerank-status` reports, plus the chain and its breakers. */
export interface RerankerStatus {
  /** `RERANK_ENABLE`. */
  enabled: boolean;
  /** Primary provider. */
  provider: string;
  /** Primary provider's model. */
  model: string | null;
  /** `RERANK_TOPN`. */
  topn: number;
  /** `RERANK_K`. */
  k: number;
  /** `RERANK_FUSION`. */
  fusion: FusionMode;
  /** Where the primary provider runs (`cpu`, `cuda`, `remote`…), when known. */
  device: string | null;
  /** Whether the primary provider is loaded. */
  loaded: boolean;
  /** Configuration errors. */
  errors: string[];
  /** Configuration warnings. */
  warnings: string[];
  /** Every provider in order with its breaker. */
  chain: ChainEntryStatus[];
}

/** A reranker: a chain of providers behind one call. */
export interface Reranker {
  /** Rerank; never throws because a provider failed (see `passthrough`), only for invalid input or cancellation. */
  rerank(request: RerankRequest): Promise<RerankResult>;
  /** Configuration, chain and breaker states. */
  status(): RerankerStatus;
  /** Settings (enabled, topn, k, fusion). */
  readonly settings: RerankSettings;
  /** The providers, in order. */
  readonly providers: readonly RerankProvider[];
  /** Dispose every provider. */
  dispose(): Promise<void>;
}

interface Entry {
  provider: RerankProvider;
  breaker: CircuitBreakerPolicy;
  timeout: IPolicy | null;
  openedAt: number;
  calls: number;
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Validate a request; the error names the offending field. */
export function parseRerankRequest(request: RerankRequest): {
  query: RerankQuery;
  candidates: Candidate[];
  topN?: number;
  signal?: AbortSignal;
} {
  const parsed = RerankRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'request';
    throw new RerankError('invalid-request', `${field}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Build a chain of providers with breakers, timeouts and a whole-chain budget. */
export function createReranker(options: RerankerOptions): Reranker {
  if (options.providers.length === 0)
    throw new RerankError('config', 'a reranker needs at least one provider');
  const budgetMs = options.timeoutMs ?? 30_000;
  const threshold = options.breaker?.threshold ?? 3;
  const cooldownMs = options.breaker?.cooldownMs ?? 30_000;
  const maxParallel = options.maxParallelWindows ?? 4;
  const passthrough = options.passthrough ?? true;
  const settings: RerankSettings = { enabled: true, topn: 50, k: 10, fusion: 'mul', ...options.settings };
  const none = createNoneProvider();

  const entries: Entry[] = options.providers.map((provider) => {
    // A caller's cancellation is not the provider's fault: it does not count towards the breaker.
    const breaker = circuitBreaker(
      handleWhen((err) => !(err instanceof RerankError && err.code === 'aborted')),
      { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(threshold) },
    );
    const perCall = provider.timeoutMs ? timeout(provider.timeoutMs, TimeoutStrategy.Aggressive) : null;
    const entry: Entry = {
      provider,
      breaker,
      timeout: perCall,
      openedAt: 0,
      calls: 0,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
    };
    breaker.onBreak(() => (entry.openedAt = Date.now()));
    return entry;
  });

  /**
   * Breaker state. cockatiel moves to half-open lazily (on the next call), so an open breaker past
   * its cool-down is reported as half-open: the next call is the trial.
   */
  function breakerState(e: Entry): BreakerState {
    const state = STATE_NAMES[e.breaker.state];
    return state === 'open' && Date.now() - e.openedAt >= cooldownMs ? 'half-open' : state;
  }

  async function scoreAll(
    provider: RerankProvider,
    query: RerankQuery,
    candidates: Candidate[],
    signal: AbortSignal,
  ) {
    const n = candidates.length;
    const size = provider.pointwise && provider.maxCandidatesPerCall ? provider.maxCandidatesPerCall : n;
    const windows: { offset: number; items: Candidate[] }[] = [];
    for (let offset = 0; offset < n; offset += size)
      windows.push({ offset, items: candidates.slice(offset, offset + size) });
    const limiter = bulkhead(maxParallel, Infinity);
    const parts = await Promise.all(
      windows.map((w) =>
        limiter.execute(async () => {
          signal.throwIfAborted();
          const out = await provider.rerank({ query, candidates: w.items, signal });
          if (out.scores.length !== w.items.length) {
            throw new RerankError(
              'provider',
              `${provider.id} returned ${out.scores.length} scores for ${w.items.length} candidates`,
            );
          }
          return { w, out };
        }),
      ),
    );
    const merged: ProviderScores = {
      scores: new Array(n).fill(null),
      scoreKind: parts[0]?.out.scoreKind ?? 'rank',
      model: parts[0]?.out.model ?? provider.model ?? null,
      candidateWarnings: new Map(),
      warnings: [],
    };
    for (const { w, out } of parts) {
      out.scores.forEach((s, i) => (merged.scores[w.offset + i] = s));
      out.candidateWarnings?.forEach((msg, i) => merged.candidateWarnings!.set(w.offset + i, msg));
      merged.warnings!.push(...(out.warnings ?? []));
      if (out.bestMatch && (!merged.bestMatch || out.bestMatch.score > merged.bestMatch.score))
        merged.bestMatch = out.bestMatch;
    }
    if (merged.scores.every((s) => s === null)) {
      // Not a single candidate could be scored: nothing to rank on, so the next provider answers.
      const why = [...merged.candidateWarnings!.values()][0];
      throw new RerankError(
        'provider',
        `${provider.id} could not score any candidate${why ? ` (${why})` : ''}`,
      );
    }
    if (parts.some((p) => p.out.scoreKind !== merged.scoreKind)) {
      throw new RerankError('provider', `${provider.id} mixed score kinds across windows`);
    }
    return merged;
  }

  function buildResult(
    providerId: string,
    out: ProviderScores,
    candidates: Candidate[],
    topN: number | undefined,
    degraded: boolean,
    warnings: string[],
    attempts: ProviderAttempt[],
    t0: number,
  ): RerankResult {
    const n = candidates.length;
    const scored: RerankHit[] = [];
    const unscored: RerankHit[] = [];
    candidates.forEach((c, index) => {
      const s = out.scores[index];
      const warning = out.candidateWarnings?.get(index);
      if (warning) warnings.push(`candidate ${c.id}: ${warning}`);
      if (typeof s === 'number' && Number.isFinite(s)) {
        scored.push({ id: c.id, index, score: s, normalizedScore: normalizeScore(s, out.scoreKind, n) });
      } else {
        unscored.push({ id: c.id, index, score: null, ...(warning ? { warning } : {}) });
      }
    });
    scored.sort((a, b) => (b.score as number) - (a.score as number) || a.index - b.index);
    const hits = [...scored, ...unscored].slice(0, topN ?? n);
    return {
      hits,
      provider: providerId,
      model: out.model,
      scoreKind: out.scoreKind,
      degraded,
      warnings: [...warnings, ...(out.warnings ?? [])],
      timings: { totalMs: performance.now() - t0, attempts },
      ...(out.bestMatch ? { bestMatch: out.bestMatch as BestMatch } : {}),
    };
  }

  async function rerank(request: RerankRequest): Promise<RerankResult> {
    const t0 = performance.now();
    const { query, candidates, topN, signal: userSignal } = parseRerankRequest(request);
    const warnings: string[] = [];
    const attempts: ProviderAttempt[] = [];
    const first = entries[0]!.provider;
    if (candidates.length === 0) {
      return buildResult(
        first.id,
        { scores: [], scoreKind: 'rank', model: first.model ?? null },
        [],
        topN,
        false,
        warnings,
        attempts,
        t0,
      );
    }
    const budget = AbortSignal.timeout(budgetMs);
    const signal = userSignal ? AbortSignal.any([userSignal, budget]) : budget;

    for (const [i, entry] of entries.entries()) {
      const { provider } = entry;
      if (userSignal?.aborted) throw new RerankError('aborted', 'rerank cancelled by the caller');
      const started = performance.now();
      if (budget.aborted) {
        const error = `skipped: the chain's ${budgetMs} ms budget is spent`;
        attempts.push({ provider: provider.id, ok: false, ms: 0, error, skipped: true });
        warnings.push(`${provider.id} ${error}`);
        continue;
      }
      try {
        entry.calls++;
        const out = await entry.breaker.execute(async ({ signal: s }) => {
          try {
            return entry.timeout
              ? await entry.timeout.execute(({ signal: t }) => scoreAll(provider, query, candidates, t), s)
              : await scoreAll(provider, query, candidates, s);
          } catch (err) {
            // The caller's cancellation surfaces as a cancelled task; it is not the provider's failure.
            if (userSignal?.aborted)
              throw new RerankError('aborted', 'rerank cancelled by the caller', { cause: err });
            throw err;
          }
        }, signal);
        attempts.push({ provider: provider.id, ok: true, ms: performance.now() - started });
        const degraded = i > 0 || provider.id === 'none';
        return buildResult(provider.id, out, candidates, topN, degraded, warnings, attempts, t0);
      } catch (err) {
        const ms = performance.now() - started;
        if (userSignal?.aborted)
          throw new RerankError('aborted', 'rerank cancelled by the caller', { cause: err });
        if (err instanceof BrokenCircuitError) {
          entry.calls--;
          const error = `skipped: circuit open after ${threshold} consecutive failures (cool-down ${cooldownMs} ms)`;
          attempts.push({ provider: provider.id, ok: false, ms, error, skipped: true });
          warnings.push(`${provider.id} ${error}`);
          continue;
        }
        const message =
          err instanceof TaskCancelledError
            ? budget.aborted
              ? `the chain's ${budgetMs} ms budget ran out`
              : `timed out after ${provider.timeoutMs} ms`
            : err instanceof Error
              ? err.message
              : String(err);
        entry.failures++;
        entry.lastError = message;
        entry.lastErrorAt = new Date().toISOString();
        attempts.push({ provider: provider.id, ok: false, ms, error: message });
        warnings.push(`${provider.id} failed: ${message}`);
      }
    }
    if (!passthrough) {
      throw new RerankError('provider', `every rerank provider failed: ${warnings.join('; ')}`);
    }
    warnings.push('every provider failed; kept retrieval order');
    const out = await none.rerank({ query, candidates, signal });
    return buildResult('none', out, candidates, topN, true, warnings, attempts, t0);
  }

  function status(): RerankerStatus {
    const primary = entries[0]!.provider;
    const extra = primary.status?.() ?? {};
    return {
      enabled: settings.enabled,
      provider: primary.id,
      model: primary.model ?? null,
      topn: settings.topn,
      k: settings.k,
      fusion: settings.fusion,
      device: extra.device ?? null,
      loaded: extra.loaded ?? true,
      errors: [...(options.configErrors ?? [])],
      warnings: [...(options.configWarnings ?? [])],
      chain: entries.map((e) => ({
        id: e.provider.id,
        model: e.provider.model ?? null,
        breaker: breakerState(e),
        calls: e.calls,
        failures: e.failures,
        lastError: e.lastError,
        lastErrorAt: e.lastErrorAt,
      })),
    };
  }

  return {
    rerank,
    status,
    settings,
    providers: entries.map((e) => e.provider),
    async dispose() {
      await Promise.all(entries.map((e) => e.provider.dispose?.()));
    },
  };
}
