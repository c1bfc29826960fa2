// The fallback chain: providers tried in order, each behind a cockatiel circuit breaker and a
// timeout, inside one budget for the whole chain of which each provider gets at most its share
// (./budget). A failing provider (error, timeout, HTTP 5xx/429, malformed or wrong-length answer)
// hands over to the next; the result says who answered. The chain knows nothing of any caller's
// settings (hi-rag's topn/k/fusion live in ../hirag).
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { describeZodIssues } from '@pmoves/internal';
import { RerankError } from '../errors';
import { normalizeScore } from '../fusion/fuse';
import { createNoneProvider } from '../providers/none';
import {
  RerankRequestSchema,
  type Candidate,
  type Modality,
  type ProviderAttempt,
  type ProviderScores,
  type RerankHit,
  type RerankProvider,
  type RerankRequest,
  type RerankResult,
} from '../types';
import { callLimit } from './budget';
import { routeFor, unroutedWarning } from './routing';
import { scoreWindows } from './windows';

/** Options of {@link createReranker}. */
export interface RerankerOptions {
  /** Providers in order; the first is the primary, the rest are fallbacks. */
  providers: RerankProvider[];
  /**
   * Budget of one whole rerank across all providers, ms (default 30 000). Each provider call may
   * use at most `remaining / (1 + later)`, where `later` counts the providers after it that could
   * still be called and declare a timeout, and never more than its own `timeoutMs`.
   */
  timeoutMs?: number;
  /** Circuit breaker: consecutive failures that open it (default 3) and the cool-down before a trial call, ms (default 30 000). */
  breaker?: { threshold?: number; cooldownMs?: number };
  /** Windows scored in parallel for pointwise providers (default 4). */
  maxParallelWindows?: number;
  /** When every provider fails, answer in retrieval order (provider `none`, degraded) instead of throwing (default true). */
  passthrough?: boolean;
}

/** Circuit breaker state of one provider. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One provider of the chain, as `status()` reports it. */
export interface ChainEntryStatus {
  /** Provider id. */
  id: string;
  /** Model, when known. */
  model: string | null;
  /** What it can score. */
  modalities: Modality[];
  /** Circuit breaker state. */
  breaker: BreakerState;
  /** Calls made (a provider skipped for its breaker or its modalities is not called). */
  calls: number;
  /** Failed calls. */
  failures: number;
  /** Last failure message. */
  lastError: string | null;
  /** When the last failure happened (ISO 8601). */
  lastErrorAt: string | null;
}

/** The chain's state: its primary provider, who answered last, and every provider's breaker. */
export interface RerankerStatus {
  /** Primary provider. */
  provider: string;
  /** Primary provider's model. */
  model: string | null;
  /** Where the primary provider runs (`cpu`, `cuda`, `remote`…), when known. */
  device: string | null;
  /** Precision of the primary provider's loaded weights (`fp32`, `fp16`, `q8`…), when known (a local CLIP model once loaded). */
  dtype: string | null;
  /** Whether the primary provider is loaded. */
  loaded: boolean;
  /** The provider that answered the last rerank (`none` for the passthrough), and when. */
  lastAnswer: { provider: string; degraded: boolean; at: string } | null;
  /** Every provider in order with its breaker. */
  chain: ChainEntryStatus[];
}

/** A reranker: a chain of providers behind one call. */
export interface Reranker {
  /** Rerank; never throws because a provider failed (see `passthrough`), only for invalid input or cancellation. */
  rerank(request: RerankRequest): Promise<RerankResult>;
  /** The chain and its breakers. */
  status(): RerankerStatus;
  /** The providers, in order. */
  readonly providers: readonly RerankProvider[];
  /** Dispose every provider. */
  dispose(): Promise<void>;
}

interface Entry {
  provider: RerankProvider;
  breaker: CircuitBreakerPolicy;
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

const aborted = (cause: unknown) => new RerankError('aborted', 'rerank cancelled by the caller', { cause });

/** Validate a request; the error names every offending field. */
function parseRequest(request: RerankRequest) {
  const parsed = RerankRequestSchema.safeParse(request);
  if (!parsed.success) throw new RerankError('invalid-request', describeZodIssues(parsed.error.issues));
  return parsed.data;
}

/** Scores of the routed candidates spread back over the whole request. */
function expand(out: ProviderScores, indices: number[], n: number, provider: RerankProvider): ProviderScores {
  if (indices.length === n) return out;
  const scores = new Array<number | null>(n).fill(null);
  const candidateWarnings = new Map<number, string>();
  for (let i = 0; i < n; i++) candidateWarnings.set(i, unroutedWarning(provider));
  indices.forEach((k, j) => {
    scores[k] = out.scores[j] ?? null;
    candidateWarnings.delete(k);
    const w = out.candidateWarnings?.get(j);
    if (w) candidateWarnings.set(k, w);
  });
  return { ...out, scores, candidateWarnings };
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
  return {
    hits: [...scored, ...unscored].slice(0, topN ?? n),
    provider: providerId,
    model: out.model,
    scoreKind: out.scoreKind,
    degraded,
    warnings: [...warnings, ...(out.warnings ?? [])],
    timings: { totalMs: performance.now() - t0, attempts },
    ...(out.metadata ? { providerMetadata: { [providerId]: out.metadata } } : {}),
  };
}

/** Build a chain of providers with breakers, per-call limits and a whole-chain budget. */
export function createReranker(options: RerankerOptions): Reranker {
  if (options.providers.length === 0)
    throw new RerankError('config', 'a reranker needs at least one provider');
  const budgetMs = options.timeoutMs ?? 30_000;
  const threshold = options.breaker?.threshold ?? 3;
  const cooldownMs = options.breaker?.cooldownMs ?? 30_000;
  const maxParallel = options.maxParallelWindows ?? 4;
  const passthrough = options.passthrough ?? true;
  const none = createNoneProvider();
  let lastAnswer: RerankerStatus['lastAnswer'] = null;

  const entries: Entry[] = options.providers.map((provider) => {
    // A caller's cancellation is not the provider's fault: it does not count towards the breaker.
    const breaker = circuitBreaker(
      handleWhen((err) => !(err instanceof RerankError && err.code === 'aborted')),
      { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(threshold) },
    );
    const entry: Entry = {
      provider,
      breaker,
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

  function answered(result: RerankResult): RerankResult {
    lastAnswer = { provider: result.provider, degraded: result.degraded, at: new Date().toISOString() };
    return result;
  }

  async function rerank(request: RerankRequest): Promise<RerankResult> {
    const t0 = performance.now();
    const { query, candidates, topN, signal: userSignal } = parseRequest(request);
    const warnings: string[] = [];
    const attempts: ProviderAttempt[] = [];
    const first = entries[0]!.provider;
    if (candidates.length === 0) {
      const empty = { scores: [], scoreKind: 'rank' as const, model: first.model ?? null };
      return buildResult(first.id, empty, [], topN, false, warnings, attempts, t0);
    }
    const deadline = performance.now() + budgetMs;
    const budget = AbortSignal.timeout(budgetMs);
    const signal = userSignal ? AbortSignal.any([userSignal, budget]) : budget;
    const routes = entries.map((e) => routeFor(e.provider, query, candidates));
    const callable = (j: number) => {
      const state = breakerState(entries[j]!);
      return !('skip' in routes[j]!) && state !== 'open' && state !== 'isolated';
    };

    for (const [i, entry] of entries.entries()) {
      const { provider } = entry;
      const route = routes[i]!;
      if (userSignal?.aborted) throw aborted(userSignal.reason);
      if ('skip' in route) {
        // It cannot score this request at all: not its failure, so the breaker is not charged.
        const error = `skipped: ${route.skip}`;
        attempts.push({ provider: provider.id, ok: false, ms: 0, error, skipped: true });
        warnings.push(`${provider.id} ${error}`);
        continue;
      }
      const started = performance.now();
      const remaining = deadline - started;
      if (budget.aborted || remaining <= 0) {
        const error = `skipped: the chain's ${budgetMs} ms budget is spent`;
        attempts.push({ provider: provider.id, ok: false, ms: 0, error, skipped: true });
        warnings.push(`${provider.id} ${error}`);
        continue;
      }
      let later = 0;
      for (let j = i + 1; j < entries.length; j++)
        if (entries[j]!.provider.timeoutMs !== undefined && callable(j)) later++;
      const limit = callLimit(remaining, later, provider.timeoutMs);
      const subset = route.indices.map((k) => candidates[k]!);
      try {
        entry.calls++;
        const out = await entry.breaker.execute(async ({ signal: s }) => {
          try {
            return await timeout(limit.ms, TimeoutStrategy.Aggressive).execute(
              ({ signal: t }) => scoreWindows(provider, query, subset, t, maxParallel),
              s,
            );
          } catch (err) {
            // The caller's cancellation surfaces as a cancelled task; it is not the provider's failure.
            if (userSignal?.aborted) throw aborted(err);
            throw err;
          }
        }, signal);
        attempts.push({ provider: provider.id, ok: true, ms: performance.now() - started });
        const degraded = i > 0 || provider.id === 'none';
        const full = expand(out, route.indices, candidates.length, provider);
        return answered(buildResult(provider.id, full, candidates, topN, degraded, warnings, attempts, t0));
      } catch (err) {
        const ms = performance.now() - started;
        if (userSignal?.aborted) throw aborted(err);
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
              : limit.byShare
                ? `timed out after ${limit.ms} ms (its share of the chain's ${budgetMs} ms budget)`
                : `timed out after ${limit.ms} ms`
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
    return answered(buildResult('none', out, candidates, topN, true, warnings, attempts, t0));
  }

  function status(): RerankerStatus {
    const primary = entries[0]!.provider;
    const extra = primary.status?.() ?? {};
    return {
      provider: primary.id,
      model: primary.model ?? null,
      device: extra.device ?? null,
      dtype: extra.dtype ?? null,
      loaded: extra.loaded ?? true,
      lastAnswer,
      chain: entries.map((e) => ({
        id: e.provider.id,
        model: e.provider.model ?? null,
        modalities: [...e.provider.modalities],
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
    providers: entries.map((e) => e.provider),
    async dispose() {
      await Promise.all(entries.map((e) => e.provider.dispose?.()));
    },
  };
}
