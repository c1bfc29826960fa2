// The servers of one remote client (`CLIP_ENDPOINT` may list several). Requests rotate over the
// servers that are up; a failing one is skipped for a while that doubles with each consecutive
// failure (up to the cooldown) and is tried again afterwards: passive health, no prober.

/** One server and its health. */
export interface Endpoint {
  /** Base URL without a trailing slash. */
  readonly base: string;
  /** Consecutive failures. */
  failures: number;
  /** Epoch ms before which the endpoint is skipped (failing, or asked us to retry later). */
  downUntil: number;
}

/** Rotation and health of a client's servers. */
export class EndpointPool {
  readonly endpoints: Endpoint[];
  private next = 0;

  constructor(
    bases: readonly string[],
    /** Longest time a failing server is skipped, ms. */
    private readonly cooldownMs: number,
    /** First skip after a failure, ms (doubles per consecutive failure). */
    private readonly firstDownMs = 250,
    private readonly now: () => number = Date.now,
  ) {
    this.endpoints = bases.map((base) => ({ base, failures: 0, downUntil: 0 }));
  }

  /** The next server that is up, round robin; when all are down, the one that recovers first. */
  pick(): Endpoint {
    const t = this.now();
    const n = this.endpoints.length;
    for (let i = 0; i < n; i++) {
      const e = this.endpoints[(this.next + i) % n]!;
      if (e.downUntil <= t) {
        this.next = (this.next + i + 1) % n;
        return e;
      }
    }
    return this.endpoints.reduce((a, b) => (b.downUntil < a.downUntil ? b : a));
  }

  /** Milliseconds until some server is up (0 when one is). */
  msUntilAvailable(): number {
    const t = this.now();
    return Math.max(0, Math.min(...this.endpoints.map((e) => e.downUntil)) - t);
  }

  /** The server answered. */
  succeeded(e: Endpoint): void {
    e.failures = 0;
    e.downUntil = 0;
  }

  /** The server failed (network, 5xx, timeout): skip it for a doubling, jittered while. */
  failed(e: Endpoint): void {
    e.failures++;
    const base = Math.min(this.cooldownMs, this.firstDownMs * 2 ** (e.failures - 1));
    e.downUntil = this.now() + Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** The server asked to be retried after `ms` (429/503 with Retry-After); not a failure. */
  busy(e: Endpoint, ms: number): void {
    e.downUntil = Math.max(e.downUntil, this.now() + ms);
  }
}

/**
 * A `Retry-After` header in ms: delta-seconds or an HTTP date; undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
