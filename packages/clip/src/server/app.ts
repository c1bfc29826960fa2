// The CLIP embedding server: a Hono app over any ClipEmbedder. Items of concurrent requests are
// coalesced into model batches behind a bounded queue (./batcher); image URLs are fetched with the
// SSRF-safe fetcher; one bad item gives that item an error, never a failed request.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeZodIssues } from '@pmoves/internal';
import { z } from 'zod';
import { ClipError } from '../errors';
import { createImageFetcher, type ImageFetcher, type ImageFetchOptions } from '../fetch/fetch-image';
import type { ClipEmbedder, ClipInfo, ImageEmbeddingResult } from '../types';
import { bearerChecker } from './auth';
import { Admission, Batcher, QueueFullError } from './batcher';
import { asItemError, resolveBase64Item, resolveImageReference } from './image-source';
import { createServerMetrics, outcomeOf, type ServerMetrics } from './metrics';
import { EmbeddingsInputItemSchema, EmbeddingsRequestSchema } from './openai-wire';
import { ClipServerOptionsSchema, type ClipServerOptions } from './options';
import { EmbedImageRequestSchema, EmbedTextRequestSchema, encodeEmbedding, type WireError } from './wire';

/** A created server: the Hono app (mount it, or pass `app.fetch` to any adapter) and its lifecycle. */
export interface ClipServer {
  /** The Hono application. */
  app: Hono;
  /** The Prometheus metrics (served at `/metrics`). */
  metrics: ServerMetrics;
  /**
   * Stops admitting requests (they get 503 `shutting-down`, `/readyz` 503) and resolves `true` once
   * every accepted request is answered, or `false` when `timeoutMs` passes first.
   */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Close the image fetcher's connections (the embedder belongs to the caller). */
  close(): Promise<void>;
}

/** An answer that is not 200: status, wire error and extra headers. */
class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly wire: WireError,
    readonly headers: Record<string, string> = {},
  ) {
    super(wire.message);
  }
}

const STATUS: Record<string, ContentfulStatusCode> = {
  'invalid-input': 400,
  unsupported: 400,
  'too-large': 413,
  timeout: 504,
  model: 503,
};

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  return status < 500 ? 'invalid_request_error' : 'server_error';
}

function wireOf(err: unknown): WireError {
  if (err instanceof ClipError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

function badRequest(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join('.') : 'body';
  return new HttpError(400, {
    code: 'invalid-input',
    field,
    param: field,
    message: describeZodIssues(error.issues.slice(0, 1)).replace(/^\(root\)/, 'body'),
  });
}

// JSON bodies only: a form or text/plain post (what a web page can send cross-site without a
// preflight) is refused before the body is read.
function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || (type !== undefined && /^application\/[\w.+-]+\+json$/.test(type));
}

const ROUTES = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/v1/models',
  '/v1/info',
  '/v1/embeddings',
  '/v1/embed/image',
  '/v1/embed/text',
]);

/** One item of a request once its shape is known: a text, an image to resolve, or its error. */
type Work =
  | { kind: 'text'; text: string }
  | { kind: 'image'; bytes: (signal: AbortSignal) => Promise<Uint8Array> }
  | { kind: 'error'; error: ClipError };

type Outcome = { embedding: Float32Array } | { error: ClipError };

/**
 * Build the embedding server app: `POST /v1/embeddings` (OpenAI shape), `GET /v1/models`,
 * `POST /v1/embed/image`, `POST /v1/embed/text`, `GET /v1/info`, `GET /healthz`, `GET /readyz`,
 * `GET /metrics`.
 */
export function createClipServer(options: ClipServerOptions): ClipServer {
  const parsed = ClipServerOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new ClipError('invalid-input', describeZodIssues(parsed.error.issues, 'clip server option'));
  const o = parsed.data;
  const fetcher: ImageFetcher = createImageFetcher(o.fetchOptions as ImageFetchOptions);
  const metrics = createServerMetrics(o.processMetrics);
  const admission = new Admission(o.maxQueueItems, o.requestTimeoutMs, (d) => metrics.queueDepth.set(d));
  const checkToken = o.token ? bearerChecker(o.token) : undefined;
  const app = new Hono();

  // The embedder, possibly still loading.
  let embedder: ClipEmbedder | undefined;
  let loadError: unknown;
  let readySince = 0;
  void Promise.resolve(o.embedder).then(
    (e) => {
      embedder = e;
      readySince = Math.floor(Date.now() / 1000);
      const info = e.info();
      metrics.provider.set({ provider: info.provider, model: info.model, dtype: info.dtype }, 1);
    },
    (err: unknown) => (loadError = err),
  );
  const current = (): ClipEmbedder => {
    if (embedder) return embedder;
    if (loadError !== undefined)
      throw new HttpError(503, {
        code: 'model',
        message: `the model failed to load: ${wireOf(loadError).message}`,
      });
    throw new HttpError(
      503,
      { code: 'loading', message: 'the model is still loading' },
      { 'retry-after': '1' },
    );
  };
  // The local embedder reports `ORG/NAME (directory)`; the id is what clients name.
  const modelId = (info: ClipInfo) => o.modelName ?? info.model.replace(/ \([^()]*\)$/, '');

  /** A batcher for one modality, feeding the throughput meter and the metrics. */
  const batcher = <I, O>(modality: 'image' | 'text', run: (items: I[]) => Promise<O[]>) =>
    new Batcher<I, O>({
      maxBatch: o.modelBatch,
      maxWaitMs: o.batchWaitMs,
      maxInFlight: o.batchConcurrency,
      run,
      onBatch: (n, ms) => {
        admission.completed(n);
        metrics.batchSize.observe({ modality }, n);
        metrics.batchSeconds.observe({ modality }, ms / 1000);
      },
      onWaiting: (n) => metrics.waiting.set({ modality }, n),
    });
  const images = batcher<Uint8Array, ImageEmbeddingResult>('image', (items) => current().embedImages(items));
  const texts = batcher<string, Float32Array>('text', (items) => current().embedTexts(items));

  let active = 0;
  let draining = false;
  let pendingBodyBytes = 0;

  const answerError = (c: Context, err: HttpError) => {
    metrics.errors.inc({ code: err.wire.code });
    const wire = { ...err.wire, type: errorType(err.status), param: err.wire.field ?? null };
    return c.json({ error: wire }, err.status, err.headers);
  };
  const toHttpError = (err: unknown): HttpError => {
    if (err instanceof HttpError) return err;
    if (err instanceof z.ZodError) return badRequest(err);
    if (err instanceof QueueFullError)
      return new HttpError(
        429,
        { code: 'overloaded', message: err.message },
        { 'retry-after': String(err.retryAfterSeconds) },
      );
    const wire = wireOf(err);
    return new HttpError(STATUS[wire.code] ?? 500, wire);
  };

  // Outermost: request accounting (drain waits for `active`), latency and outcome metrics.
  app.use('*', async (c, next) => {
    active++;
    const route = ROUTES.has(c.req.path) ? c.req.path : 'other';
    const end = metrics.requestSeconds.startTimer({ route });
    try {
      await next();
    } finally {
      active--;
      end();
      // A client that went away got no answer: counted as cancelled whatever was computed.
      const status = c.req.raw.signal.aborted ? 499 : c.res.status;
      metrics.requests.inc({ route, outcome: outcomeOf(status) });
    }
  });

  app.onError((err, c) => answerError(c, toHttpError(err)));

  app.get('/healthz', (c) => c.json({ ok: true }));

  // Every other route: authentication, then refusal while shutting down.
  app.use('*', async (c, next) => {
    if (checkToken && !checkToken(c.req.header('authorization'))) {
      return answerError(
        c,
        new HttpError(
          401,
          { code: 'unauthorized', message: 'missing or wrong bearer token (Authorization: Bearer <token>)' },
          { 'www-authenticate': 'Bearer' },
        ),
      );
    }
    if (draining && c.req.path !== '/readyz') {
      return answerError(
        c,
        new HttpError(
          503,
          { code: 'shutting-down', message: 'the server is shutting down' },
          { connection: 'close', 'retry-after': '1' },
        ),
      );
    }
    await next();
  });

  const jsonOnly: MiddlewareHandler = async (c, next) => {
    if (!isJson(c.req.header('content-type'))) {
      return answerError(
        c,
        new HttpError(415, {
          code: 'unsupported-media-type',
          message: `Content-Type must be application/json (got ${JSON.stringify(c.req.header('content-type') ?? '')})`,
        }),
      );
    }
    await next();
  };
  const limit = bodyLimit({
    maxSize: o.maxBodyBytes,
    onError: (c) =>
      answerError(
        c,
        new HttpError(413, { code: 'too-large', message: `body exceeds ${o.maxBodyBytes} bytes` }),
      ),
  });
  for (const path of ['/v1/embeddings', '/v1/embed/image', '/v1/embed/text']) app.post(path, jsonOnly, limit);

  /** Reads the JSON body, refusing before reading when the queue or the bodies being read are full. */
  async function readJson(c: Context): Promise<unknown> {
    if (admission.saturated) throw new QueueFullError(admission.retryAfter(1), 'the queue is full');
    const declared = Number(c.req.header('content-length'));
    const size = Number.isFinite(declared) && declared > 0 ? declared : o.maxBodyBytes;
    if (pendingBodyBytes > 0 && pendingBodyBytes + size > o.maxPendingBodyBytes)
      throw new QueueFullError(admission.retryAfter(1), 'too many request bodies are being read');
    pendingBodyBytes += size;
    try {
      return await c.req.json();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, { code: 'invalid-input', field: 'body', message: 'body: not valid JSON' });
    } finally {
      pendingBodyBytes -= size;
    }
  }

  function checkCount(n: number, field: string): void {
    if (n > o.maxBatch)
      throw new HttpError(400, {
        code: 'invalid-input',
        field,
        message: `${field}: at most ${o.maxBatch} items per request (got ${n})`,
      });
  }

  function textWork(text: string, field: string): Work {
    if (text.length === 0)
      return { kind: 'error', error: new ClipError('invalid-input', `${field}: empty text`) };
    if (text.length > o.maxTextChars)
      return {
        kind: 'error',
        error: new ClipError('invalid-input', `${field}: longer than ${o.maxTextChars} characters`),
      };
    return { kind: 'text', text };
  }

  const imageRefWork = (ref: string): Work => ({
    kind: 'image',
    bytes: (signal) => resolveImageReference(ref, fetcher, signal),
  });

  /**
   * Embeds every item under the request's deadline and the client's connection: admitted into
   * the bounded queue as a whole (or refused with 429), each item coalesced with other requests'.
   */
  async function run(c: Context, route: string, work: Work[]): Promise<Outcome[]> {
    current(); // 503 while the model loads, before anything is admitted
    const count = work.filter((w) => w.kind !== 'error').length;
    const deadline = AbortSignal.timeout(o.requestTimeoutMs);
    const signal = AbortSignal.any([c.req.raw.signal, deadline]);
    admission.acquire(count);
    try {
      const outcomes = await Promise.all(
        work.map(async (w): Promise<Outcome> => {
          if (w.kind === 'error') return { error: w.error };
          if (w.kind === 'text') {
            try {
              const [v] = await texts.submit([w.text], signal);
              return { embedding: v! };
            } catch (err) {
              if (signal.aborted) throw err;
              return { error: asItemError(err) };
            }
          }
          let bytes: Uint8Array;
          try {
            bytes = await w.bytes(signal);
          } catch (err) {
            if (signal.aborted) throw err;
            return { error: asItemError(err) };
          }
          try {
            const [r] = await images.submit([bytes], signal);
            return r!.error ? { error: r!.error } : { embedding: r!.embedding };
          } catch (err) {
            if (signal.aborted) throw err;
            return { error: err instanceof ClipError ? err : new ClipError('model', wireOf(err).message) };
          }
        }),
      );
      for (const out of outcomes) {
        const ok = 'embedding' in out;
        metrics.items.inc({ route, outcome: ok ? 'ok' : 'error' });
        if (!ok) metrics.errors.inc({ code: out.error.code });
      }
      return outcomes;
    } catch (err) {
      if (deadline.aborted)
        throw new HttpError(504, { code: 'timeout', message: `request exceeded ${o.requestTimeoutMs} ms` });
      if (c.req.raw.signal.aborted)
        throw new HttpError(503, { code: 'cancelled', message: 'the client closed the connection' });
      throw err;
    } finally {
      admission.release(count);
    }
  }

  app.get('/readyz', (c) => {
    const reason = draining
      ? 'shutting down'
      : loadError !== undefined
        ? `the model failed to load: ${wireOf(loadError).message}`
        : !embedder
          ? 'the model is loading'
          : admission.saturated
            ? 'the queue is saturated'
            : undefined;
    const body = {
      ready: reason === undefined,
      queue: admission.depth,
      capacity: admission.capacity,
      itemsPerSecond: Number(admission.throughput.toFixed(2)),
    };
    return reason === undefined ? c.json(body) : c.json({ ...body, reason }, 503);
  });

  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );

  app.get('/v1/info', (c) => c.json(current().info()));

  app.get('/v1/models', (c) => {
    const info = current().info();
    return c.json({
      object: 'list',
      data: [
        {
          id: modelId(info),
          object: 'model',
          created: readySince,
          owned_by: 'pmoves',
          dimensions: info.dims,
          modalities: ['text', 'image'],
          provider: info.provider,
          dtype: info.dtype,
        },
      ],
    });
  });

  app.post('/v1/embeddings', async (c) => {
    const body = EmbeddingsRequestSchema.parse(await readJson(c));
    const info = current().info();
    const served = modelId(info);
    if (body.model !== undefined && body.model !== served)
      throw new HttpError(404, {
        code: 'model-not-found',
        field: 'model',
        message: `model ${JSON.stringify(body.model)} is not served here; this server serves ${JSON.stringify(served)}`,
      });
    if (body.dimensions && body.dimensions !== info.dims)
      throw new HttpError(400, {
        code: 'invalid-input',
        field: 'dimensions',
        message: `dimensions: this model has ${info.dims} dimensions (got ${body.dimensions}); vectors are not truncated`,
      });
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    checkCount(inputs.length, 'input');
    const work = inputs.map((item, i): Work => {
      const field = `input.${i}`;
      if (typeof item === 'string')
        return body.modality === 'image' ? imageRefWork(item) : textWork(item, field);
      const shaped = EmbeddingsInputItemSchema.safeParse(item);
      if (!shaped.success) {
        const why = Array.isArray(item)
          ? 'token arrays are not supported; send the text'
          : 'must be a string, { text } or { image }';
        return { kind: 'error', error: new ClipError('invalid-input', `${field}: ${why}`) };
      }
      return 'text' in shaped.data
        ? textWork(shaped.data.text, `${field}.text`)
        : imageRefWork(shaped.data.image);
    });
    const outcomes = await run(c, '/v1/embeddings', work);
    return c.json({
      object: 'list',
      data: outcomes.map((out, index) =>
        'embedding' in out
          ? { object: 'embedding', index, embedding: encodeEmbedding(out.embedding, body.encoding_format) }
          : { object: 'embedding', index, error: wireOf(out.error) },
      ),
      model: served,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  app.post('/v1/embed/image', async (c) => {
    const body = EmbedImageRequestSchema.parse(await readJson(c));
    checkCount(body.inputs.length, 'inputs');
    const work = body.inputs.map((item): Work => {
      if ('url' in item) return imageRefWork(item.url);
      try {
        const bytes = resolveBase64Item(item.base64);
        return { kind: 'image', bytes: async () => bytes };
      } catch (err) {
        return { kind: 'error', error: asItemError(err) };
      }
    });
    const outcomes = await run(c, '/v1/embed/image', work);
    const info = current().info();
    return c.json({
      model: modelId(info),
      dims: info.dims,
      encoding: body.encoding,
      data: outcomes.map((out, index) =>
        'embedding' in out
          ? { index, embedding: encodeEmbedding(out.embedding, body.encoding) }
          : { index, error: wireOf(out.error) },
      ),
    });
  });

  app.post('/v1/embed/text', async (c) => {
    const body = EmbedTextRequestSchema.parse(await readJson(c));
    checkCount(body.texts.length, 'texts');
    const long = body.texts.findIndex((t) => t.length > o.maxTextChars);
    if (long >= 0)
      throw new HttpError(400, {
        code: 'invalid-input',
        field: `texts.${long}`,
        message: `texts.${long}: longer than ${o.maxTextChars} characters`,
      });
    const outcomes = await run(
      c,
      '/v1/embed/text',
      body.texts.map((text) => ({ kind: 'text', text })),
    );
    const failed = outcomes.find((out) => 'error' in out);
    if (failed && 'error' in failed) throw failed.error;
    const info = current().info();
    return c.json({
      model: modelId(info),
      dims: info.dims,
      encoding: body.encoding,
      data: outcomes.map((out, index) => ({
        index,
        embedding: encodeEmbedding((out as { embedding: Float32Array }).embedding, body.encoding),
      })),
    });
  });

  app.notFound((c) =>
    answerError(
      c,
      new HttpError(404, { code: 'not-found', message: `no route ${c.req.method} ${c.req.path}` }),
    ),
  );

  return {
    app,
    metrics,
    async drain(timeoutMs = 30_000) {
      draining = true;
      const until = Date.now() + timeoutMs;
      while (active > 0 || images.running > 0 || texts.running > 0) {
        if (Date.now() >= until) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
    close: () => fetcher.close(),
  };
}
