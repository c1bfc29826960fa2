import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReranker,
  createRerankerFromEnv,
  createTeiProvider,
  fuseScores,
  normalizeScore,
  parseRerankEnv,
  rerankHiRagHits,
  rerankHiRagHitsDetailed,
  RerankError,
  type HiRagHit,
} from '../src';
import { json, startLoopback, type Loopback, type Received } from './helpers/loopback';

describe('parseRerankEnv', () => {
  it('uses PMOVES defaults', () => {
    expect(parseRerankEnv({})).toEqual({
      enabled: true,
      chain: [{ name: 'flag', provider: 'flag' }],
      model: 'Qwen/Qwen3-Reranker-4B',
      topn: 50,
      k: 10,
      fusion: 'mul',
      timeoutMs: 30_000,
      providerTimeoutMs: 10_000,
      breaker: { threshold: 3, cooldownMs: 30_000 },
      warnings: [],
    });
  });

  it('resolves aliases, fallback order, seconds and caps K at TOPN with a warning', () => {
    const cfg = parseRerankEnv({
      RERANK_ENABLE: 'off',
      RERANK_PROVIDER: 'TZ',
      RERANK_FALLBACK: 'tei, jina ,none,flag',
      RERANK_TOPN: '5',
      RERANK_K: '8',
      RERANK_FUSION: 'WSUM',
      RERANK_TIMEOUT: '2.5',
      RERANK_BREAKER_COOLDOWN: '0.5',
    });
    expect(cfg.enabled).toBe(false);
    expect(cfg.chain).toEqual([
      { name: 'tz', provider: 'tensorzero' },
      { name: 'tei', provider: 'flag' },
      { name: 'jina', provider: 'cohere', path: '/v1/rerank' },
      { name: 'none', provider: 'none' },
    ]);
    expect(cfg).toMatchObject({
      topn: 5,
      k: 5,
      fusion: 'wsum',
      timeoutMs: 2500,
      breaker: { threshold: 3, cooldownMs: 500 },
    });
    expect(cfg.warnings).toEqual(['RERANK_K 8 exceeds RERANK_TOPN 5; truncating to topn']);
  });

  it('an unknown provider or fusion is a startup error naming the accepted values', () => {
    expect(() => parseRerankEnv({ RERANK_PROVIDER: 'colbert' })).toThrow(
      /RERANK_PROVIDER: unknown provider "colbert"; accepted: flag, tei, cohere, jina, vllm, infinity, tensorzero, tz, tzero, clip, none/,
    );
    expect(() => parseRerankEnv({ RERANK_FALLBACK: 'flag,bogus' })).toThrow(
      /RERANK_FALLBACK: unknown provider "bogus"/,
    );
    expect(() => parseRerankEnv({ RERANK_FUSION: 'max' })).toThrow(
      /RERANK_FUSION: unknown fusion "max"; accepted: mul, wsum/,
    );
    expect(() => parseRerankEnv({ RERANK_TOPN: '0' })).toThrow(/RERANK_TOPN must be a positive integer/);
    expect(() => parseRerankEnv({ RERANK_TIMEOUT: 'soon' })).toThrow(
      /RERANK_TIMEOUT must be a positive number of seconds/,
    );
    expect(() => parseRerankEnv({ RERANK_ENABLE: 'maybe' })).toThrow(/RERANK_ENABLE must be one of/);
    try {
      parseRerankEnv({ RERANK_PROVIDER: 'x' });
    } catch (err) {
      expect(err).toBeInstanceOf(RerankError);
      expect((err as RerankError).code).toBe('config');
    }
  });
});

describe('createRerankerFromEnv', () => {
  it('builds the chain with PMOVES variables and reports status', () => {
    const r = createRerankerFromEnv({
      RERANK_PROVIDER: 'tensorzero',
      RERANK_FALLBACK: 'flag,none',
      RERANK_URL: 'http://127.0.0.1:9/',
      RERANK_MODEL: 'BAAI/bge-reranker-base',
      TENSORZERO_BASE_URL: 'http://127.0.0.1:9',
      TENSORZERO_RERANK_FUNCTION: 'my_rerank',
      TENSORZERO_RERANK_TIMEOUT: '3',
      TENSORZERO_API_KEY: 'secret-key',
      RERANK_TOPN: '20',
      RERANK_K: '4',
    });
    expect(r.providers.map((p) => [p.id, p.model, p.timeoutMs])).toEqual([
      ['tensorzero', 'my_rerank', 3000],
      ['flag', 'BAAI/bge-reranker-base', 10_000],
      ['none', null, undefined],
    ]);
    const status = r.status();
    expect(status).toMatchObject({
      enabled: true,
      provider: 'tensorzero',
      model: 'my_rerank',
      topn: 20,
      k: 4,
      fusion: 'mul',
    });
    expect(status.chain.map((c) => c.id)).toEqual(['tensorzero', 'flag', 'none']);
    expect(JSON.stringify(status)).not.toContain('secret-key');
  });

  it('names a missing URL and builds clip with CLIP_* (seconds → ms)', () => {
    expect(() => createRerankerFromEnv({ RERANK_PROVIDER: 'flag' })).toThrow(
      /flag provider needs RERANK_URL/,
    );
    expect(() => createRerankerFromEnv({ RERANK_PROVIDER: 'tz' })).toThrow(/needs TENSORZERO_BASE_URL/);
    const r = createRerankerFromEnv({
      RERANK_PROVIDER: 'clip',
      RERANK_FALLBACK: 'none',
      CLIP_ENDPOINT: 'http://127.0.0.1:9',
      CLIP_TIMEOUT: '1.5',
    });
    expect(r.providers.map((p) => [p.id, p.timeoutMs])).toEqual([
      ['clip', 1500],
      ['none', undefined],
    ]);
    expect(r.status()).toMatchObject({ provider: 'clip', device: 'remote', loaded: false });
  });
});

describe('normalizeScore', () => {
  it('maps each score kind into [0,1] as documented', () => {
    expect(normalizeScore(0.7, 'probability')).toBe(0.7);
    expect(normalizeScore(1.3, 'probability')).toBe(1);
    expect(normalizeScore(-1, 'similarity')).toBe(0);
    expect(normalizeScore(0.3, 'similarity')).toBeCloseTo(0.65, 12);
    expect(normalizeScore(0, 'logit')).toBe(0.5);
    expect(normalizeScore(2, 'logit')).toBeCloseTo(0.8807970779778823, 12);
    expect(normalizeScore(4, 'rank', 4)).toBe(1);
    expect(normalizeScore(1, 'rank', 4)).toBe(0.25);
    expect(normalizeScore(Number.NaN, 'probability')).toBe(0);
  });
});

describe('fuseScores', () => {
  const items = [
    { id: 'a', score: 0.9, rerankScore: 0.1 },
    { id: 'b', score: 0.6, rerankScore: 1 },
    { id: 'c', score: 0.5, rerankScore: 0.6 },
    { id: 'd', score: 0.2, rerankScore: 1 },
  ];

  it('mul: score * (0.5 + 0.5 * s)', () => {
    const out = fuseScores(items, { fusion: 'mul', topn: 50, k: 10 });
    expect(out.map((o) => [o.id, +o.fusedScore.toFixed(6)])).toEqual([
      ['b', 0.6],
      ['a', 0.495],
      ['c', 0.4],
      ['d', 0.2],
    ]);
  });

  it('wsum: 0.5 * score + 0.5 * s', () => {
    const out = fuseScores(items, { fusion: 'wsum', topn: 50, k: 2 });
    expect(out.map((o) => [o.id, +o.fusedScore.toFixed(6)])).toEqual([
      ['b', 0.8],
      ['d', 0.6],
    ]);
  });

  it('fuses only the top-topn pool by retrieval score and returns k', () => {
    const out = fuseScores(items, { fusion: 'wsum', topn: 2, k: 10 });
    expect(out.map((o) => o.id)).toEqual(['b', 'a']);
  });

  it('gives an unscored item the pool mean (neutral)', () => {
    const out = fuseScores(
      [
        { id: 'x', score: 0.8, rerankScore: null },
        { id: 'y', score: 0.8, rerankScore: 0.2 },
        { id: 'z', score: 0.8, rerankScore: 0.6 },
      ],
      { fusion: 'mul' },
    );
    expect(out.find((o) => o.id === 'x')!.fusedScore).toBeCloseTo(0.8 * (0.5 + 0.5 * 0.4), 12);
  });
});

describe('rerankHiRagHits', () => {
  let tei: Loopback;
  const scoreByText = (r: Received, res: ServerResponse) => {
    const b = r.body as { texts: string[] };
    // Stand-in cross-encoder (tests only): the score is encoded in the text.
    json(
      res,
      200,
      b.texts.map((t, index) => ({ index, score: Number(t.split(':')[1]) })),
    );
  };
  beforeAll(async () => {
    tei = await startLoopback(scoreByText);
  });
  afterAll(() => tei.close());

  const hits: HiRagHit[] = [
    {
      chunk_id: 'h1',
      text: 'one:0.1',
      score: 0.9,
      payload: { namespace: 'pmoves', thumbnail_url: 'http://x.test/1.jpg' },
      graph_match: false,
      persona: null,
    },
    { chunk_id: 'h2', text: 'two:0.9', score: 0.7, payload: {}, graph_match: true },
    { chunk_id: 'h3', text: 'three:0.5', score: 0.8, payload: {} },
    { chunk_id: 'h4', text: 'four:1.0', score: 0.05, payload: {} },
  ];

  it('answers the /hirag/query shape with fused scores and rerank_score', async () => {
    tei.handle(scoreByText);
    const r = createReranker({
      providers: [createTeiProvider({ url: tei.url })],
      settings: { topn: 3, k: 2, fusion: 'mul' },
    });
    const res = await rerankHiRagHits('q', hits, r);
    expect(res.query).toBe('q');
    expect(res.used_rerank).toBe(true);
    expect(res.rerank_provider).toBe('flag');
    // Pool = top 3 by score (h1, h3, h2); h4 is outside the pool even with a perfect score.
    expect(res.hits.map((h) => h.chunk_id)).toEqual(['h2', 'h3']);
    expect(res.k).toBe(2);
    expect(res.hits[0]).toEqual({
      chunk_id: 'h2',
      text: 'two:0.9',
      score: 0.7 * (0.5 + 0.5 * 0.9),
      payload: {},
      graph_match: true,
      rerank_score: 0.9,
    });
    expect((tei.received.at(-1)!.body as { texts: string[] }).texts).toEqual([
      'one:0.1',
      'three:0.5',
      'two:0.9',
    ]);
  });

  it('uses request overrides (use_rerank false → retrieval order cut to k)', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    const before = tei.received.length;
    const res = await rerankHiRagHits('q', hits, r, { useRerank: false, k: 3 });
    expect(res).toMatchObject({ used_rerank: false, rerank_provider: null, k: 3 });
    expect(res.hits.map((h) => h.chunk_id)).toEqual(['h1', 'h3', 'h2']);
    expect(tei.received.length).toBe(before);
  });

  it('when every provider fails: used_rerank false, provider null, warnings in the detailed result', async () => {
    tei.handle((_r, res) => json(res, 502, {}));
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    const { response, result } = await rerankHiRagHitsDetailed('q', hits, r, { k: 2 });
    expect(response).toMatchObject({ used_rerank: false, rerank_provider: null, k: 2 });
    expect(response.hits.map((h) => h.chunk_id)).toEqual(['h1', 'h3']);
    expect(result!.warnings[0]).toMatch(/flag failed: .*HTTP 502/);
  });

  it('rejects malformed hits naming the field', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    await expect(
      rerankHiRagHits('q', [{ chunk_id: 'x', text: 't' } as unknown as HiRagHit], r),
    ).rejects.toThrow(/hits\.0\.score/);
  });
});
