// The gateway over real HTTP: sample mode and sidecar mode reranked by @pmoves/rerank's CLIP
// provider on the generated tiny CLIP model (expected orders are computed from the embedder's own
// cosines — the scores mean nothing), a loopback stand-in for the upstream Python gateway and for
// a text-embeddings-inference cross-encoder (the fallback), and a CLIP endpoint that fails.
import { join } from 'node:path';
import { createClipEmbedder, cosineSimilarity, type LocalClipEmbedder } from '@pmoves/clip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningHttpServer } from '../../common/src/http';
import { createLogger } from '../../common/src/log';
import { startFileServer, startStandIn } from '../../test/helpers';
import { SHARED_FIXTURES, tinyClipEnv } from '../../test/models';
import { createGatewayApp, type Retriever } from './app';
import { createHiRagFromConfig, loadGatewayConfig } from './config';
import { sampleRetriever, sidecarRetriever } from './retrievers';
import { loadSampleIndex, type SampleIndex } from './sample-index';

const log = createLogger('test', { PMOVES_EXAMPLES_QUIET: '1' });
const QUERY = 'red circle logo for the spring campaign';

interface Answer {
  query: string;
  k: number;
  used_rerank: boolean;
  rerank_provider: string | null;
  hits: {
    chunk_id: string;
    text: string;
    score: number;
    rerank_score?: number | null;
    payload: Record<string, unknown>;
  }[];
}

let embedder: LocalClipEmbedder;
let index: SampleIndex;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  embedder = await createClipEmbedder({
    modelPath: tinyClipEnv().CLIP_MODEL_PATH,
    device: 'cpu',
    dtype: 'fp32',
  });
  index = await loadSampleIndex();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await embedder?.dispose();
  await index?.close();
});

async function gateway(
  env: Record<string, string>,
  retriever: (cfg: { upstreamTimeoutMs: number }) => Retriever,
) {
  const cfg = await loadGatewayConfig(env);
  const r = retriever(cfg);
  // As main.ts does: in sample mode the CLIP provider may read the drawn thumbnails.
  const hirag = createHiRagFromConfig(cfg, r.mode === 'sample' ? { mediaRoots: [index.thumbnailDir] } : {});
  const { app, status } = createGatewayApp({
    hirag,
    retriever: r,
    namespace: cfg.namespace,
    alpha: cfg.alpha,
    requestTimeoutMs: cfg.requestTimeoutMs,
    rerankInfo: cfg.rerankInfo,
    log,
  });
  const server: RunningHttpServer = await listen(app, 0, '127.0.0.1');
  servers.push({ close: async () => (await server.close(), await hirag.dispose()) });
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/hirag/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Answer & { detail?: string } };
  };
  const rerankStatus = async () =>
    (await (await fetch(`${server.url}/hirag/admin/rerank-status`)).json()) as Record<string, unknown>;
  return { url: server.url, post, rerankStatus, status };
}

/** What CLIP fusion (`mul`) must give: retrieval score × (0.5 + 0.5·(cos+1)/2), best first. */
async function expectedOrder(
  query: string,
  hits: { chunk_id: string; score: number }[],
  image: (id: string) => string,
) {
  const [q] = await embedder.embedTexts([query]);
  const embs = await embedder.embedImages(hits.map((h) => image(h.chunk_id)));
  return hits
    .map((h, i) => {
      const s = (cosineSimilarity(q!, embs[i]!.embedding!) + 1) / 2;
      return { id: h.chunk_id, s, fused: h.score * (0.5 + 0.5 * s) };
    })
    .sort((a, b) => b.fused - a.fused);
}

describe('sample mode', () => {
  it('answers upstream’s shape, reordered by CLIP, with rerank_score on every hit', async () => {
    const g = await gateway(tinyClipEnv(), () => sampleRetriever(index));
    const before = await g.post({ query: QUERY, k: 8, use_rerank: false });
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ query: QUERY, k: 8, used_rerank: false, rerank_provider: null });
    expect(before.json.hits.every((h) => h.rerank_score === undefined)).toBe(true);

    const after = await g.post({ query: QUERY, k: 8 });
    expect(after.json).toMatchObject({ used_rerank: true, rerank_provider: 'clip', k: 8 });
    const expected = await expectedOrder(QUERY, before.json.hits, (id) => index.thumbnailFile(id)!);
    expect(after.json.hits.map((h) => h.chunk_id)).toEqual(expected.map((e) => e.id));
    after.json.hits.forEach((h, i) => {
      expect(h.rerank_score).toBeCloseTo(expected[i]!.s, 5);
      expect(h.score).toBeCloseTo(expected[i]!.fused, 5);
      expect(h.payload.thumbnail_url).toBe(`/sample/thumbnails/${h.chunk_id}.png`);
      expect(Object.keys(h.payload).some((k) => k.startsWith('__'))).toBe(false); // internal keys stay inside
    });
    expect(after.json.hits.map((h) => h.chunk_id)).not.toEqual(before.json.hits.map((h) => h.chunk_id));

    const st = await g.rerankStatus();
    expect(st).toMatchObject({
      enabled: true,
      provider: 'clip',
      topn: 50,
      k: 10,
      fusion: 'mul',
      loaded: true,
    });
    expect(st).toMatchObject({
      last_provider: 'clip',
      last_used_rerank: true,
      execution_provider: 'cpu',
      breakers: { clip: 'closed' },
      // The tiny model was loaded in fp32 (CLIP_DTYPE): effective precision as the chain reports it.
      use_fp16_requested: false,
      use_fp16_effective: false,
    });
    for (const key of [
      'model_resolved',
      'model_label',
      'model_path',
      'device',
      'cuda_available',
      'use_fp16_requested',
      'use_fp16_effective',
      'errors',
      'warnings',
    ])
      expect(st).toHaveProperty(key);
    const png = await fetch(`${g.url}/sample/thumbnails/sample-04.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
  });

  it('scores as upstream does: k cuts the answer, alpha and the graph boost move the retrieval score', async () => {
    const g = await gateway(tinyClipEnv(), () => sampleRetriever(index));
    const lexOnly = await g.post({ query: QUERY, k: 3, alpha: 0, use_rerank: false });
    expect(lexOnly.json.hits).toHaveLength(3);
    const top = lexOnly.json.hits[0]!;
    // Logo drafts contain the graph term "spring campaign" (+0.15) and share every other token class.
    expect(top.chunk_id).toMatch(/^sample-0[234]$/);
    const wrongNs = await g.post({ query: QUERY, namespace: 'elsewhere', use_rerank: false });
    expect(wrongNs.json.hits).toEqual([]);
    const bad = await g.post({ query: '', k: 0 });
    expect(bad.status).toBe(422);
    expect(bad.json.detail).toMatch(/query/);
    expect(bad.json.detail).toMatch(/k/);
  });
});

describe('sidecar mode (stand-in for upstream hi-rag-gateway-v2)', () => {
  it('forwards with use_rerank:false and a pool-sized k, reranks by CLIP, and never reads a path from a payload', async () => {
    const images = await startFileServer(join(SHARED_FIXTURES, 'images'));
    servers.push(images);
    const files = ['chelsea.jpg', 'coffee.png', 'rocket.jpg', 'astronaut.jpg'];
    const upstreamHits = [
      ...files.map((f, i) => ({
        chunk_id: `up-${i}`,
        text: `chunk ${i}`,
        score: 0.9 - i * 0.01,
        graph_match: false,
        payload: { doc_id: `doc-${i}`, thumbnail_url: `${images.url}/${f}` },
      })),
      { chunk_id: 'up-local', text: 'local path', score: 0.95, payload: { thumbnail_url: '/etc/hostname' } },
      // A payload that names the gateway's internal image key itself must not reach the reranker.
      {
        chunk_id: 'up-smuggled',
        text: 'smuggled path',
        score: 0.94,
        payload: { __pmoves_rerank_image: join(SHARED_FIXTURES, 'images', 'coffee.png') },
      },
    ];
    const upstream = await startStandIn((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          query: (req.json as { query: string }).query,
          k: upstreamHits.length,
          used_rerank: false,
          rerank_provider: null,
          hits: upstreamHits,
        }),
      );
    });
    servers.push(upstream);
    const g = await gateway(
      tinyClipEnv({ HIRAG_UPSTREAM_URL: upstream.url, CLIP_IMAGE_FETCH_ALLOWED_HOSTS: '127.0.0.1' }),
      (cfg) => sidecarRetriever(upstream.url, cfg.upstreamTimeoutMs),
    );
    const res = await g.post({ query: 'a photo of a cat', k: 6, namespace: 'pmoves' });
    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.path).toBe('/hirag/query');
    expect(upstream.requests[0]!.json).toMatchObject({
      query: 'a photo of a cat',
      k: 50,
      use_rerank: false,
      namespace: 'pmoves',
    });
    expect(res.json).toMatchObject({ used_rerank: true, rerank_provider: 'clip', k: 6 });

    // The hit whose payload names a local path is offered to CLIP without an image, so CLIP
    // scores its text (text-text similarity) and the path is never opened.
    const local = res.json.hits.find((h) => h.chunk_id === 'up-local');
    if (local) {
      const [q, t] = await embedder.embedTexts(['a photo of a cat', 'local path']);
      expect(local.rerank_score).toBeCloseTo((cosineSimilarity(q!, t!) + 1) / 2, 5);
    }
    // The four image hits, in the order their image cosines give.
    const scored = await expectedOrder('a photo of a cat', upstreamHits.slice(0, 4), (id) =>
      join(SHARED_FIXTURES, 'images', files[Number(id.slice(3))]!),
    );
    const smuggled = res.json.hits.find((h) => h.chunk_id === 'up-smuggled');
    if (smuggled) {
      const [q, t] = await embedder.embedTexts(['a photo of a cat', 'smuggled path']);
      expect(smuggled.rerank_score).toBeCloseTo((cosineSimilarity(q!, t!) + 1) / 2, 5);
      expect(smuggled.payload).not.toHaveProperty('__pmoves_rerank_image');
    }
    const imageHits = res.json.hits.filter((h) => h.chunk_id.startsWith('up-') && /^up-\d$/.test(h.chunk_id));
    expect(imageHits.map((h) => h.chunk_id)).toEqual(
      scored.map((s) => s.id).filter((id) => imageHits.some((h) => h.chunk_id === id)),
    );
    for (const h of imageHits)
      expect(h.rerank_score).toBeCloseTo(scored.find((s) => s.id === h.chunk_id)!.s, 5);
    // Only the loopback image host was fetched; nothing asked for /etc/hostname.
    expect(images.requests.map((r) => r.path).sort()).toEqual(files.map((f) => `/${f}`).sort());
  });

  it('answers 502 naming the upstream when it fails', async () => {
    const upstream = await startStandIn(
      (_req, res) =>
        void res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"detail":"Qdrant search error"}'),
    );
    servers.push(upstream);
    const g = await gateway(tinyClipEnv({ HIRAG_UPSTREAM_URL: upstream.url }), (cfg) =>
      sidecarRetriever(upstream.url, cfg.upstreamTimeoutMs),
    );
    const res = await g.post({ query: 'x' });
    expect(res.status).toBe(502);
    expect(res.json.detail).toContain('HTTP 503');
    expect(res.json.detail).toContain(upstream.url);
  });
});

describe('CLIP failing', () => {
  async function failingClip() {
    const clip = await startStandIn(
      (_req, res) =>
        void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"model not loaded"}'),
    );
    servers.push(clip);
    return clip;
  }

  it('the fallback (a TEI cross-encoder stand-in) answers, and the status endpoint says so', async () => {
    const clip = await failingClip();
    const tei = await startStandIn((req, res) => {
      const { texts } = req.json as { texts: string[] };
      // TEI's /rerank answer: [{ index, score }], best first; here: longer text = more relevant.
      const out = texts
        .map((t, index) => ({ index, score: Math.min(1, t.length / 100) }))
        .sort((a, b) => b.score - a.score);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
    servers.push(tei);
    const g = await gateway(
      {
        CLIP_ENDPOINT: clip.url,
        RERANK_FALLBACK: 'flag',
        RERANK_URL: tei.url,
        RERANK_BREAKER_THRESHOLD: '2',
      },
      () => sampleRetriever(index),
    );
    const res = await g.post({ query: QUERY, k: 4 });
    expect(res.json).toMatchObject({ used_rerank: true, rerank_provider: 'flag' });
    expect(res.json.hits.every((h) => typeof h.rerank_score === 'number')).toBe(true);
    expect(tei.requests[0]!.path).toBe('/rerank');
    expect(clip.requests.length).toBeGreaterThan(0);

    let st = await g.rerankStatus();
    expect(st).toMatchObject({
      provider: 'clip',
      last_provider: 'flag',
      last_degraded: true,
      breakers: { clip: 'closed', flag: 'closed' },
    });
    const chain = st.chain as { id: string; failures: number; last_error: string | null }[];
    expect(chain.map((c) => c.id)).toEqual(['clip', 'flag']);
    expect(chain[0]!.failures).toBe(1);
    expect(chain[0]!.last_error).toMatch(/503/);
    expect((st.last_warnings as string[]).join(' ')).toMatch(/clip failed/);

    await g.post({ query: QUERY, k: 4 });
    st = await g.rerankStatus();
    expect(st.breakers).toEqual({ clip: 'open', flag: 'closed' });
  });

  it('with no fallback, says no rerank happened: used_rerank false, rerank_provider null, retrieval order', async () => {
    const clip = await failingClip();
    const g = await gateway({ CLIP_ENDPOINT: clip.url }, () => sampleRetriever(index));
    const plain = await g.post({ query: QUERY, k: 5, use_rerank: false });
    const res = await g.post({ query: QUERY, k: 5 });
    expect(res.json).toMatchObject({ used_rerank: false, rerank_provider: null });
    expect(res.json.hits.map((h) => h.chunk_id)).toEqual(plain.json.hits.map((h) => h.chunk_id));
    expect(res.json.hits.every((h) => h.rerank_score === undefined)).toBe(true);
    expect(await g.rerankStatus()).toMatchObject({
      last_provider: null,
      last_used_rerank: false,
      last_degraded: true,
    });
  });
});

describe('configuration', () => {
  it('names every bad variable in one error', async () => {
    const err = await loadGatewayConfig({
      PORT: '99999',
      ALPHA: '2',
      HIRAG_UPSTREAM_URL: 'localhost:8086',
      HIRAG_UPSTREAM_TIMEOUT: 'soon',
      RERANK_FUSION: 'max',
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    for (const v of ['PORT', 'ALPHA', 'HIRAG_UPSTREAM_URL', 'HIRAG_UPSTREAM_TIMEOUT', 'RERANK_FUSION'])
      expect((err as Error).message).toContain(v);
  });

  it('defaults RERANK_PROVIDER to clip', async () => {
    const cfg = await loadGatewayConfig({});
    expect(cfg.rerank.providers.map((p) => p.provider)).toEqual(['clip']);
    expect(cfg.hirag).toMatchObject({ enabled: true, topn: 50, k: 10, fusion: 'mul' });
    const hirag = createHiRagFromConfig(cfg, { mediaRoots: ['/srv/thumbs'] });
    expect(hirag.status().provider).toBe('clip');
    expect(cfg).toMatchObject({
      port: 8086,
      host: '127.0.0.1',
      alpha: 0.7,
      graphBoost: 0.15,
      namespace: 'pmoves',
    });
    await hirag.dispose();
  });
});
