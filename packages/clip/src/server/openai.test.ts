// POST /v1/embeddings and GET /v1/models driven through the official OpenAI Node client (the same
// wire as the Python client PMOVES uses), plus the raw shapes: Infinity's `modality: "image"`,
// Jina-style `{ image }` / `{ text }` items and the per-item `error` extension.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageHost, STUB_DIMS, stubEmbedder, stubImage, vectorFor } from '../../test/stub-embedder';
import {
  decodeEmbedding,
  EmbeddingsResponseSchema,
  ModelsResponseSchema,
  startClipServer,
  type RunningClipServer,
} from '.';

let server: RunningClipServer;
let images: Awaited<ReturnType<typeof imageHost>>;
let imagesUrl: string;
const dataUri = (label: string) =>
  `data:image/jpeg;base64,${Buffer.from(stubImage(label)).toString('base64')}`;

beforeAll(async () => {
  images = await imageHost({ '/cat.jpg': { label: 'cat', type: 'image/jpeg' } });
  imagesUrl = images.url;
  server = await startClipServer({
    embedder: stubEmbedder(),
    port: 0,
    modelName: 'Xenova/clip-vit-base-patch32',
    fetchOptions: { allowedHosts: ['127.0.0.1'] },
  });
});
afterAll(async () => {
  await server.close();
  await images.close();
});

const post = (body: unknown) =>
  fetch(`${server.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('OpenAI client', () => {
  const client = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  it('embeddings.create with a string and a string array (default base64 decoding, and float)', async () => {
    const one = await client().embeddings.create({ model: 'Xenova/clip-vit-base-patch32', input: 'a cat' });
    expect(one.object).toBe('list');
    expect(one.model).toBe('Xenova/clip-vit-base-patch32');
    expect(Array.from(one.data[0]!.embedding)).toEqual(Array.from(vectorFor('a cat')));
    const many = await client().embeddings.create({
      model: 'Xenova/clip-vit-base-patch32',
      input: ['a cat', 'a dog'],
      encoding_format: 'float',
    });
    expect(many.data.map((d) => d.index)).toEqual([0, 1]);
    expect(many.data[1]!.embedding).toEqual(Array.from(vectorFor('a dog')));
    expect(many.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });

  it('images through extra body fields (Infinity modality) and { image } items', async () => {
    const res = await client().embeddings.create({
      model: 'Xenova/clip-vit-base-patch32',
      input: [dataUri('bird'), `${imagesUrl}/cat.jpg`],
      encoding_format: 'float',
      // @ts-expect-error -- Infinity's extension field, sent as is
      modality: 'image',
    });
    expect(res.data[0]!.embedding).toEqual(Array.from(vectorFor('bird')));
    expect(res.data[1]!.embedding).toEqual(Array.from(vectorFor('cat')));
  });

  it('models.list names the served model and its dimensions', async () => {
    const page = await client().models.list();
    const [m] = page.data;
    expect(m).toMatchObject({ id: 'Xenova/clip-vit-base-patch32', object: 'model', owned_by: 'pmoves' });
    expect((m as unknown as { dimensions: number }).dimensions).toBe(STUB_DIMS);
  });

  it('a wrong model is a 404 the client raises as NotFoundError with the message', async () => {
    await expect(
      client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'model-not-found',
      message: expect.stringMatching(/not served here/),
    });
  });
});

describe('raw /v1/embeddings', () => {
  it('mixes { text } and { image } items; one bad item is its entry error, the rest embedded', async () => {
    const res = await post({
      input: [
        { text: 'a cat' },
        { image: dataUri('dog') },
        { image: 'file:///etc/passwd' },
        { image: 'data:image/png;base64,!!!!' },
        { image: 'http://10.0.0.1/private.jpg' },
        { image: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}` },
        [1, 2, 3],
        { txt: 'typo' },
        '',
        'plain string',
      ],
      encoding_format: 'base64',
    });
    expect(res.status).toBe(200);
    const body = EmbeddingsResponseSchema.parse(await res.json());
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(decodeEmbedding(body.data[0]!.embedding!))).toEqual(Array.from(vectorFor('a cat')));
    expect(Array.from(decodeEmbedding(body.data[1]!.embedding!))).toEqual(Array.from(vectorFor('dog')));
    expect(body.data.map((d) => d.error?.code)).toEqual([
      undefined,
      undefined,
      'invalid-input',
      'invalid-input',
      'blocked',
      'decode',
      'invalid-input',
      'invalid-input',
      'invalid-input',
      undefined,
    ]);
    for (const d of body.data) expect(d.embedding === undefined).toBe(d.error !== undefined);
    expect(body.data[6]!.error!.message).toMatch(/token arrays/);
  });

  it('whole-request errors are OpenAI-shaped: 400 naming the field, 415 for other content types', async () => {
    const bad = await post({ input: [], model: 'Xenova/clip-vit-base-patch32' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: object }).error).toMatchObject({
      code: 'invalid-input',
      type: 'invalid_request_error',
      param: 'input',
    });
    const dims = await post({ input: 'x', dimensions: 3 });
    expect(dims.status).toBe(400);
    expect(await post({ input: 'x', dimensions: 0 }).then((r) => r.status)).toBe(200);
    const form = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'input=x',
    });
    expect(form.status).toBe(415);
    const many = await post({ input: Array.from({ length: 65 }, () => 'x') });
    expect(many.status).toBe(400);
  });

  it('GET /v1/models matches the exported schema', async () => {
    const res = await fetch(`${server.url}/v1/models`);
    expect(ModelsResponseSchema.parse(await res.json()).data[0]!.id).toBe('Xenova/clip-vit-base-patch32');
  });
});
