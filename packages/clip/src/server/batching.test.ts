// Cross-request batching and load shedding over loopback, with a stand-in embedder that records
// the batch sizes it was given. No timing assertions: a priming request holds the model, so later
// items queue behind it and batches form by size (the wait window is far longer than any test);
// the window itself is tested on a fake clock in batcher.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { stubEmbedder, stubImage, vectorFor } from '../../test/stub-embedder';
import { decodeEmbedding, startClipServer, type RunningClipServer } from '.';

const b64 = (label: string) => Buffer.from(stubImage(label)).toString('base64');
const tick = () => new Promise((r) => setTimeout(r, 5));
let server: RunningClipServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function postImages(url: string, labels: string[], init: { signal?: AbortSignal } = {}) {
  return fetch(`${url}/v1/embed/image`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: labels.map((l) => ({ base64: b64(l) })) }),
    ...init,
  });
}

const queueDepth = async (url: string) =>
  ((await (await fetch(`${url}/readyz`)).json()) as { queue: number }).queue;

describe('coalescing', () => {
  it('items of concurrent requests are coalesced into model batches', async () => {
    const stub = stubEmbedder();
    server = await startClipServer({ embedder: stub, port: 0, modelBatch: 8, batchWaitMs: 10_000 });
    // While the model is busy (a held first batch), 16 one-image requests arrive; batches form by
    // size alone (the window is far longer than the test): the model sees 8 + 8.
    stub.hold();
    const prime = postImages(server.url, ['prime']);
    while (stub.held === 0) await tick();
    const labels = Array.from({ length: 16 }, (_, i) => `img${i}`);
    const pending = labels.map((l) => postImages(server!.url, [l]));
    while ((await queueDepth(server.url)) < 17) await tick();
    stub.release();
    const answers = await Promise.all(pending);
    expect((await prime).status).toBe(200);
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(stub.imageBatches).toEqual([1, 8, 8]);
    // Every request got its own vector back, not a neighbour's.
    for (const [i, res] of answers.entries()) {
      const body = (await res.json()) as { data: { embedding: string }[] };
      expect(Array.from(decodeEmbedding(body.data[0]!.embedding))).toEqual(Array.from(vectorFor(labels[i]!)));
    }
  });

  it('an idle model takes each request as it arrives, as one batch', async () => {
    // That it does so without waiting out the window is shown on a fake clock in batcher.test.ts.
    const stub = stubEmbedder();
    server = await startClipServer({ embedder: stub, port: 0, modelBatch: 8, batchWaitMs: 10 });
    expect((await postImages(server.url, ['a', 'b', 'c'])).status).toBe(200);
    expect((await postImages(server.url, ['d'])).status).toBe(200);
    expect(stub.imageBatches).toEqual([3, 1]);
  });

  it('a request larger than the model batch is split; the rest goes when the window ends', async () => {
    const stub = stubEmbedder();
    server = await startClipServer({ embedder: stub, port: 0, modelBatch: 4, batchWaitMs: 20 });
    expect((await postImages(server.url, ['a', 'b', 'c', 'd', 'e', 'f'])).status).toBe(200);
    expect(stub.imageBatches).toEqual([4, 2]);
    expect((await postImages(server.url, ['g'])).status).toBe(200);
    expect(stub.imageBatches).toEqual([4, 2, 1]);
  });

  it('texts of concurrent requests are coalesced too', async () => {
    const stub = stubEmbedder();
    server = await startClipServer({ embedder: stub, port: 0, modelBatch: 10, batchWaitMs: 10_000 });
    stub.hold();
    const text = (input: unknown) =>
      fetch(`${server!.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
      });
    const prime = text('prime');
    while (stub.held === 0) await tick();
    const pending = ['a', 'b', 'c', 'd', 'e'].map((t) => text([t, `${t}2`]));
    while (stub.textBatches.length < 2) await tick(); // the ten texts went as one batch
    stub.release();
    const answers = await Promise.all(pending);
    expect((await prime).status).toBe(200);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(stub.textBatches).toEqual([1, 10]);
  });

  it('a client that disconnects is dropped from the queue: the model never sees its items', async () => {
    const stub = stubEmbedder();
    server = await startClipServer({
      embedder: stub,
      port: 0,
      modelBatch: 8,
      batchWaitMs: 0,
      batchConcurrency: 1,
    });
    stub.hold();
    const first = postImages(server.url, ['first']); // holds the only batch slot
    while (stub.held === 0) await tick();
    const gone = new AbortController();
    const dropped = postImages(server.url, ['gone1', 'gone2'], { signal: gone.signal }).catch(
      (e: Error) => e,
    );
    while ((await queueDepth(server.url)) < 3) await tick(); // its two items wait behind `first`
    gone.abort();
    expect(await dropped).toBeInstanceOf(Error);
    while ((await queueDepth(server.url)) > 1) await tick(); // the server noticed and let them go
    const kept = postImages(server.url, ['kept']);
    while ((await queueDepth(server.url)) < 2) await tick();
    stub.release();
    expect((await first).status).toBe(200);
    expect((await kept).status).toBe(200);
    expect(stub.imageLabels).toEqual(['first', 'kept']);
    expect(stub.imageBatches).toEqual([1, 1]);
    expect(await queueDepth(server.url)).toBe(0);
  });
});

/**
 * A server whose model takes `delayMs` per batch of 2, one batch at a time, with the throughput
 * meter warmed by two 2-item requests (so at most 2 / delayMs items per ms), then held: the next
 * batch stays in the model until `release()`.
 */
async function measuredServer(delayMs: number, extra: { maxQueueItems: number; requestTimeoutMs?: number }) {
  const stub = stubEmbedder({ delayMs });
  server = await startClipServer({
    embedder: stub,
    port: 0,
    modelBatch: 2,
    batchWaitMs: 0,
    batchConcurrency: 1,
    ...extra,
  });
  const warm = await Promise.all([0, 1].map((i) => postImages(server!.url, [`w${i}a`, `w${i}b`])));
  expect(warm.map((r) => r.status)).toEqual([200, 200]);
  stub.hold();
  return { stub, url: server.url };
}

describe('load shedding', () => {
  it('past the queue limit: 429 with Retry-After; every accepted request is answered in full', async () => {
    const stub = stubEmbedder();
    server = await startClipServer({
      embedder: stub,
      port: 0,
      modelBatch: 8,
      batchWaitMs: 0,
      maxQueueItems: 16,
    });
    // The model holds its batches until the shed requests have been answered, so the queue is full
    // when the later requests arrive: 4 requests of 4 items fit, the other 16 are shed.
    stub.hold();
    const requests = Array.from({ length: 20 }, (_, i) => Array.from({ length: 4 }, (_, j) => `r${i}-${j}`));
    let shedSoFar = 0;
    const pending = requests.map((labels) =>
      postImages(server!.url, labels).then((r) => {
        if (r.status === 429) shedSoFar++;
        return r;
      }),
    );
    while (shedSoFar < 16) await tick();
    stub.release();
    const answers = await Promise.all(pending);
    expect(answers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const accepted = answers.map((r, i) => [r, i] as const).filter(([r]) => r.status === 200);
    const shed = answers.filter((r) => r.status === 429);
    expect(shed).toHaveLength(16);
    expect(accepted).toHaveLength(4);
    for (const r of shed) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await r.json()) as { error: { code: string; type: string } };
      expect(body.error).toMatchObject({ code: 'overloaded', type: 'rate_limit_error' });
    }
    // None lost: each accepted request has all four vectors, each its own.
    for (const [r, i] of accepted) {
      const body = (await r.json()) as { data: { embedding?: string }[] };
      expect(body.data.map((d) => Array.from(decodeEmbedding(d.embedding!)))).toEqual(
        requests[i]!.map((l) => Array.from(vectorFor(l))),
      );
    }
    // The model embedded exactly the accepted items, nothing of the shed ones.
    expect([...stub.imageLabels].sort()).toEqual(accepted.flatMap(([, i]) => requests[i]!).sort());
    expect(await queueDepth(server.url)).toBe(0);
  });

  it('Retry-After grows with the excess and the measured throughput', async () => {
    // At most 8 items/s (batches of 2, each at least 250 ms).
    const { stub, url } = await measuredServer(250, { maxQueueItems: 4 });
    const half = postImages(url, ['a', 'b']); // held in the model until the big request was answered
    while (stub.held === 0) await tick();
    const big = await postImages(
      url,
      Array.from({ length: 40 }, (_, i) => `x${i}`),
    );
    expect(big.status).toBe(429);
    // 38 items more than fit, at 8 items/s or fewer: at least 5 s, not the 1 s floor.
    expect(Number(big.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
    stub.release();
    expect((await half).status).toBe(200);
  });

  it('a request the measured throughput would not answer before its deadline is shed, not timed out', async () => {
    // At most 10 items/s; room is not the limit here (1000 items), time is (1 s deadline).
    const { stub, url } = await measuredServer(200, { maxQueueItems: 1000, requestTimeoutMs: 1000 });
    const ahead = postImages(url, ['a', 'b', 'c', 'd']); // 0.4 s of work or more
    while (stub.held === 0) await tick();
    // 4 + 6 items at 10/s or fewer need 1 s or more: beyond 80 % of the 1 s deadline.
    const late = await postImages(url, ['e', 'f', 'g', 'h', 'i', 'j']);
    expect(late.status).toBe(429);
    expect(Number(late.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    stub.release();
    expect((await ahead).status).toBe(200);
    expect(stub.imageLabels).not.toContain('e');
  });
});
