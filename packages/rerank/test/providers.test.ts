// Contract tests: each provider against a loopback server speaking its backend's wire format,
// then every fault (timeout, 5xx, 429, malformed JSON, wrong-length scores) handing over to the
// next provider with a result that says so.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCohereProvider,
  createReranker,
  createTeiProvider,
  createTensorZeroProvider,
  RerankError,
  type RerankProvider,
} from '../src';
import { json, sleep, startLoopback, type Loopback, type Received } from './helpers/loopback';

/** Test scoring: query word i weighs i+1, score = matched weight / total (a stand-in backend, tests only). */
function overlap(query: string, doc: string): number {
  const words = query.toLowerCase().split(/\s+/);
  const d = doc.toLowerCase().split(/\s+/);
  const total = (words.length * (words.length + 1)) / 2;
  return words.reduce((sum, w, i) => sum + (d.includes(w) ? i + 1 : 0), 0) / total;
}

const docs = ['a red bicycle', 'a cat on a red sofa', 'nothing relevant', 'the cat sleeps'];
const candidates = docs.map((text, i) => ({ id: `c${i}`, text }));
const query = 'red cat';

/** Answers in reversed index order, as real servers sort by score: the client must map indices back. */
function teiOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; texts: string[] };
  const out = b.texts.map((t, index) => ({ index, score: overlap(b.query, t) })).reverse();
  json(res, 200, out);
}
function cohereOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; documents: string[] };
  const results = b.documents.map((t, index) => ({ index, relevance_score: overlap(b.query, t) })).reverse();
  json(res, 200, { id: 'x', results, meta: {} });
}
function tzOk(r: Received, res: ServerResponse) {
  const b = r.body as { query: string; documents: string[] };
  json(res, 200, { scores: b.documents.map((t) => overlap(b.query, t)) });
}

let tei: Loopback;
let cohere: Loopback;
let tz: Loopback;
let backup: Loopback;

beforeAll(async () => {
  [tei, cohere, tz, backup] = await Promise.all([
    startLoopback(teiOk),
    startLoopback(cohereOk),
    startLoopback(tzOk),
    startLoopback(teiOk),
  ]);
});
afterAll(async () => {
  await Promise.all([tei, cohere, tz, backup].map((s) => s.close()));
});
beforeEach(() => {
  for (const s of [tei, cohere, tz, backup]) {
    s.received.length = 0;
  }
  tei.handle(teiOk);
  cohere.handle(cohereOk);
  tz.handle(tzOk);
});

const expectedOrder = ['c1', 'c3', 'c0', 'c2'];

describe('wire formats', () => {
  it('flag/tei: POST /rerank {query, texts, raw_scores, truncate} → [{index, score}]', async () => {
    const r = createReranker({
      providers: [createTeiProvider({ url: tei.url, model: 'BAAI/bge-reranker-base' })],
    });
    const res = await r.rerank({ query, candidates });
    expect(tei.received[0]).toMatchObject({
      method: 'POST',
      path: '/rerank',
      body: { query, texts: docs, raw_scores: false, truncate: true },
    });
    expect(res.hits.map((h) => h.id)).toEqual(expectedOrder);
    expect(res.hits[0]).toMatchObject({ id: 'c1', index: 1, score: 1, normalizedScore: 1 });
    expect(res).toMatchObject({
      provider: 'flag',
      model: 'BAAI/bge-reranker-base',
      scoreKind: 'probability',
      degraded: false,
    });
    expect(res.warnings).toEqual([]);
  });

  it('cohere: POST /v2/rerank {model, query, documents, top_n} with Bearer → results[{index, relevance_score}]', async () => {
    const p = createCohereProvider({ url: cohere.url, model: 'rerank-v3.5', apiKey: 'sk-test' });
    const res = await createReranker({ providers: [p] }).rerank({ query, candidates, topN: 2 });
    const req = cohere.received[0]!;
    expect(req.path).toBe('/v2/rerank');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toEqual({ model: 'rerank-v3.5', query, documents: docs, top_n: 4 });
    expect(res.hits.map((h) => h.id)).toEqual(['c1', 'c3']);
    expect(res.provider).toBe('cohere');
  });

  it('cohere shape on a configurable path (Jina / vLLM /v1/rerank)', async () => {
    const p = createCohereProvider({
      url: cohere.url,
      path: '/v1/rerank',
      model: 'jina-reranker-v2',
      id: 'jina',
    });
    const res = await createReranker({ providers: [p] }).rerank({ query, candidates });
    expect(cohere.received[0]!.path).toBe('/v1/rerank');
    expect(res.provider).toBe('jina');
    expect(res.hits.map((h) => h.id)).toEqual(expectedOrder);
  });

  it('tensorzero: POST /functions/{fn}/invoke {query, documents}, Bearer, scores or data', async () => {
    const p = createTensorZeroProvider({ baseUrl: `${tz.url}/`, apiKey: 'tz-key' });
    const res = await createReranker({ providers: [p] }).rerank({ query, candidates });
    expect(tz.received[0]).toMatchObject({
      path: '/functions/hi_rag_rerank/invoke',
      body: { query, documents: docs },
    });
    expect(tz.received[0]!.headers.authorization).toBe('Bearer tz-key');
    expect(res).toMatchObject({ provider: 'tensorzero', model: 'hi_rag_rerank', scoreKind: 'probability' });
    expect(res.hits.map((h) => h.id)).toEqual(expectedOrder);

    tz.handle((r, res2) => json(res2, 200, { data: [3, -1, 0.5, 7] }));
    const res2 = await createReranker({ providers: [p] }).rerank({ query, candidates });
    // Unbounded raw scores are logits: mapped with a sigmoid, not clamped.
    expect(res2.scoreKind).toBe('logit');
    expect(res2.hits.map((h) => h.id)).toEqual(['c3', 'c0', 'c2', 'c1']);
    expect(res2.hits[0]!.normalizedScore).toBeCloseTo(1 / (1 + Math.exp(-7)), 10);
  });

  it('maps image-only candidates to empty documents and refuses an image-only query', async () => {
    const r = createReranker({ providers: [createTeiProvider({ url: tei.url })], passthrough: false });
    await r.rerank({ query, candidates: [{ id: 'img', image: 'http://x.test/a.png' }, ...candidates] });
    expect((tei.received[0]!.body as { texts: string[] }).texts[0]).toBe('');
    await expect(r.rerank({ query: { image: new Uint8Array([1]) }, candidates })).rejects.toThrow(
      /text only/,
    );
  });
});

describe('windowing for pointwise providers', () => {
  it('splits into windows with bounded parallelism, merges, and applies topN globally', async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({
      id: `d${i}`,
      text: i === 65 ? 'red cat' : i === 3 ? 'red' : `doc ${i}`,
    }));
    tei.handle(async (r, res) => {
      await sleep(20);
      teiOk(r, res);
    });
    const p = createTeiProvider({ url: tei.url, maxCandidatesPerCall: 16 });
    const res = await createReranker({ providers: [p], maxParallelWindows: 2 }).rerank({
      query,
      candidates: many,
      topN: 3,
    });
    expect(tei.received.map((r) => (r.body as { texts: string[] }).texts.length)).toEqual([
      16, 16, 16, 16, 6,
    ]);
    expect(tei.maxInFlight()).toBeLessThanOrEqual(2);
    expect(res.hits.map((h) => [h.id, h.index])).toEqual([
      ['d65', 65],
      ['d3', 3],
      ['d0', 0],
    ]);
  });

  it('does not window listwise providers (tensorzero sees the whole pool)', async () => {
    const many = Array.from({ length: 70 }, (_, i) => ({ id: `d${i}`, text: `doc ${i}` }));
    await createReranker({ providers: [createTensorZeroProvider({ baseUrl: tz.url })] }).rerank({
      query,
      candidates: many,
    });
    expect(tz.received).toHaveLength(1);
    expect((tz.received[0]!.body as { documents: string[] }).documents).toHaveLength(70);
  });
});

type Fault =
  'timeout' | '5xx' | '429' | 'malformed JSON' | 'wrong length' | 'bad index' | 'not JSON content type';
const faults: Record<
  Fault,
  (r: Received, res: ServerResponse, kind: 'tei' | 'cohere' | 'tz') => void | Promise<void>
> = {
  timeout: async (_r, res) => {
    await sleep(1500);
    if (!res.destroyed) json(res, 200, []);
  },
  '5xx': (_r, res) => json(res, 503, { error: 'overloaded' }),
  '429': (_r, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '7' }),
  'malformed JSON': (_r, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"results": [ {"index": 0, ');
  },
  'wrong length': (r, res, kind) => {
    const n = (
      (r.body as { texts?: string[]; documents?: string[] }).texts ??
      (r.body as { documents: string[] }).documents
    ).length;
    const short = Array.from({ length: n - 1 }, (_, index) => ({ index, score: 0.5, relevance_score: 0.5 }));
    if (kind === 'tei') json(res, 200, short);
    else if (kind === 'cohere') json(res, 200, { results: short });
    else json(res, 200, { scores: short.map((s) => s.score) });
  },
  'bad index': (r, res, kind) => {
    const n = (
      (r.body as { texts?: string[]; documents?: string[] }).texts ??
      (r.body as { documents: string[] }).documents
    ).length;
    const dup = Array.from({ length: n }, () => ({ index: 0, score: 0.5, relevance_score: 0.5 }));
    if (kind === 'tei') json(res, 200, dup);
    else if (kind === 'cohere') json(res, 200, { results: dup });
    else json(res, 200, { scores: 'not a list' });
  },
  'not JSON content type': (_r, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('[]');
  },
};

const expectedWarning: Record<Fault, RegExp> = {
  timeout: /timed out|did not answer within/,
  '5xx': /HTTP 503/,
  '429': /HTTP 429 \(rate limited, retry after 7\)/,
  'malformed JSON': /malformed JSON/,
  'wrong length': /3 scores for 4/,
  'bad index': /repeated index|unexpected shape/,
  'not JSON content type': /not JSON|0 scores for 4|unexpected shape/,
};

describe.each(['tei', 'cohere', 'tz'] as const)('%s faults end in the next provider', (kind) => {
  const make = (): RerankProvider =>
    kind === 'tei'
      ? createTeiProvider({ url: tei.url, timeoutMs: 300 })
      : kind === 'cohere'
        ? createCohereProvider({ url: cohere.url, model: 'm', timeoutMs: 300 })
        : createTensorZeroProvider({ baseUrl: tz.url, timeoutMs: 300 });
  const server = () => (kind === 'tei' ? tei : kind === 'cohere' ? cohere : tz);

  it.each(Object.keys(faults) as Fault[])('%s', async (fault) => {
    server().handle((r, res) => faults[fault](r, res, kind));
    const reranker = createReranker({
      providers: [make(), createTeiProvider({ url: backup.url, id: 'backup' })],
    });
    const res = await reranker.rerank({ query, candidates });
    expect(res.provider).toBe('backup');
    expect(res.degraded).toBe(true);
    expect(res.hits.map((h) => h.id)).toEqual(expectedOrder);
    const primary = make().id;
    expect(res.warnings[0]).toMatch(new RegExp(`^${primary} failed: `));
    expect(res.warnings[0]).toMatch(expectedWarning[fault]);
    expect(res.timings.attempts.map((a) => [a.provider, a.ok])).toEqual([
      [primary, false],
      ['backup', true],
    ]);
    expect(backup.received).toHaveLength(1);
  });
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

  it('the whole-chain budget stops at the deadline and skips the rest', async () => {
    tei.handle(async (_r, res) => {
      await sleep(1500);
      if (!res.destroyed) json(res, 200, []);
    });
    const t0 = Date.now();
    const res = await createReranker({
      providers: [
        createTeiProvider({ url: tei.url, timeoutMs: 5000 }),
        createTeiProvider({ url: backup.url, id: 'backup' }),
      ],
      timeoutMs: 200,
    }).rerank({ query, candidates });
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(res.provider).toBe('none');
    expect(res.timings.attempts[1]).toMatchObject({ provider: 'backup', skipped: true });
    expect(backup.received).toHaveLength(0);
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

  it('status reports settings, primary provider and the chain', () => {
    const r = createReranker({
      providers: [
        createTeiProvider({ url: tei.url, model: 'bge' }),
        createTensorZeroProvider({ baseUrl: tz.url }),
      ],
      settings: { topn: 20, k: 5, fusion: 'wsum' },
      configWarnings: ['w1'],
    });
    expect(r.status()).toEqual({
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
      chain: [
        {
          id: 'flag',
          model: 'bge',
          breaker: 'closed',
          calls: 0,
          failures: 0,
          lastError: null,
          lastErrorAt: null,
        },
        {
          id: 'tensorzero',
          model: 'hi_rag_rerank',
          breaker: 'closed',
          calls: 0,
          failures: 0,
          lastError: null,
          lastErrorAt: null,
        },
      ],
    });
  });
});
