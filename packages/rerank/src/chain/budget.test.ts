// A hanging primary cannot starve the fallback (issue #17.6): each provider may spend at most its
// share of what remains of the chain's budget, so the providers after it keep time to answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReranker, createRerankerFromEnv, createTeiProvider, type RerankProvider } from '..';
import { callLimit } from './budget';
import { json, startLoopback, type Loopback } from '../../test/helpers/loopback';

/** The limit a timed-out attempt reports, ms. */
const limitOf = (error: string | undefined) => Number(/timed out after (\d+) ms/.exec(error ?? '')?.[1]);

const candidates = [
  { id: 'a', text: 'red' },
  { id: 'b', text: 'cat' },
];

/** A provider that never answers until its signal aborts (test stand-in for a hung backend). */
function hanging(id: string, timeoutMs?: number): RerankProvider & { seen: AbortSignal[] } {
  const seen: AbortSignal[] = [];
  return {
    id,
    modalities: ['text'],
    pointwise: true,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    seen,
    rerank: ({ signal }) =>
      new Promise((_, reject) => {
        seen.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
  };
}

let tei: Loopback;
let tz: Loopback;
let hung: Loopback;

beforeAll(async () => {
  tei = await startLoopback((r, res) =>
    json(
      res,
      200,
      (r.body as { texts: string[] }).texts.map((t, index) => ({ index, score: t === 'cat' ? 0.9 : 0.1 })),
    ),
  );
  tz = await startLoopback((r, res) =>
    json(res, 200, {
      scores: (r.body as { documents: string[] }).documents.map((t) => (t === 'cat' ? 0.9 : 0.1)),
    }),
  );
  // Accepts the request and never answers: a CLIP server stuck on a request.
  hung = await startLoopback(() => new Promise(() => undefined));
});
afterAll(async () => {
  await Promise.all([tei.close(), tz.close(), hung.close()]);
});

describe('the rule', () => {
  it('remaining / (1 + providers after it that can still be called), never above its own timeout', () => {
    expect(callLimit(30_000, 1, 30_000)).toEqual({ ms: 15_000, byShare: true });
    expect(callLimit(30_000, 2, 30_000)).toEqual({ ms: 10_000, byShare: true });
    expect(callLimit(30_000, 1, 10_000)).toEqual({ ms: 10_000, byShare: false });
    expect(callLimit(15_000, 0, 20_000)).toEqual({ ms: 15_000, byShare: true });
    expect(callLimit(30_000, 1)).toEqual({ ms: 15_000, byShare: true });
    expect(callLimit(0.2, 3, 5)).toEqual({ ms: 1, byShare: true });
  });
});

describe("each provider gets at most its share of the chain's budget", () => {
  it('a primary whose own timeout equals the budget leaves time for the fallback', async () => {
    const primary = hanging('primary', 2000);
    const r = createReranker({
      providers: [primary, createTeiProvider({ url: tei.url, id: 'fallback' })],
      timeoutMs: 2000,
    });
    const res = await r.rerank({ query: 'cat', candidates });
    expect(res).toMatchObject({ provider: 'fallback', degraded: true });
    expect(res.hits.map((h) => h.id)).toEqual(['b', 'a']);
    expect(res.timings.attempts[0]).toMatchObject({ provider: 'primary', ok: false });
    expect(res.timings.attempts[0]!.error).toMatch(
      /^timed out after \d+ ms \(its share of the chain's 2000 ms budget\)$/,
    );
    // Half of what remained when it started: at most 1000 ms, never its own 2000.
    expect(limitOf(res.timings.attempts[0]!.error)).toBeLessThanOrEqual(1000);
  });

  it('a primary without a timeout of its own is bounded by its share as well', async () => {
    const r = createReranker({
      providers: [hanging('primary'), createTeiProvider({ url: tei.url, id: 'fallback' })],
      timeoutMs: 2000,
    });
    const res = await r.rerank({ query: 'cat', candidates });
    expect(res.provider).toBe('fallback');
  });

  it('two hanging providers before a working one: each is cut at its share, the third answers', async () => {
    const r = createReranker({
      providers: [
        hanging('one', 10_000),
        hanging('two', 10_000),
        createTeiProvider({ url: tei.url, id: 'three' }),
      ],
      timeoutMs: 3000,
    });
    const res = await r.rerank({ query: 'cat', candidates });
    expect(res.provider).toBe('three');
    // With two providers left after it, `one` had at most a third of the budget.
    expect(limitOf(res.timings.attempts[0]!.error)).toBeLessThanOrEqual(1000);
    expect(res.timings.attempts.map((a) => [a.provider, a.ok])).toEqual([
      ['one', false],
      ['two', false],
      ['three', true],
    ]);
  });

  it('a provider whose breaker is open reserves no share', async () => {
    // `two` fails at once on an image-only request (which `one` and `three`, text-only, sit out
    // without a charge to their breakers) and opens its breaker; afterwards `one` may use half
    // the budget (its share with only `three` left to try), not a third.
    const failing: RerankProvider = {
      id: 'two',
      modalities: ['text', 'image'],
      pointwise: true,
      timeoutMs: 10_000,
      rerank: async () => {
        throw new Error('down');
      },
    };
    const r = createReranker({
      providers: [hanging('one', 10_000), failing, createTeiProvider({ url: tei.url, id: 'three' })],
      timeoutMs: 3000,
      breaker: { threshold: 1, cooldownMs: 60_000 },
    });
    const imageOnly = await r.rerank({ query: 'cat', candidates: [{ id: 'x', image: new Uint8Array([1]) }] });
    expect(imageOnly.timings.attempts.map((a) => [a.provider, a.ok, a.skipped ?? false])).toEqual([
      ['one', false, true],
      ['two', false, false],
      ['three', false, true],
    ]);
    expect(r.status().chain.map((c) => c.breaker)).toEqual(['closed', 'open', 'closed']);
    const res = await r.rerank({ query: 'cat', candidates });
    expect(res.provider).toBe('three');
    // Half of what remained (at most 1500 ms), more than the third it gets when both are left (test above).
    const limit = limitOf(res.timings.attempts[0]!.error);
    expect(limit).toBeLessThanOrEqual(1500);
    expect(limit).toBeGreaterThan(1000);
  });
});

describe('default settings (RERANK_TIMEOUT and CLIP_TIMEOUT both 30 s)', () => {
  it('a hanging CLIP primary does not starve the configured fallback', async () => {
    // Real defaults: the CLIP provider may use half of the 30 s budget, so this test waits about
    // 15 s for the hung CLIP server before TensorZero answers.
    const reranker = await createRerankerFromEnv({
      RERANK_PROVIDER: 'clip',
      RERANK_FALLBACK: 'tensorzero',
      CLIP_ENDPOINT: hung.url,
      TENSORZERO_BASE_URL: tz.url,
    });
    const res = await reranker.rerank({ query: 'cat', candidates });
    expect(res).toMatchObject({ provider: 'tensorzero', degraded: true });
    expect(res.hits.map((h) => h.id)).toEqual(['b', 'a']);
    expect(res.timings.attempts[0]).toMatchObject({ provider: 'clip', ok: false });
    await reranker.dispose();
  }, 45_000);
});
