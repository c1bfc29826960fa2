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
  type RerankProvider,
} from '..';
import { candidates, cohereOk, docs, expectedOrder, query, teiOk, tzOk } from '../../test/helpers/backends';
import { json, sleep, startLoopback, type Loopback, type Received } from '../../test/helpers/loopback';

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

describe('options', () => {
  it('refuse a URL that is not http(s), naming the field', () => {
    expect(() => createTeiProvider({ url: 'ftp://x' })).toThrow(/tei provider options: url: /);
    expect(() => createCohereProvider({ url: 'file:///etc', model: 'm' })).toThrow(
      /cohere provider options: url: /,
    );
    expect(() => createTensorZeroProvider({ baseUrl: 'localhost:3000' })).toThrow(
      /tensorzero provider options: baseUrl: /,
    );
  });
});
