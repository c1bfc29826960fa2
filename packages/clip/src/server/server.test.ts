// Embedding server and remote client together, over loopback, with a stand-in ClipEmbedder
// (deterministic fake vectors — test-only; the real embedder is exercised in its own tests).
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { createRemoteClipEmbedder, remoteClipOptionsFromEnv } from '../remote';
import type { ImageInput } from '../types';
import { imageHost, STUB_DIMS as DIMS, stubEmbedder, vectorFor } from '../../test/stub-embedder';
import {
  createClipServer,
  decodeEmbedding,
  encodeEmbedding,
  startClipServer,
  type RunningClipServer,
} from '.';

let images: Awaited<ReturnType<typeof imageHost>>;
let imagesUrl: string;
let running: RunningClipServer;
let dir: string;
const guard = (t: { address: string }) => {
  if (!t.address.startsWith('127.')) throw new Error(`test guard: refused ${t.address}`);
};

beforeAll(async () => {
  images = await imageHost({ '/cat.png': { label: 'cat', type: 'image/png' } });
  imagesUrl = images.url;
  running = await startClipServer({
    embedder: stubEmbedder(),
    port: 0,
    fetchOptions: { allowedHosts: ['127.0.0.1'], connectGuard: guard },
  });
  dir = await mkdtemp(join(tmpdir(), 'clip-remote-'));
});

afterAll(async () => {
  await running.close();
  await images.close();
  await rm(dir, { recursive: true, force: true });
});

describe('embedding server + remote client', () => {
  it('listens on loopback by default', () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('embeds texts bit-exactly over base64 float32', async () => {
    const client = createRemoteClipEmbedder({ endpoint: running.url });
    const out = await client.embedTexts(['a photo of a cat', 'a dog']);
    expect(out).toHaveLength(2);
    expect(Array.from(out[0]!)).toEqual(Array.from(vectorFor('a photo of a cat')));
    expect(client.info()).toMatchObject({ model: 'stub-clip', dims: DIMS });
  });

  it('embeds every kind of image input, one result per input, errors per item', async () => {
    const file = join(dir, 'dog.png');
    await writeFile(file, 'IMG:dog');
    const client = createRemoteClipEmbedder({ endpoint: running.url, batchSize: 3 });
    const inputs: ImageInput[] = [
      new TextEncoder().encode('IMG:bird'),
      new Uint8Array([0xff, 0xd8, 0x00]), // corrupt
      `${imagesUrl}/cat.png`,
      'http://10.0.0.1/private.png', // refused by the server's SSRF policy
      file,
      join(dir, 'missing.png'),
      { data: new Uint8Array(12), width: 2, height: 2, channels: 3 },
      `${imagesUrl}/gone.png`,
    ];
    const out = await client.embedImages(inputs);
    expect(out).toHaveLength(inputs.length);
    expect(Array.from(out[0]!.embedding!)).toEqual(Array.from(vectorFor('bird')));
    expect(out[1]!.error?.code).toBe('decode');
    expect(Array.from(out[2]!.embedding!)).toEqual(Array.from(vectorFor('cat')));
    expect(out[3]!.error?.code).toBe('blocked');
    expect(Array.from(out[4]!.embedding!)).toEqual(Array.from(vectorFor('dog')));
    expect(out[5]!.error?.code).toBe('not-found');
    expect(out[6]!.error?.code).toBe('unsupported');
    expect(out[7]!.error?.code).toBe('fetch');
    expect(out.every((r) => r.error === undefined || r.error instanceof ClipError)).toBe(true);
  });

  it('refreshInfo reports the server embedder', async () => {
    const client = createRemoteClipEmbedder({ endpoint: `${running.url}/` });
    const info = await client.refreshInfo();
    expect(info).toMatchObject({ model: 'stub-clip', provider: 'remote:stub', dims: DIMS });
  });

  it('an unreachable server: embedTexts throws `remote`, embedImages gives per-item errors', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const client = createRemoteClipEmbedder({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    await expect(client.embedTexts(['x'])).rejects.toMatchObject({ code: 'remote' });
    const out = await client.embedImages([new Uint8Array([1]), new Uint8Array([2])]);
    expect(out.map((r) => r.error?.code)).toEqual(['remote', 'remote']);
  });

  it('times out: client deadline and server deadline', async () => {
    const slow = await startClipServer({ embedder: stubEmbedder(400), port: 0, requestTimeoutMs: 100 });
    try {
      // Server deadline: 504 → `timeout`.
      const c1 = createRemoteClipEmbedder({ endpoint: slow.url, timeoutMs: 5000 });
      await expect(c1.embedTexts(['x'])).rejects.toMatchObject({ code: 'timeout' });
      // Client deadline shorter than the server's work.
      const c2 = createRemoteClipEmbedder({ endpoint: slow.url, timeoutMs: 50 });
      const t0 = Date.now();
      await expect(c2.embedTexts(['x'])).rejects.toMatchObject({ code: 'timeout' });
      expect(Date.now() - t0).toBeLessThan(1000);
      const imgs = await c2.embedImages([new TextEncoder().encode('IMG:a')]);
      expect(imgs[0]!.error?.code).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  it('rejects invalid remote options naming the field', () => {
    expect(() => createRemoteClipEmbedder({ endpoint: 'ftp://x' })).toThrow(/endpoint/);
    expect(() => createRemoteClipEmbedder({ endpoint: 'http://127.0.0.1:1', timeoutMs: 0 })).toThrow(
      /timeoutMs/,
    );
  });

  it('reads CLIP_ENDPOINT and CLIP_TIMEOUT (seconds)', () => {
    expect(
      remoteClipOptionsFromEnv({ CLIP_ENDPOINT: 'http://clip:8095', CLIP_TIMEOUT: '2.5' }),
    ).toMatchObject({
      endpoint: 'http://clip:8095',
      timeoutMs: 2500,
    });
    expect(() => remoteClipOptionsFromEnv({})).toThrow(/CLIP_ENDPOINT/);
    expect(() => remoteClipOptionsFromEnv({ CLIP_ENDPOINT: 'http://x', CLIP_TIMEOUT: '-1' })).toThrow(
      /CLIP_TIMEOUT/,
    );
  });
});

describe('server validation (in-process requests)', () => {
  const { app, close } = createClipServer({
    embedder: stubEmbedder(),
    maxBatch: 2,
    maxBodyBytes: 2048,
    maxTextChars: 50,
  });
  afterAll(close);
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('healthz and info', async () => {
    expect(await (await app.request('/healthz')).json()).toEqual({ ok: true });
    expect(await (await app.request('/v1/info')).json()).toMatchObject({ model: 'stub-clip', dims: DIMS });
  });

  it.each([
    ['/v1/embed/image', { inputs: [{}] }, 'inputs.0'],
    ['/v1/embed/image', { inputs: [] }, 'inputs'],
    ['/v1/embed/image', { inputs: [{ base64: 'aGk=' }], encoding: 'hex' }, 'encoding'],
    ['/v1/embed/text', { texts: 'a cat' }, 'texts'],
    ['/v1/embed/text', { texts: [1] }, 'texts.0'],
    ['/v1/embed/text', {}, 'texts'],
  ])('400 naming the field: %s %j', async (path, body, field) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(error.code).toBe('invalid-input');
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('400 for malformed JSON, too many items, too long texts; 413 for big bodies; 404 otherwise', async () => {
    expect((await post('/v1/embed/text', '{"texts": [')).status).toBe(400);
    const many = await post('/v1/embed/text', { texts: ['a', 'b', 'c'] });
    expect(many.status).toBe(400);
    expect(((await many.json()) as { error: { message: string } }).error.message).toMatch(/at most 2/);
    const long = await post('/v1/embed/text', { texts: ['x'.repeat(51)] });
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(/texts\.0/);
    const big = await post('/v1/embed/image', { inputs: [{ base64: 'A'.repeat(4000) }] });
    expect(big.status).toBe(413);
    expect((await app.request('/v2/nothing')).status).toBe(404);
  });

  it('float encoding returns JSON numbers; base64 round-trips', async () => {
    const res = await post('/v1/embed/text', { texts: ['cat'], encoding: 'float' });
    const body = (await res.json()) as { encoding: string; data: { embedding: number[] }[] };
    expect(body.encoding).toBe('float');
    expect(body.data[0]!.embedding).toEqual(Array.from(vectorFor('cat')));
    const v = vectorFor('x');
    expect(Array.from(decodeEmbedding(encodeEmbedding(v, 'base64')))).toEqual(Array.from(v));
    expect(() => decodeEmbedding('AAA=')).toThrow(/not float32/);
  });
});
