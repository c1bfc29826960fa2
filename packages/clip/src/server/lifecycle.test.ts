// Authentication, readiness, metrics and graceful shutdown of the embedding server.
import { afterEach, describe, expect, it } from 'vitest';
import { stubEmbedder, stubImage } from '../../test/stub-embedder';
import type { ClipEmbedder } from '../types';
import { clipServerOptionsFromEnv, createClipServer, startClipServer, type RunningClipServer } from '.';

const json = { 'content-type': 'application/json' };
/** A JSON POST to an app in process. */
const postTo = (
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  path: string,
  body: string,
) => app.request(path, { method: 'POST', headers: json, body });
let server: RunningClipServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('bearer auth (CLIP_SERVER_TOKEN)', () => {
  const { app } = createClipServer({ embedder: stubEmbedder(), token: 's3cret-token' });
  const routes: [string, string, unknown?][] = [
    ['GET', '/readyz'],
    ['GET', '/metrics'],
    ['GET', '/v1/models'],
    ['GET', '/v1/info'],
    ['POST', '/v1/embeddings', { input: 'x' }],
    ['POST', '/v1/embed/text', { texts: ['x'] }],
    ['POST', '/v1/embed/image', { inputs: [{ base64: 'SU1HOmE=' }] }],
    ['GET', '/nothing-here'],
  ];
  const call = (method: string, path: string, body: unknown, auth?: string) =>
    app.request(path, {
      method,
      headers: { ...(body ? json : {}), ...(auth ? { authorization: auth } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it.each(routes)('%s %s: 401 without or with a wrong token, served with it', async (method, path, body) => {
    for (const auth of [
      undefined,
      'Bearer wrong',
      'Bearer s3cret-token-and-more',
      'Basic s3cret-token',
      's3cret-token',
    ]) {
      const res = await call(method, path, body, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const ok = await call(method, path, body, 'Bearer s3cret-token');
    expect(ok.status).toBe(path === '/nothing-here' ? 404 : 200);
  });

  it('/healthz needs no token', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('the token never appears in an answer', async () => {
    const res = await call('GET', '/v1/models', undefined, 'Bearer nope');
    expect(await res.text()).not.toContain('s3cret');
  });
});

describe('readiness while the model loads', () => {
  it('/healthz 200 at once; /readyz and embeddings 503 until the embedder resolves', async () => {
    let resolve!: (e: ClipEmbedder) => void;
    const loading = new Promise<ClipEmbedder>((r) => (resolve = r));
    const { app } = createClipServer({ embedder: loading });
    expect((await app.request('/healthz')).status).toBe(200);
    const notReady = await app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reason: string }).reason).toMatch(/loading/);
    const early = await postTo(app, '/v1/embeddings', '{"input":"x"}');
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    resolve(stubEmbedder());
    await new Promise((r) => setTimeout(r, 0));
    expect((await app.request('/readyz')).status).toBe(200);
    expect((await postTo(app, '/v1/embeddings', '{"input":"x"}')).status).toBe(200);
  });

  it('a model that fails to load: /readyz 503 naming why', async () => {
    const { app } = createClipServer({ embedder: Promise.reject(new Error('no such file model.onnx')) });
    await new Promise((r) => setTimeout(r, 0));
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/model\.onnx/);
  });
});

describe('/metrics', () => {
  it('exposes requests, items, errors, queue depth, batch sizes, latency and the provider', async () => {
    const { app } = createClipServer({ embedder: stubEmbedder(), processMetrics: false });
    await app.request('/v1/embed/image', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        inputs: [{ base64: Buffer.from(stubImage('a')).toString('base64') }, { base64: 'AAAA' }],
      }),
    });
    await app.request('/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/clip_server_requests_total\{route="\/v1\/embed\/image",outcome="ok"\} 1/);
    expect(text).toMatch(/clip_server_requests_total\{route="\/v1\/embeddings",outcome="client_error"\} 1/);
    expect(text).toMatch(/clip_server_items_total\{route="\/v1\/embed\/image",outcome="ok"\} 1/);
    expect(text).toMatch(/clip_server_items_total\{route="\/v1\/embed\/image",outcome="error"\} 1/);
    expect(text).toMatch(/clip_server_errors_total\{code="decode"\} 1/);
    expect(text).toMatch(/clip_server_errors_total\{code="unsupported-media-type"\} 1/);
    expect(text).toMatch(/clip_server_queue_depth 0/);
    expect(text).toMatch(/clip_server_batch_size_bucket\{le="2",modality="image"\} 1/);
    expect(text).toMatch(/clip_server_request_duration_seconds_count\{route="\/v1\/embed\/image"\} 1/);
    expect(text).toMatch(
      /clip_server_execution_provider\{provider="stub",model="stub-clip",dtype="fp32"\} 1/,
    );
  });

  it('includes process metrics by default (resident memory)', async () => {
    const { app } = createClipServer({ embedder: stubEmbedder() });
    expect(await (await app.request('/metrics')).text()).toMatch(/process_resident_memory_bytes/);
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, answers what was accepted, then closes', async () => {
    const stub = stubEmbedder({ delayMs: 300 });
    server = await startClipServer({ embedder: stub, port: 0 });
    const url = server.url;
    const inFlight = fetch(`${url}/v1/embed/text`, {
      method: 'POST',
      headers: json,
      body: '{"texts":["a"]}',
    });
    // Close once the request is being embedded (a connection with no request read yet is idle).
    while (stub.textBatches.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close();
    server = undefined;
    // Accepted before close: answered in full.
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(await closing).toBe(true);
    // After close: nothing listens.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('while draining: new requests get 503 shutting-down with Connection: close; /readyz 503', async () => {
    const stub = stubEmbedder({ delayMs: 200 });
    const { app, drain } = createClipServer({ embedder: stub });
    const accepted = postTo(app, '/v1/embed/text', '{"texts":["a"]}');
    while (stub.textBatches.length === 0) await new Promise((r) => setTimeout(r, 5));
    const drained = drain(5000);
    const late = await postTo(app, '/v1/embed/text', '{"texts":["b"]}');
    expect(late.status).toBe(503);
    expect(late.headers.get('connection')).toBe('close');
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('shutting-down');
    expect((await app.request('/readyz')).status).toBe(503);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await accepted).status).toBe(200);
    expect(await drained).toBe(true);
    expect(stub.textBatches).toEqual([1]);
  });

  it('a port in use rejects with a one-line ClipError', async () => {
    server = await startClipServer({ embedder: stubEmbedder(), port: 0 });
    await expect(startClipServer({ embedder: stubEmbedder(), port: server.port })).rejects.toMatchObject({
      code: 'invalid-input',
      message: `127.0.0.1:${server.port} is already in use (PORT, HOST)`,
    });
  });
});

describe('clipServerOptionsFromEnv', () => {
  it('defaults', () => {
    expect(clipServerOptionsFromEnv({})).toEqual({
      port: 8095,
      host: '127.0.0.1',
      fetchOptions: {},
      maxBatch: 64,
      maxBodyBytes: 32 * 1024 * 1024,
      requestTimeoutMs: 60_000,
      modelBatch: 32,
      batchWaitMs: 5,
      batchConcurrency: 2,
      maxQueueItems: 256,
      maxPendingBodyBytes: 64 * 1024 * 1024,
      shutdownTimeoutMs: 30_000,
    });
  });

  it('reads every variable', () => {
    const o = clipServerOptionsFromEnv({
      PORT: '9000',
      HOST: '0.0.0.0',
      CLIP_SERVER_MAX_BATCH: '16',
      CLIP_SERVER_TIMEOUT: '2.5',
      CLIP_SERVER_MODEL_BATCH: '8',
      CLIP_SERVER_BATCH_WAIT_MS: '0',
      CLIP_SERVER_BATCH_CONCURRENCY: '1',
      CLIP_SERVER_MAX_QUEUE: '100',
      CLIP_SERVER_TOKEN: 'tok',
      CLIP_SERVER_MODEL_NAME: 'Xenova/clip-vit-base-patch32',
      CLIP_SERVER_SHUTDOWN_TIMEOUT: '5',
      CLIP_IMAGE_FETCH_TIMEOUT: '3',
    });
    expect(o).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      maxBatch: 16,
      requestTimeoutMs: 2500,
      modelBatch: 8,
      batchWaitMs: 0,
      batchConcurrency: 1,
      maxQueueItems: 100,
      token: 'tok',
      modelName: 'Xenova/clip-vit-base-patch32',
      shutdownTimeoutMs: 5000,
      fetchOptions: { timeoutMs: 3000 },
    });
  });

  it('names every bad variable in one config error, PORT included; never echoes the token', () => {
    let err: unknown;
    try {
      clipServerOptionsFromEnv({
        PORT: '99999',
        CLIP_SERVER_TIMEOUT: 'soon',
        CLIP_SERVER_MAX_QUEUE: '0',
        CLIP_SERVER_BATCH_WAIT_MS: '1.5',
        CLIP_IMAGE_FETCH_TIMEOUT: '-1',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'config' });
    const message = (err as Error).message;
    for (const name of [
      'PORT',
      'CLIP_SERVER_TIMEOUT',
      'CLIP_SERVER_MAX_QUEUE',
      'CLIP_SERVER_BATCH_WAIT_MS',
      'CLIP_IMAGE_FETCH_TIMEOUT',
    ])
      expect(message).toContain(name);
    expect(message).toMatch(/PORT must be an integer from 0 to 65535/);
    expect((err as { issues: unknown[] }).issues).toHaveLength(5);
  });
});
