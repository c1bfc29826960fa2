// The remote client against loopback stand-in servers that speak the /v1/embeddings wire format
// and misbehave on purpose (slow, 429 with Retry-After, 5xx, malformed JSON, wrong vector length,
// connection reset, one of two down), and against the real server for the model checks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { stubEmbedder, stubImage, vectorFor } from '../../test/stub-embedder';
import { startClipServer, type RunningClipServer } from '../server';
import { createRemoteClipEmbedder, remoteClipOptionsFromEnv } from '.';

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: { input: string[]; model?: string },
  n: number,
) => void;

interface StandIn {
  url: string;
  /** Requests received, with their arrival time. */
  hits: { at: number; body: { input: string[]; model?: string; modality?: string }; auth?: string }[];
  close(): Promise<void>;
}

const servers: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A stand-in embedding server (test-only) whose behaviour per request is `handler`. */
async function standIn(handler: Handler): Promise<StandIn> {
  const hits: StandIn['hits'] = [];
  const http: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : { input: [] };
      hits.push({ at: Date.now(), body, auth: req.headers.authorization });
      handler(req, res, body, hits.length);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const s: StandIn = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
  servers.push(s);
  return s;
}

const b64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
/** A correct answer: one vector per input, from its text (or "img" for images). */
function ok(res: ServerResponse, body: { input: string[] }, opts: { model?: string; dims?: number } = {}) {
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      object: 'list',
      model: opts.model ?? 'stub-clip',
      data: body.input.map((t, index) => ({
        object: 'embedding',
        index,
        embedding: b64(vectorFor(t.startsWith('data:') ? 'img' : t, opts.dims)),
      })),
      usage: { prompt_tokens: 0, total_tokens: 0 },
    }),
  );
}
const status = (res: ServerResponse, code: number, headers: Record<string, string> = {}) =>
  res
    .writeHead(code, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ error: { code: 'overloaded', message: `status ${code}` } }));

/** An address nothing listens on. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return `http://127.0.0.1:${port}`;
}

describe('faults (stand-in servers)', () => {
  it('slow server past the budget: `timeout`, within the budget', async () => {
    const slow = await standIn((_q, res, body) => setTimeout(() => ok(res, body), 3000));
    const client = createRemoteClipEmbedder({ endpoint: slow.url, timeoutMs: 300, retries: 3 });
    await expect(client.embedTexts(['x'])).rejects.toMatchObject({ code: 'timeout' });
    const [r] = await client.embedImages([stubImage('a')]);
    expect(r!.error?.code).toBe('timeout');
  });

  it('slow server past the attempt timeout: the next server answers', async () => {
    const slow = await standIn((_q, res, body) => setTimeout(() => ok(res, body), 3000));
    const fast = await standIn((_q, res, body) => ok(res, body));
    const client = createRemoteClipEmbedder({
      endpoint: [slow.url, fast.url],
      timeoutMs: 5000,
      attemptTimeoutMs: 200,
    });
    const [v] = await client.embedTexts(['a cat']);
    expect(Array.from(v!)).toEqual(Array.from(vectorFor('a cat')));
    expect(slow.hits).toHaveLength(1);
    expect(fast.hits).toHaveLength(1);
  });

  it('429 with Retry-After: waits as asked, then succeeds', async () => {
    const busy = await standIn((_q, res, body, n) =>
      n === 1 ? status(res, 429, { 'retry-after': '1' }) : ok(res, body),
    );
    const client = createRemoteClipEmbedder({ endpoint: busy.url, timeoutMs: 10_000 });
    const [v] = await client.embedTexts(['a']);
    expect(Array.from(v!)).toEqual(Array.from(vectorFor('a')));
    expect(busy.hits).toHaveLength(2);
    expect(busy.hits[1]!.at - busy.hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a Retry-After beyond the budget fails at once, saying so', async () => {
    const busy = await standIn((_q, res) => status(res, 429, { 'retry-after': '120' }));
    const client = createRemoteClipEmbedder({ endpoint: busy.url, timeoutMs: 20_000 });
    const err = await client.embedTexts(['a']).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'remote' });
    expect((err as Error).message).toMatch(
      /HTTP 429.*no server is available for 120 s, beyond the \d+ s left/,
    );
    expect(busy.hits).toHaveLength(1);
  });

  it('503 and 500 are retried; the third attempt succeeds', async () => {
    const flaky = await standIn((_q, res, body, n) =>
      n === 1 ? status(res, 503) : n === 2 ? status(res, 500) : ok(res, body),
    );
    const client = createRemoteClipEmbedder({ endpoint: flaky.url, timeoutMs: 10_000 });
    const out = await client.embedImages([stubImage('a'), stubImage('b')]);
    expect(out.map((r) => Array.from(r.embedding!))).toEqual([
      Array.from(vectorFor('img')),
      Array.from(vectorFor('img')),
    ]);
    expect(flaky.hits).toHaveLength(3);
  });

  it('retries are bounded: 5xx every time → the last error, after 1 + retries attempts', async () => {
    const broken = await standIn((_q, res) => status(res, 502));
    const client = createRemoteClipEmbedder({ endpoint: broken.url, timeoutMs: 10_000, retries: 2 });
    await expect(client.embedTexts(['a'])).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringMatching(/HTTP 502/),
    });
    expect(broken.hits).toHaveLength(3);
  });

  it('malformed JSON: `remote`, not retried', async () => {
    const bad = await standIn((_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"object": "li'),
    );
    const client = createRemoteClipEmbedder({ endpoint: bad.url });
    await expect(client.embedTexts(['a'])).rejects.toMatchObject({
      code: 'remote',
      message: expect.stringMatching(/malformed JSON/),
    });
    const [r] = await client.embedImages([stubImage('a')]);
    expect(r!.error?.message).toMatch(/malformed JSON/);
    expect(bad.hits).toHaveLength(2);
  });

  it('wrong vector length: a `model` error naming the server and both lengths', async () => {
    const short = await standIn((_q, res, body) => ok(res, body, { dims: 7 }));
    const client = createRemoteClipEmbedder({ endpoint: short.url, expectedDims: 8 });
    await expect(client.embedTexts(['a'])).rejects.toMatchObject({
      code: 'model',
      message: expect.stringMatching(
        new RegExp(`${short.url} returned 7-dimensional embeddings; 8 are expected`),
      ),
    });
    const [r] = await client.embedImages([stubImage('a')]);
    expect(r!.error?.code).toBe('model');
  });

  it('one vector of another length in an answer is that item’s error', async () => {
    const mixed = await standIn((_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          object: 'list',
          model: 'stub-clip',
          data: [
            { object: 'embedding', index: 0, embedding: b64(vectorFor('a')) },
            { object: 'embedding', index: 1, embedding: b64(vectorFor('b', 7)) },
          ],
          usage: { prompt_tokens: 0, total_tokens: 0 },
        }),
      ),
    );
    const client = createRemoteClipEmbedder({ endpoint: mixed.url });
    const out = await client.embedImages([stubImage('a'), stubImage('b')]);
    expect(out[0]!.embedding).toBeDefined();
    expect(out[1]!.error).toMatchObject({ code: 'model' });
  });

  it('connection reset: retried, then answered', async () => {
    const reset = await standIn((req, res, body, n) => (n === 1 ? req.socket.destroy() : ok(res, body)));
    const client = createRemoteClipEmbedder({ endpoint: reset.url });
    const [v] = await client.embedTexts(['a']);
    expect(Array.from(v!)).toEqual(Array.from(vectorFor('a')));
    expect(reset.hits).toHaveLength(2);
  });

  it('one of two endpoints down: every call succeeds; the dead one is skipped while it is down', async () => {
    const up = await standIn((_q, res, body) => ok(res, body));
    const client = createRemoteClipEmbedder({ endpoint: [await deadUrl(), up.url], cooldownMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      const [v] = await client.embedTexts([`t${i}`]);
      expect(Array.from(v!)).toEqual(Array.from(vectorFor(`t${i}`)));
    }
    // The dead server cost one failed attempt; the other ten went to the live one.
    expect(up.hits).toHaveLength(10);
  });

  it('a failing server is tried again after its down period and used once it recovers', async () => {
    let healthy = false;
    const a = await standIn((req, res, body) => (healthy ? ok(res, body) : req.socket.destroy()));
    const b = await standIn((_q, res, body) => ok(res, body));
    const client = createRemoteClipEmbedder({ endpoint: [a.url, b.url], cooldownMs: 100 });
    await client.embedTexts(['1']); // a fails (skipped ~250 ms at most 100: capped), b answers
    expect(a.hits).toHaveLength(1);
    healthy = true;
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) await client.embedTexts([`${i}`]);
    expect(a.hits.length).toBeGreaterThanOrEqual(3); // back in the rotation
  });

  it('requests are spread over healthy servers, and a large call uses them in parallel', async () => {
    const a = await standIn((_q, res, body) => ok(res, body));
    const b = await standIn((_q, res, body) => ok(res, body));
    const client = createRemoteClipEmbedder({ endpoint: [a.url, b.url], batchSize: 2 });
    for (let i = 0; i < 4; i++) await client.embedTexts([`x${i}`]);
    expect([a.hits.length, b.hits.length]).toEqual([2, 2]);
    const out = await client.embedImages(Array.from({ length: 8 }, (_, i) => stubImage(`${i}`)));
    expect(out.every((r) => r.embedding)).toBe(true);
    expect(a.hits.length + b.hits.length).toBe(8);
    expect(a.hits.length).toBeGreaterThan(2);
    expect(b.hits.length).toBeGreaterThan(2);
  });

  it('two servers serving different models: a `model` error naming both', async () => {
    const a = await standIn((_q, res, body) => ok(res, body, { model: 'org/one' }));
    const b = await standIn((_q, res, body) => ok(res, body, { model: 'org/two' }));
    const client = createRemoteClipEmbedder({ endpoint: [a.url, b.url] });
    await client.embedTexts(['x']);
    await expect(client.embedTexts(['y'])).rejects.toMatchObject({
      code: 'model',
      message: expect.stringMatching(/must serve one model/),
    });
  });

  it('the caller’s abort ends a Retry-After wait at once', async () => {
    const busy = await standIn((_q, res) => status(res, 429, { 'retry-after': '5' }));
    const client = createRemoteClipEmbedder({ endpoint: busy.url, timeoutMs: 20_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await expect(client.embedTexts(['a'], { signal: ac.signal })).rejects.toBeDefined();
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('sends the bearer token, the expected model and Infinity’s modality', async () => {
    const s = await standIn((_q, res, body) => ok(res, body, { model: 'org/m' }));
    const client = createRemoteClipEmbedder({ endpoint: s.url, token: 'tok', expectedModel: 'org/m' });
    await client.embedImages([stubImage('a')]);
    expect(s.hits[0]).toMatchObject({ auth: 'Bearer tok', body: { model: 'org/m', modality: 'image' } });
    expect(s.hits[0]!.body.input[0]).toMatch(/^data:application\/octet-stream;base64,/);
  });
});

describe('model checks against the real server', () => {
  let server: RunningClipServer;
  const start = async (token?: string) => {
    server = await startClipServer({
      embedder: stubEmbedder(),
      port: 0,
      modelName: 'Xenova/clip-vit-base-patch32',
      ...(token ? { token } : {}),
    });
    servers.push(server);
  };

  it('a server serving another model than CLIP_MODEL: a `model` error naming both', async () => {
    await start();
    const client = createRemoteClipEmbedder({
      endpoint: server.url,
      expectedModel: 'Xenova/clip-vit-large-patch14',
    });
    await expect(client.embedTexts(['x'])).rejects.toMatchObject({
      code: 'model',
      message: expect.stringMatching(/clip-vit-large-patch14.*not served here.*clip-vit-base-patch32/),
    });
    await expect(client.refreshInfo()).rejects.toMatchObject({ code: 'model' });
    const right = createRemoteClipEmbedder({
      endpoint: server.url,
      expectedModel: 'Xenova/clip-vit-base-patch32',
    });
    const info = await right.refreshInfo();
    expect(info).toMatchObject({ model: 'Xenova/clip-vit-base-patch32', provider: 'remote:stub', dims: 8 });
  });

  it('dimensions other than expected: a `model` error', async () => {
    await start();
    const client = createRemoteClipEmbedder({ endpoint: server.url, expectedDims: 512 });
    await expect(client.refreshInfo()).rejects.toMatchObject({
      code: 'model',
      message: expect.stringMatching(/8-dimensional.*512/),
    });
  });

  it('a token the server requires: 401 says which variable to set; the right one is served', async () => {
    await start('tok');
    await expect(createRemoteClipEmbedder({ endpoint: server.url }).embedTexts(['x'])).rejects.toMatchObject({
      message: expect.stringMatching(/HTTP 401.*CLIP_SERVER_TOKEN/),
    });
    const [v] = await createRemoteClipEmbedder({ endpoint: server.url, token: 'tok' }).embedTexts(['x']);
    expect(Array.from(v!)).toEqual(Array.from(vectorFor('x')));
  });
});

describe('remoteClipOptionsFromEnv', () => {
  it('reads one or several endpoints and every option', () => {
    expect(
      remoteClipOptionsFromEnv({
        CLIP_ENDPOINT: 'http://clip-a:8095, http://clip-b:8095',
        CLIP_TIMEOUT: '2.5',
        CLIP_ATTEMPT_TIMEOUT: '1',
        CLIP_RETRIES: '5',
        CLIP_ENDPOINT_COOLDOWN: '10',
        CLIP_REMOTE_BATCH_SIZE: '16',
        CLIP_SERVER_TOKEN: 'tok',
        CLIP_MODEL: 'Xenova/clip-vit-base-patch32',
      }),
    ).toEqual({
      endpoint: ['http://clip-a:8095', 'http://clip-b:8095'],
      timeoutMs: 2500,
      attemptTimeoutMs: 1000,
      retries: 5,
      cooldownMs: 10_000,
      batchSize: 16,
      token: 'tok',
      expectedModel: 'Xenova/clip-vit-base-patch32',
    });
    expect(remoteClipOptionsFromEnv({ CLIP_ENDPOINT: 'http://clip:8095' })).toEqual({
      endpoint: 'http://clip:8095',
      timeoutMs: 30_000,
      retries: 3,
      cooldownMs: 30_000,
      batchSize: 32,
    });
  });

  it('names every bad variable in one config error, never the token', () => {
    let err: unknown;
    try {
      remoteClipOptionsFromEnv({
        CLIP_ENDPOINT: 'http://ok:1,localhost:8095',
        CLIP_TIMEOUT: '-1',
        CLIP_RETRIES: 'many',
        CLIP_ENDPOINT_COOLDOWN: '0',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'config' });
    const message = (err as Error).message;
    for (const v of ['CLIP_ENDPOINT', 'CLIP_TIMEOUT', 'CLIP_RETRIES', 'CLIP_ENDPOINT_COOLDOWN'])
      expect(message).toContain(v);
    expect(message).toMatch(/item 2 \("localhost:8095"\)/);
    expect(() => remoteClipOptionsFromEnv({})).toThrow(/CLIP_ENDPOINT is not set/);
  });
});
