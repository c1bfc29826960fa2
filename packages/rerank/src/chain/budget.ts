// How much of the chain's budget one provider call may use.
//
// The rule: a provider may spend at most `remaining / (1 + later)` — `remaining` is what is left
// of the chain's budget when it starts, `later` the providers after it that could still be called
// (they can score the request, their breaker is not open, and they declare a timeout) — and never
// more than its own `timeoutMs`. What a provider does not use stays in the budget for the next,
// and the last provider that can be called gets all that remains. So with RERANK_TIMEOUT=30 and
// CLIP_TIMEOUT=30, a hung CLIP primary is cut after 15 s and its fallback keeps the other 15 s.

/** The time one call may take, and whether the share (not the provider's own timeout) set it. */
export interface CallLimit {
  /** Milliseconds, at least 1. */
  ms: number;
  /** True when the share of the budget is below the provider's own timeout. */
  byShare: boolean;
}

/** The limit of one provider call under the rule above. */
export function callLimit(remainingMs: number, later: number, ownTimeoutMs?: number): CallLimit {
  const share = Math.max(1, Math.round(remainingMs / (1 + later)));
  if (ownTimeoutMs !== undefined && ownTimeoutMs <= share) return { ms: ownTimeoutMs, byShare: false };
  return { ms: share, byShare: true };
}
