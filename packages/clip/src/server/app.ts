// The CLIP embedding server: a Hono app over any ClipEmbedder. Image URLs are fetched with the
// SSRF-safe fetcher; one bad item gives that item an error, never a failed request.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ClipError } from '../errors';
import { createImageFetcher, type ImageFetcher, type ImageFetchOptions } from '../fetch/fetch-image';
import type { ClipEmbedder, ImageEmbeddingResult } from '../types';
import { EmbedImageRequestSchema, EmbedTextRequestSchema, encodeEmbedding, type WireError } from './wire';

/** Options of {@link createClipServer} (validated with zod). */
export const ClipServerOptionsSchema = z.object({
  /** The embedder that does the work (local or anything implementing `ClipEmbedder`). */
  embedder: z.custom<ClipEmbedder>(
    (v) => typeof v === 'object' && v !== null && 'embedImages' in v && 'embedTexts' in v,
    { message: 'embedder must implement ClipEmbedder' },
  ),
  /** Image fetch policy and limits for `{url}` inputs. */
  fetchOptions: z.record(z.string(), z.unknown()).default({}),
  /** Largest number of inputs or texts per request. */
  maxBatch: z.number().int().positive().default(64),
  /** Largest request body, bytes. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** Per-request deadline, ms (fetching and embedding). */
  requestTimeoutMs: z.number().int().positive().default(60_000),
  /** Longest text accepted, characters (the tokenizer truncates to the model's context anyway). */
  maxTextChars: z.number().int().positive().default(10_000),
});

/** Options accepted by {@link createClipServer}. */
export type ClipServerOptions = z.input<typeof ClipServerOptionsSchema> & {
  fetchOptions?: ImageFetchOptions;
};

/** A created server: the Hono app (mount it, or pass `app.fetch` to any adapter) and its cleanup. */
export interface ClipServer {
  /** The Hono application. */
  app: Hono;
  /** Close the image fetcher's connections (the embedder belongs to the caller). */
  close(): Promise<void>;
}

function zodField(error: z.ZodError): WireError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : 'body';
  return { code: 'invalid-input', field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}

function toWireError(err: unknown): WireError {
  if (err instanceof ClipError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

const STATUS: Record<string, ContentfulStatusCode> = {
  'invalid-input': 400,
  'too-large': 413,
  timeout: 504,
};

/** Build the embedding server app (`POST /v1/embed/image`, `POST /v1/embed/text`, `GET /v1/info`, `GET /healthz`). */
export function createClipServer(options: ClipServerOptions): ClipServer {
  const parsed = ClipServerOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new ClipError('invalid-input', `clip server option ${zodField(parsed.error).message}`);
  const o = parsed.data;
  const fetcher: ImageFetcher = createImageFetcher(o.fetchOptions as ImageFetchOptions);
  const app = new Hono();

  const fail = (c: Context, error: WireError, status: ContentfulStatusCode) => c.json({ error }, status);

  async function readJson(c: Context): Promise<unknown> {
    try {
      return await c.req.json();
    } catch {
      throw new ClipError('invalid-input', 'body: not valid JSON');
    }
  }

  /** Run a handler under the request deadline; the signal reaches fetches and the embedder. */
  async function withDeadline<T>(c: Context, work: (signal: AbortSignal) => Promise<T>): Promise<Response> {
    const signal = AbortSignal.timeout(o.requestTimeoutMs);
    try {
      const result = await Promise.race([
        work(signal),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () =>
            reject(new ClipError('timeout', `request exceeded ${o.requestTimeoutMs} ms`)),
          ),
        ),
      ]);
      return c.json(result as object);
    } catch (err) {
      const wire = err instanceof z.ZodError ? zodField(err) : toWireError(err);
      return fail(c, wire, STATUS[wire.code] ?? 500);
    }
  }

  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: o.maxBodyBytes,
      onError: (c) => fail(c, { code: 'too-large', message: `body exceeds ${o.maxBodyBytes} bytes` }, 413),
    }),
  );

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/v1/info', (c) => c.json(o.embedder.info()));

  app.post('/v1/embed/image', (c) =>
    withDeadline(c, async (signal) => {
      const body = EmbedImageRequestSchema.parse(await readJson(c));
      if (body.inputs.length > o.maxBatch) {
        throw new ClipError(
          'invalid-input',
          `inputs: at most ${o.maxBatch} per request (got ${body.inputs.length})`,
        );
      }
      // Resolve every input to bytes; a failure is that item's error only.
      const resolved = await Promise.all(
        body.inputs.map(async (item): Promise<Uint8Array | ClipError> => {
          try {
            if ('url' in item) return (await fetcher.fetch(item.url, { signal })).bytes;
            const bytes = Buffer.from(item.base64, 'base64');
            if (bytes.length === 0) return new ClipError('invalid-input', 'base64 decodes to no bytes');
            return new Uint8Array(bytes);
          } catch (err) {
            return err instanceof ClipError ? err : new ClipError('fetch', String(err));
          }
        }),
      );
      const ok = resolved
        .map((r, i) => [r, i] as const)
        .filter((e): e is [Uint8Array, number] => !(e[0] instanceof ClipError));
      const embedded: ImageEmbeddingResult[] = ok.length
        ? await o.embedder.embedImages(
            ok.map(([bytes]) => bytes),
            { signal },
          )
        : [];
      const byIndex = new Map(ok.map(([, index], j) => [index, embedded[j]]));
      const info = o.embedder.info();
      return {
        model: info.model,
        dims: info.dims,
        encoding: body.encoding,
        data: resolved.map((r, index) => {
          if (r instanceof ClipError) return { index, error: toWireError(r) };
          const e = byIndex.get(index);
          if (!e) return { index, error: { code: 'internal', message: 'embedder returned no result' } };
          if (e.error) return { index, error: toWireError(e.error) };
          return { index, embedding: encodeEmbedding(e.embedding, body.encoding) };
        }),
      };
    }),
  );

  app.post('/v1/embed/text', (c) =>
    withDeadline(c, async (signal) => {
      const body = EmbedTextRequestSchema.parse(await readJson(c));
      if (body.texts.length > o.maxBatch) {
        throw new ClipError(
          'invalid-input',
          `texts: at most ${o.maxBatch} per request (got ${body.texts.length})`,
        );
      }
      const long = body.texts.findIndex((t) => t.length > o.maxTextChars);
      if (long >= 0)
        throw new ClipError('invalid-input', `texts.${long}: longer than ${o.maxTextChars} characters`);
      const vectors = await o.embedder.embedTexts(body.texts, { signal });
      const info = o.embedder.info();
      return {
        model: info.model,
        dims: info.dims,
        encoding: body.encoding,
        data: vectors.map((v, index) => ({ index, embedding: encodeEmbedding(v, body.encoding) })),
      };
    }),
  );

  app.notFound((c) => fail(c, { code: 'not-found', message: `no route ${c.req.method} ${c.req.path}` }, 404));

  return { app, close: () => fetcher.close() };
}
