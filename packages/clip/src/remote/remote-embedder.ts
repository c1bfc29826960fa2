// A ClipEmbedder over one or more embedding servers' `POST /v1/embeddings`. Each call has a
// budget (`timeoutMs`); within it, 429/503/5xx answers, network errors and attempt timeouts are
// retried (cockatiel) on the next server that is up, honouring Retry-After, and a Retry-After that
// does not fit the budget fails at once. Answers are checked: the model and the vector length
// must be what the caller expects. Image failures are per item, never a thrown batch.
import { readFile } from 'node:fs/promises';
import { DelegateBackoff, handleWhen, retry } from 'cockatiel';
import { z } from 'zod';
import { ClipError, type ClipErrorCode } from '../errors';
import { EmbeddingsResponseSchema, ModelsResponseSchema } from '../server/openai-wire';
import { decodeEmbedding, WireErrorSchema } from '../server/wire';
import type { ClipEmbedder, ClipInfo, ImageEmbeddingResult, ImageInput } from '../types';
import { EndpointPool, parseRetryAfter, type Endpoint } from './endpoints';
import { RemoteClipOptionsSchema, type RemoteClipOptions } from './options';

/** A remote embedder; `refreshInfo()` asks a server what it runs (info() reports the last answer). */
export interface RemoteClipEmbedder extends ClipEmbedder {
  /** Fetch `GET /v1/info` from a server that is up, check it against the expectations, remember it. */
  refreshInfo(options?: { signal?: AbortSignal }): Promise<ClipInfo>;
}

const KNOWN_CODES = new Set<ClipErrorCode>([
  'decode',
  'too-large',
  'unsupported',
  'not-found',
  'fetch',
  'blocked',
  'timeout',
  'model',
  'device',
  'invalid-input',
  'config',
  'remote',
]);

function wireToClipError(e: { code: string; message: string }): ClipError {
  const code = KNOWN_CODES.has(e.code as ClipErrorCode) ? (e.code as ClipErrorCode) : 'remote';
  return new ClipError(code, e.message);
}

/**
 * A failed attempt that may succeed on a retry (another server, or the same one later). Not a
 * ClipError subclass: `instanceof ClipError` checks a brand, which a subclass would share.
 */
class Retryable extends Error {
  constructor(
    readonly code: ClipErrorCode,
    message: string,
    readonly endpoint: Endpoint,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const isRaw = (v: ImageInput): v is Exclude<ImageInput, string | Uint8Array> =>
  typeof v === 'object' && !(v instanceof Uint8Array);

/** The media type of common image bytes, for the data URI (the server decodes by content anyway). */
function sniff(b: Uint8Array): string {
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'image/gif';
  if (b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'image/webp';
  return 'application/octet-stream';
}

const toDataUri = (b: Uint8Array) =>
  `data:${sniff(b)};base64,${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')}`;

/** Runs `fn` over `items` with at most `limit` in flight, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Create a {@link ClipEmbedder} that calls one or more remote embedding servers. */
export function createRemoteClipEmbedder(options: RemoteClipOptions): RemoteClipEmbedder {
  const parsed = RemoteClipOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClipError('invalid-input', `remote clip option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const o = parsed.data;
  const bases = (Array.isArray(o.endpoint) ? o.endpoint : [o.endpoint]).map((u) => u.replace(/\/+$/, ''));
  const pool = new EndpointPool(bases, o.cooldownMs);
  const concurrency = o.concurrency ?? bases.length;
  const doFetch = o.fetch ?? fetch;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    ...o.headers,
  };
  let disposed = false;
  // The model and dimensions seen first; every later answer, from any server, must agree.
  let seenModel: { model: string; from: string } | undefined;
  let seenDims: { dims: number; from: string } | undefined;
  let info: ClipInfo = {
    model: o.expectedModel ?? bases.join(','),
    files: {},
    requestedDevice: 'auto',
    provider: 'remote',
    attempts: [],
    dtype: 'fp32',
    dims: o.expectedDims ?? 0,
    preprocessing: 'fast',
    loadMs: 0,
  };

  function checkModel(model: string, from: string): void {
    if (o.expectedModel !== undefined && model !== o.expectedModel)
      throw new ClipError(
        'model',
        `${from} serves model ${JSON.stringify(model)}, but ${JSON.stringify(o.expectedModel)} is expected (CLIP_MODEL)`,
      );
    if (seenModel && seenModel.model !== model)
      throw new ClipError(
        'model',
        `${from} serves model ${JSON.stringify(model)} but ${seenModel.from} serves ${JSON.stringify(seenModel.model)}: the servers in CLIP_ENDPOINT must serve one model`,
      );
    seenModel ??= { model, from };
  }

  function checkDims(dims: number, from: string): void {
    const want = o.expectedDims ?? seenDims?.dims;
    if (want !== undefined && dims !== want) {
      const why = o.expectedDims !== undefined ? 'expected by the caller' : `what ${seenDims!.from} returned`;
      throw new ClipError('model', `${from} returned ${dims}-dimensional embeddings; ${want} are ${why}`);
    }
    seenDims ??= { dims, from };
    info = { ...info, dims };
  }

  /**
   * One HTTP exchange with the next server that is up, retried within the call's budget. Returns
   * the parsed JSON and the server that answered.
   */
  async function call(
    path: string,
    init: { method: 'GET' | 'POST'; body?: unknown },
    signal?: AbortSignal,
  ): Promise<{ json: unknown; from: string }> {
    if (disposed) throw new ClipError('invalid-input', 'remote embedder was disposed');
    signal?.throwIfAborted();
    const startedAt = Date.now();
    const left = () => o.timeoutMs - (Date.now() - startedAt);
    const budget = AbortSignal.timeout(o.timeoutMs);
    const callSignal = signal ? AbortSignal.any([signal, budget]) : budget;
    let last: Retryable | undefined;
    const policy = retry(
      handleWhen((err) => {
        if (!(err instanceof Retryable) || callSignal.aborted) return false;
        last = err;
        // Retry only when a server is up soon enough to leave time for the attempt itself.
        return pool.msUntilAvailable() + 50 < left();
      }),
      { maxAttempts: o.retries, backoff: new DelegateBackoff(() => pool.msUntilAvailable()) },
    );

    const attempt = async (): Promise<{ json: unknown; from: string }> => {
      const ep = pool.pick();
      const url = `${ep.base}${path}`;
      const attemptMs = Math.max(1, Math.min(left(), o.attemptTimeoutMs ?? Infinity));
      const attemptDeadline = AbortSignal.timeout(attemptMs);
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method: init.method,
          headers: init.body ? { ...headers, 'content-type': 'application/json' } : headers,
          ...(init.body ? { body: JSON.stringify(init.body) } : {}),
          signal: AbortSignal.any([callSignal, attemptDeadline]),
        });
        text = await res.text();
      } catch (err) {
        if (signal?.aborted) throw new ClipError('remote', `${url}: cancelled`, { cause: err });
        pool.failed(ep);
        if (budget.aborted || attemptDeadline.aborted)
          throw new Retryable('timeout', `${url} did not answer within ${attemptMs} ms`, ep, { cause: err });
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new Retryable('remote', `${url} unreachable: ${why}`, ep, { cause: err });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // A proxy's HTML error page on a 5xx is still a retryable 5xx.
        if (res.status >= 500) {
          pool.failed(ep);
          throw new Retryable('remote', `${url} answered HTTP ${res.status}`, ep);
        }
        throw new ClipError('remote', `${url} answered HTTP ${res.status} with malformed JSON`);
      }
      if (res.ok) {
        pool.succeeded(ep);
        return { json, from: ep.base };
      }
      const e = WireErrorSchema.safeParse((json as { error?: unknown })?.error);
      const why = e.success ? `${e.data.code}: ${e.data.message}` : 'no error detail';
      const message = `${url} answered HTTP ${res.status} (${why})`;
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      if (res.status === 429 || (res.status === 503 && retryAfter !== undefined)) {
        // Busy, not broken: skip it for as long as it asked (1 s when it did not say).
        pool.busy(ep, retryAfter ?? 1000);
        throw new Retryable('remote', message, ep);
      }
      if (res.status >= 500) {
        pool.failed(ep);
        throw new Retryable(res.status === 504 ? 'timeout' : 'remote', message, ep);
      }
      if (e.success && e.data.code === 'model-not-found') throw new ClipError('model', message);
      if (res.status === 401)
        throw new ClipError('remote', `${message}; set CLIP_SERVER_TOKEN to the server's token`);
      throw new ClipError(e.success ? wireToClipError(e.data).code : 'remote', message);
    };

    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        policy.execute(attempt),
        // cockatiel's backoff sleep does not listen to signals: the caller's abort ends the wait.
        new Promise<never>((_, reject) => {
          onAbort = () => reject(callSignal.reason);
          callSignal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } catch (err) {
      if (err instanceof Retryable) {
        const waited = pool.msUntilAvailable();
        const hint =
          waited > 0 && waited + 50 >= left()
            ? `; no server is available for ${Math.ceil(waited / 1000)} s, beyond the ${Math.max(0, Math.floor(left() / 1000))} s left of the ${o.timeoutMs / 1000} s budget (CLIP_TIMEOUT)`
            : '';
        throw new ClipError(err.code, `${err.message}${hint}`, { cause: err });
      }
      if (err instanceof ClipError) throw err;
      if (signal?.aborted) throw new ClipError('remote', `${path}: cancelled`, { cause: err });
      if (budget.aborted)
        throw new ClipError(
          'timeout',
          `${last ? `${last.message}; ` : ''}no answer within the ${o.timeoutMs} ms budget (CLIP_TIMEOUT)`,
          { cause: err },
        );
      throw new ClipError('remote', String(err), { cause: err });
    } finally {
      if (onAbort) callSignal.removeEventListener('abort', onAbort);
    }
  }

  /** One `/v1/embeddings` request; checks the answer and decodes each entry (or its error). */
  async function embedBatch(
    input: string[],
    modality: 'text' | 'image',
    signal?: AbortSignal,
  ): Promise<(Float32Array | ClipError)[]> {
    const { json, from } = await call(
      '/v1/embeddings',
      {
        method: 'POST',
        body: {
          input,
          modality,
          encoding_format: 'base64',
          ...(o.expectedModel ? { model: o.expectedModel } : {}),
        },
      },
      signal,
    );
    const r = EmbeddingsResponseSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ClipError(
        'remote',
        `${from}/v1/embeddings answered an unexpected shape at ${issue?.path.join('.')}: ${issue?.message}`,
      );
    }
    const answer = r.data;
    if (answer.data.length !== input.length)
      throw new ClipError(
        'remote',
        `${from} returned ${answer.data.length} results for ${input.length} inputs`,
      );
    checkModel(answer.model, from);
    info = { ...info, model: answer.model };
    const out = new Array<Float32Array | ClipError>(input.length).fill(
      new ClipError('remote', `${from} answered no entry for this input`),
    );
    for (const entry of answer.data) {
      if (entry.index >= input.length) continue;
      if (entry.error) out[entry.index] = wireToClipError(entry.error);
      else if (entry.embedding === undefined)
        out[entry.index] = new ClipError('remote', `${from} answered neither embedding nor error`);
      else {
        let v: Float32Array;
        try {
          v = decodeEmbedding(entry.embedding);
        } catch (err) {
          out[entry.index] = new ClipError('remote', `${from}: ${(err as Error).message}`);
          continue;
        }
        try {
          checkDims(v.length, from);
          out[entry.index] = v;
        } catch (err) {
          out[entry.index] = err as ClipError;
        }
      }
    }
    return out;
  }

  /** Wire form of one image input, or why it cannot be sent. */
  async function prepare(item: ImageInput): Promise<string | ClipError> {
    if (item instanceof Uint8Array) return toDataUri(item);
    if (isRaw(item))
      return new ClipError(
        'unsupported',
        'raw pixels cannot be sent to a remote embedder; send encoded bytes',
      );
    if (/^https?:\/\//i.test(item) || /^data:/i.test(item)) return item;
    try {
      return toDataUri(await readFile(item));
    } catch (err) {
      return new ClipError('not-found', `cannot read ${item}: ${(err as Error).message}`);
    }
  }

  async function embedImageBatch(items: ImageInput[], signal?: AbortSignal): Promise<ImageEmbeddingResult[]> {
    const prepared = await Promise.all(items.map(prepare));
    const send = prepared
      .map((p, i) => [p, i] as const)
      .filter((e): e is [string, number] => typeof e[0] === 'string');
    const results: ImageEmbeddingResult[] = prepared.map((p) =>
      p instanceof ClipError ? { error: p } : { error: new ClipError('remote', 'not sent') },
    );
    if (send.length === 0) return results;
    let answer: (Float32Array | ClipError)[];
    try {
      answer = await embedBatch(
        send.map(([p]) => p),
        'image',
        signal,
      );
    } catch (err) {
      // The whole call failed: every item of this batch carries the error (nothing is thrown).
      const error = err instanceof ClipError ? err : new ClipError('remote', String(err));
      for (const [, i] of send) results[i] = { error };
      return results;
    }
    send.forEach(([, slot], j) => {
      const a = answer[j]!;
      results[slot] = a instanceof ClipError ? { error: a } : { embedding: a };
    });
    return results;
  }

  function chunks<T>(items: readonly T[]): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += o.batchSize) out.push(items.slice(i, i + o.batchSize));
    return out;
  }

  return {
    async embedImages(inputs, opts) {
      const parts = await mapLimit(chunks(inputs), concurrency, (batch) =>
        embedImageBatch(batch, opts?.signal),
      );
      return parts.flat();
    },
    async embedTexts(texts, opts) {
      const parts = await mapLimit(chunks(texts), concurrency, async (batch) => {
        const answer = await embedBatch(batch, 'text', opts?.signal);
        return answer.map((a, j) => {
          if (a instanceof ClipError)
            throw new ClipError(a.code, `text ${JSON.stringify(batch[j]!.slice(0, 40))}: ${a.message}`, {
              cause: a,
            });
          return a;
        });
      });
      return parts.flat();
    },
    info: () => info,
    async refreshInfo(opts) {
      // The served id from /v1/models (what answers carry), the runtime from /v1/info.
      const models = await call('/v1/models', { method: 'GET' }, opts?.signal);
      const listed = ModelsResponseSchema.safeParse(models.json);
      const entry = listed.success ? listed.data.data[0] : undefined;
      if (!entry) throw new ClipError('remote', `${models.from}/v1/models answered no model`);
      checkModel(entry.id, models.from);
      if (entry.dimensions !== undefined) checkDims(entry.dimensions, models.from);
      const { json, from } = await call('/v1/info', { method: 'GET' }, opts?.signal);
      const data = z
        .object({ model: z.string(), dims: z.number().int(), provider: z.string() })
        .loose()
        .safeParse(json);
      if (!data.success) throw new ClipError('remote', `${from}/v1/info answered an unexpected shape`);
      checkDims(data.data.dims, from);
      info = {
        ...(data.data as unknown as ClipInfo),
        model: entry.id,
        provider: `remote:${data.data.provider}`,
      };
      return info;
    },
    async dispose() {
      disposed = true;
    },
  };
}
