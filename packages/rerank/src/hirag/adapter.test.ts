import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHiRagAdapter, createReranker, createTeiProvider, type HiRagHit } from '..';
import { json, startLoopback, type Loopback, type Received } from '../../test/helpers/loopback';

describe('hi-rag adapter', () => {
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
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    const { response: res } = await createHiRagAdapter(r, { topn: 3, k: 2, fusion: 'mul' }).rerank('q', hits);
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
    const { response: res, result } = await createHiRagAdapter(r).rerank('q', hits, {
      useRerank: false,
      k: 3,
    });
    expect(result).toBeNull();
    expect(res).toMatchObject({ used_rerank: false, rerank_provider: null, k: 3 });
    expect(res.hits.map((h) => h.chunk_id)).toEqual(['h1', 'h3', 'h2']);
    expect(tei.received.length).toBe(before);
  });

  it('when every provider fails: used_rerank false, provider null, warnings in the detailed result', async () => {
    tei.handle((_r, res) => json(res, 502, {}));
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    const { response, result } = await createHiRagAdapter(r).rerank('q', hits, { k: 2 });
    expect(response).toMatchObject({ used_rerank: false, rerank_provider: null, k: 2 });
    expect(response.hits.map((h) => h.chunk_id)).toEqual(['h1', 'h3']);
    expect(result!.warnings[0]).toMatch(/flag failed: .*HTTP 502/);
  });

  it('rejects malformed hits naming the field', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })] });
    await expect(
      createHiRagAdapter(r).rerank('q', [{ chunk_id: 'x', text: 't' } as unknown as HiRagHit]),
    ).rejects.toThrow(/hits\.0\.score/);
  });

  it('request fields override the settings (rerank_topn, rerank_k, fusion)', async () => {
    tei.handle(scoreByText);
    const adapter = createHiRagAdapter(createReranker({ providers: [createTeiProvider({ url: tei.url })] }), {
      topn: 1,
      k: 1,
    });
    const { response } = await adapter.rerank('q', hits, { rerankTopn: 4, rerankK: 2, fusion: 'wsum' });
    // Pool of 4 this time: h4 (retrieval 0.05, rerank 1.0) enters it; wsum = 0.5·score + 0.5·s.
    expect(response.hits.map((h) => [h.chunk_id, +h.score.toFixed(6)])).toEqual([
      ['h2', 0.8],
      ['h3', 0.65],
    ]);
  });

  it('status echoes the settings and configuration next to the chain', () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url, model: 'bge' })] });
    const adapter = createHiRagAdapter(r, { topn: 20, k: 5, fusion: 'wsum', warnings: ['w1'] });
    expect(adapter.settings).toEqual({ enabled: true, topn: 20, k: 5, fusion: 'wsum' });
    expect(adapter.status()).toMatchObject({
      enabled: true,
      provider: 'flag',
      model: 'bge',
      topn: 20,
      k: 5,
      fusion: 'wsum',
      device: 'remote',
      loaded: true,
      errors: [],
      warnings: ['w1'],
      lastAnswer: null,
      chain: [{ id: 'flag', breaker: 'closed' }],
    });
  });
});
