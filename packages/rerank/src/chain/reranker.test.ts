// The chain: passthrough, budget, cancellation, validation, circuit breakers, modality routing
// and status, over stand-in TEI backends on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createReranker,
  createTeiProvider,
  createTensorZeroProvider,
  RerankError,
  type RerankProvider,
} from '..';
import { candidates, query, teiOk, tzOk } from '../../test/helpers/backends';
import { json, sleep, startLoopback, type Loopback } from '../../test/helpers/loopback';

let tei: Loopback;
let tz: Loopback;
let backup: Loopback;

beforeAll(async () => {
  [tei, tz, backup] = await Promise.all([startLoopback(teiOk), startLoopback(tzOk), startLoopback(teiOk)]);
});
afterAll(async () => {
  await Promise.all([tei, tz, backup].map((s) => s.close()));
});
beforeEach(() => {
  for (const s of [tei, tz, backup]) s.received.length = 0;
  tei.handle(teiOk);
  tz.handle(tzOk);
});

describe('chain', () => {
  it('when every provider fails, keeps retrieval order as a degraded `none` result', async () => {
    tei.handle((_r, res) => json(res, 500, {}));
    const res = await createReranker({ providers: [createTeiProvider({ url: tei.url })] }).rerank({
      query,
      candidates,
    });
    expect(res).toMatchObject({ provider: 'none', degraded: true, scoreKind: 'rank' });
    expect(res.hits.map((h) => h.id)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(res.warnings).toContain('every provider failed; kept retrieval order');
  });

  it('passthrough: false throws a provider error naming every failure', async () => {
    tei.handle((_r, res) => json(res, 500, {}));
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })], passthrough: false });
    await expect(r.rerank({ query, candidates })).rejects.toThrow(
      /every rerank provider failed: flag failed: .*HTTP 500/,
    );
  });

  it('never runs past the whole-chain budget, even when every provider hangs', async () => {
    tei.handle(async (_r, res) => {
      await sleep(1500);
      if (!res.destroyed) json(res, 200, []);
    });
    backup.handle(async (_r, res) => {
      await sleep(1500);
      if (!res.destroyed) json(res, 200, []);
    });
    const t0 = Date.now();
    const res = await createReranker({
      providers: [
        createTeiProvider({ url: tei.url, timeoutMs: 5000 }),
        createTeiProvider({ url: backup.url, id: 'backup', timeoutMs: 5000 }),
      ],
      timeoutMs: 300,
    }).rerank({ query, candidates });
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(res.provider).toBe('none');
    expect(res.timings.attempts.map((a) => [a.provider, a.ok])).toEqual([
      ['flag', false],
      ['backup', false],
    ]);
    backup.handle(teiOk);
  });

  it('a caller abort rejects with `aborted` and does not count against the provider', async () => {
    tei.handle(async (_r, res) => {
      await sleep(1500);
      if (!res.destroyed) json(res, 200, []);
    });
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })], breaker: { threshold: 1 } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await r.rerank({ query, candidates, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RerankError);
    expect((err as RerankError).code).toBe('aborted');
    expect(r.status().chain[0]!.breaker).toBe('closed');
  });

  it('rejects invalid requests naming the field', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    await expect(r.rerank({ query: '', candidates })).rejects.toThrow(/query/);
    await expect(r.rerank({ query, candidates: [{ id: '', text: 'x' }] })).rejects.toThrow(
      /candidates\.0\.id/,
    );
    await expect(r.rerank({ query, candidates, topN: 0 })).rejects.toThrow(/topN/);
    expect(tei.received).toHaveLength(0);
  });

  it('circuit breaker opens after consecutive failures, skips, then half-opens and closes', async () => {
    tei.handle((_r, res) => json(res, 500, {}));
    const r = createReranker({
      providers: [createTeiProvider({ url: tei.url }), createTeiProvider({ url: backup.url, id: 'backup' })],
      breaker: { threshold: 2, cooldownMs: 300 },
    });
    await r.rerank({ query, candidates });
    await r.rerank({ query, candidates });
    expect(tei.received).toHaveLength(2);
    expect(r.status().chain[0]).toMatchObject({ id: 'flag', breaker: 'open', failures: 2, calls: 2 });

    const skipped = await r.rerank({ query, candidates });
    expect(tei.received).toHaveLength(2); // not called while open
    expect(skipped.provider).toBe('backup');
    expect(skipped.timings.attempts[0]).toMatchObject({ provider: 'flag', skipped: true });
    expect(skipped.warnings[0]).toMatch(/flag skipped: circuit open/);

    await sleep(350);
    expect(r.status().chain[0]!.breaker).toBe('half-open');
    tei.handle(teiOk);
    const recovered = await r.rerank({ query, candidates });
    expect(recovered).toMatchObject({ provider: 'flag', degraded: false });
    expect(r.status().chain[0]!.breaker).toBe('closed');
  });

  it('a failed half-open trial opens the breaker again', async () => {
    tei.handle((_r, res) => json(res, 500, {}));
    const r = createReranker({
      providers: [createTeiProvider({ url: tei.url })],
      breaker: { threshold: 1, cooldownMs: 150 },
    });
    await r.rerank({ query, candidates });
    expect(r.status().chain[0]!.breaker).toBe('open');
    await sleep(200);
    await r.rerank({ query, candidates });
    expect(tei.received).toHaveLength(2);
    expect(r.status().chain[0]!.breaker).toBe('open');
  });

  it('status reports the primary provider, the last answer and the chain', async () => {
    const fresh = {
      modalities: ['text'],
      breaker: 'closed',
      calls: 0,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
    };
    const r = createReranker({
      providers: [
        createTeiProvider({ url: tei.url, model: 'bge' }),
        createTensorZeroProvider({ baseUrl: tz.url }),
      ],
    });
    expect(r.status()).toEqual({
      provider: 'flag',
      model: 'bge',
      device: 'remote',
      dtype: null,
      loaded: true,
      lastAnswer: null,
      chain: [
        { id: 'flag', model: 'bge', ...fresh },
        { id: 'tensorzero', model: 'hi_rag_rerank', ...fresh },
      ],
    });
    tei.handle((_r, res) => json(res, 503, {}));
    await r.rerank({ query, candidates });
    expect(r.status().lastAnswer).toEqual({ provider: 'tensorzero', degraded: true, at: expect.any(String) });
  });
});

describe('modalities', () => {
  const imageProvider = (): RerankProvider & { calls: number } => {
    const p = {
      id: 'images',
      modalities: ['image'] as const,
      pointwise: true,
      timeoutMs: 1000,
      calls: 0,
      async rerank({ candidates: cs }: { candidates: { id: string }[] }) {
        p.calls++;
        return { scores: cs.map((_, i) => i + 1), scoreKind: 'rank' as const, model: null };
      },
    };
    return p;
  };

  it('a text provider gets only the candidates with text; the others are unscored with a warning', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })], passthrough: false });
    const res = await r.rerank({
      query,
      candidates: [{ id: 'img', image: 'http://x.test/a.png' }, ...candidates],
    });
    expect((tei.received[0]!.body as { texts: string[] }).texts).toHaveLength(candidates.length);
    expect(res.provider).toBe('flag');
    expect(res.hits.map((h) => h.id)).toEqual(['c1', 'c3', 'c0', 'c2', 'img']);
    expect(res.hits[4]).toEqual({
      id: 'img',
      index: 0,
      score: null,
      warning: 'flag scores text only and this candidate has none',
    });
  });

  it('skips a provider that cannot score the request at all, without a call or a charge to its breaker', async () => {
    const flag = createTeiProvider({ url: tei.url });
    const images = imageProvider();
    const r = createReranker({ providers: [flag, images], breaker: { threshold: 1 } });
    for (let i = 0; i < 3; i++) {
      const res = await r.rerank({ query: { image: new Uint8Array([1]) }, candidates });
      // The query is an image: flag cannot take it. The candidates are text: `images` cannot score them.
      expect(res.provider).toBe('none');
      expect(res.timings.attempts).toEqual([
        {
          provider: 'flag',
          ok: false,
          ms: 0,
          skipped: true,
          error: 'skipped: it scores text and the query has none',
        },
        {
          provider: 'images',
          ok: false,
          ms: 0,
          skipped: true,
          error: 'skipped: it scores image and no candidate has any',
        },
      ]);
    }
    expect(tei.received).toHaveLength(0);
    expect(images.calls).toBe(0);
    expect(r.status().chain.map((c) => [c.id, c.breaker, c.calls, c.failures])).toEqual([
      ['flag', 'closed', 0, 0],
      ['images', 'closed', 0, 0],
    ]);
  });

  it('a precomputed embedding counts as an image', async () => {
    const images = imageProvider();
    const res = await createReranker({ providers: [images] }).rerank({
      query: { image: new Uint8Array([1]) },
      candidates: [
        { id: 'e', embedding: [1, 0] },
        { id: 't', text: 'x' },
      ],
    });
    expect(res.provider).toBe('images');
    expect(res.hits.map((h) => [h.id, h.score])).toEqual([
      ['e', 1],
      ['t', null],
    ]);
  });
});
