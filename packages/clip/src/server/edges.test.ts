// Issue #17 item 10: the server's edges (content types, data URIs, base64, per-item URL errors).
import { afterAll, describe, expect, it } from 'vitest';
import { stubEmbedder, stubImage, vectorFor } from '../../test/stub-embedder';
import { createClipServer, decodeEmbedding } from '.';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const dataUri = (label: string) => `data:image/png;base64,${b64(stubImage(label))}`;

describe('server edges (issue #17 item 10)', () => {
  const { app, close } = createClipServer({ embedder: stubEmbedder() });
  afterAll(close);
  const post = (path: string, body: unknown, contentType = 'application/json') =>
    app.request(path, {
      method: 'POST',
      headers: contentType ? { 'content-type': contentType } : {},
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  type ImageAnswer = { data: { index: number; embedding?: string; error?: { code: string } }[] };

  it.each([
    ['text/plain', '/v1/embed/text', { texts: ['a'] }],
    ['application/x-www-form-urlencoded', '/v1/embed/text', { texts: ['a'] }],
    ['multipart/form-data; boundary=x', '/v1/embed/image', { inputs: [{ base64: b64(stubImage('a')) }] }],
    ['', '/v1/embed/text', { texts: ['a'] }],
  ])('415 for content type %j', async (type, path, body) => {
    const res = await post(path, body, type);
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unsupported-media-type');
  });

  it('accepts application/json with a charset', async () => {
    const res = await post('/v1/embed/text', { texts: ['a'] }, 'application/json; charset=utf-8');
    expect(res.status).toBe(200);
  });

  it('data URIs are accepted in both base64 and url items', async () => {
    const res = await post('/v1/embed/image', {
      inputs: [{ url: dataUri('cat') }, { base64: dataUri('dog') }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImageAnswer;
    expect(Array.from(decodeEmbedding(body.data[0]!.embedding!))).toEqual(Array.from(vectorFor('cat')));
    expect(Array.from(decodeEmbedding(body.data[1]!.embedding!))).toEqual(Array.from(vectorFor('dog')));
  });

  it("invalid base64 is that item's invalid-input; the others are embedded", async () => {
    const res = await post('/v1/embed/image', {
      inputs: [
        { base64: '!!!!' },
        { base64: `${b64(stubImage('cat'))}!!` },
        { base64: b64(stubImage('ok')) },
        { url: 'data:image/png;base64,@@@@' },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImageAnswer;
    expect(body.data.map((d) => d.error?.code)).toEqual([
      'invalid-input',
      'invalid-input',
      undefined,
      'invalid-input',
    ]);
  });

  it('one bad url item is a per-item error, not a 400', async () => {
    const res = await post('/v1/embed/image', {
      inputs: [
        { base64: b64(stubImage('cat')) },
        { url: 'file:///etc/passwd' },
        { url: 'not a url' },
        { url: 'ftp://example.com/a.png' },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ImageAnswer;
    expect(body.data[0]!.embedding).toBeDefined();
    expect(body.data.slice(1).map((d) => d.error?.code)).toEqual([
      'invalid-input',
      'invalid-input',
      'invalid-input',
    ]);
  });
});
