// A ClipEmbedder over the embedding server's HTTP API (see ../server). Every call has a timeout;
// failures are ClipErrors (`timeout`, `remote`); image failures are per item, never a thrown batch.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ClipError } from '../errors';
import {
  decodeEmbedding,
  EmbedImageResponseSchema,
  EmbedTextResponseSchema,
  WireErrorSchema,
} from '../server/wire';
import type { ClipErrorCode } from '../errors';
import type { ClipEmbedder, ClipInfo, ImageEmbeddingResult, ImageInput } from '../types';

/** Options of {@link createRemoteClipEmbedder} (validated with zod). */
export const RemoteClipOptionsSchema = z.object({
  /** Base URL of a `pmoves-clip-server` (`CLIP_ENDPOINT`). */
  endpoint: z.url({ protocol: /^https?$/ }),
  /** Timeout of each HTTP call, ms (`CLIP_TIMEOUT` is in seconds). */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Items per request (keep ≤ the server's `maxBatch`). */
  batchSize: z.number().int().positive().default(32),
  /** Extra headers (e.g. an Authorization header for a proxy in front of the server). */
  headers: z.record(z.string(), z.string()).default({}),
  /** `fetch` implementation (default: global fetch). */
  fetch: z
    .custom<typeof fetch>((v) => typeof v === 'function', { message: 'fetch must be a function' })
    .optional(),
});

/** Options accepted by {@link createRemoteClipEmbedder}. */
export type RemoteClipOptions = z.input<typeof RemoteClipOptionsSchema>;

/** A remote embedder; `refreshInfo()` asks the server what it runs (info() reports the last answer). */
export interface RemoteClipEmbedder extends ClipEmbedder {
  /** Fetch `GET /v1/info` and remember it. */
  refreshInfo(options?: { signal?: AbortSignal }): Promise<ClipInfo>;
}

/** Options from the environment: `CLIP_ENDPOINT`, `CLIP_TIMEOUT` (seconds). */
export function remoteClipOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): RemoteClipOptions {
  const endpoint = env.CLIP_ENDPOINT?.trim();
  if (!endpoint) throw new ClipError('invalid-input', 'CLIP_ENDPOINT is not set');
  const raw = env.CLIP_TIMEOUT?.trim();
  if (!raw) return { endpoint };
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ClipError(
      'invalid-input',
      `CLIP_TIMEOUT must be a positive number of seconds; received ${JSON.stringify(raw)}`,
    );
  }
  return { endpoint, timeoutMs: Math.round(seconds * 1000) };
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
  'remote',
]);

function wireToClipError(e: { code: string; message: string }): ClipError {
  const code = KNOWN_CODES.has(e.code as ClipErrorCode) ? (e.code as ClipErrorCode) : 'remote';
  return new ClipError(code, e.message);
}

const isRaw = (v: ImageInput): v is Exclude<ImageInput, string | Uint8Array> =>
  typeof v === 'object' && !(v instanceof Uint8Array);

/** Create a {@link ClipEmbedder} that calls a remote `pmoves-clip-server`. */
export function createRemoteClipEmbedder(options: RemoteClipOptions): RemoteClipEmbedder {
  const parsed = RemoteClipOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClipError('invalid-input', `remote clip option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const o = parsed.data;
  const base = o.endpoint.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  let disposed = false;
  let info: ClipInfo = {
    model: base,
    files: {},
    requestedDevice: 'auto',
    provider: 'remote',
    attempts: [],
    dtype: 'fp32',
    dims: 0,
    preprocessing: 'fast',
    loadMs: 0,
  };

  async function call(
    path: string,
    init: { method: string; body?: unknown },
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (disposed) throw new ClipError('invalid-input', 'remote embedder was disposed');
    const deadline = AbortSignal.timeout(o.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${base}${path}`, {
        method: init.method,
        headers: {
          accept: 'application/json',
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
        signal: combined,
      });
      text = await res.text();
    } catch (err) {
      if (deadline.aborted)
        throw new ClipError('timeout', `${base}${path} did not answer within ${o.timeoutMs} ms`, {
          cause: err,
        });
      if (signal?.aborted) throw new ClipError('remote', `${base}${path}: cancelled`, { cause: err });
      throw new ClipError('remote', `${base}${path} unreachable: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClipError('remote', `${base}${path} answered HTTP ${res.status} with malformed JSON`);
    }
    if (!res.ok) {
      const e = WireErrorSchema.safeParse((json as { error?: unknown })?.error);
      const why = e.success ? `${e.data.code}: ${e.data.message}` : 'no error detail';
      throw new ClipError(
        res.status === 504 ? 'timeout' : 'remote',
        `${base}${path} answered HTTP ${res.status} (${why})`,
      );
    }
    return json;
  }

  function parse<T>(schema: z.ZodType<T>, data: unknown, path: string): T {
    const r = schema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ClipError(
        'remote',
        `${base}${path} answered an unexpected shape at ${issue?.path.join('.')}: ${issue?.message}`,
      );
    }
    return r.data;
  }

  function remember(model: string, dims: number) {
    info = { ...info, model, dims };
  }

  async function embedImageBatch(items: ImageInput[], signal?: AbortSignal): Promise<ImageEmbeddingResult[]> {
    // Inputs become wire items; an input that cannot be sent is that item's error.
    const prepared = await Promise.all(
      items.map(async (item): Promise<{ url: string } | { base64: string } | ClipError> => {
        if (item instanceof Uint8Array)
          return { base64: Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('base64') };
        if (isRaw(item))
          return new ClipError(
            'unsupported',
            'raw pixels cannot be sent to a remote embedder; send encoded bytes',
          );
        if (/^https?:\/\//i.test(item)) return { url: item };
        try {
          return { base64: (await readFile(item)).toString('base64') };
        } catch (err) {
          return new ClipError('not-found', `cannot read ${item}: ${(err as Error).message}`);
        }
      }),
    );
    const send = prepared
      .map((p, i) => [p, i] as const)
      .filter((e): e is [{ url: string } | { base64: string }, number] => !(e[0] instanceof ClipError));
    const results: ImageEmbeddingResult[] = prepared.map((p) =>
      p instanceof ClipError ? { error: p } : { error: new ClipError('remote', 'not sent') },
    );
    if (send.length === 0) return results;
    let answer: z.infer<typeof EmbedImageResponseSchema>;
    try {
      const data = await call(
        '/v1/embed/image',
        { method: 'POST', body: { inputs: send.map(([p]) => p), encoding: 'base64' } },
        signal,
      );
      answer = parse(EmbedImageResponseSchema, data, '/v1/embed/image');
      if (answer.data.length !== send.length) {
        throw new ClipError(
          'remote',
          `server returned ${answer.data.length} results for ${send.length} images`,
        );
      }
    } catch (err) {
      // The whole call failed: every item of this batch carries the error (nothing is thrown).
      const error = err instanceof ClipError ? err : new ClipError('remote', String(err));
      for (const [, i] of send) results[i] = { error };
      return results;
    }
    remember(answer.model, answer.dims);
    for (const entry of answer.data) {
      const slot = send[entry.index]?.[1];
      if (slot === undefined) continue;
      if (entry.error) results[slot] = { error: wireToClipError(entry.error) };
      else if (entry.embedding !== undefined) {
        try {
          results[slot] = { embedding: decodeEmbedding(entry.embedding) };
        } catch (err) {
          results[slot] = { error: new ClipError('remote', (err as Error).message) };
        }
      } else
        results[slot] = { error: new ClipError('remote', 'server answered neither embedding nor error') };
    }
    return results;
  }

  return {
    async embedImages(inputs, opts) {
      const out: ImageEmbeddingResult[] = [];
      for (let i = 0; i < inputs.length; i += o.batchSize) {
        out.push(...(await embedImageBatch(inputs.slice(i, i + o.batchSize), opts?.signal)));
      }
      return out;
    },
    async embedTexts(texts, opts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += o.batchSize) {
        const batch = texts.slice(i, i + o.batchSize);
        const data = await call(
          '/v1/embed/text',
          { method: 'POST', body: { texts: batch, encoding: 'base64' } },
          opts?.signal,
        );
        const answer = parse(EmbedTextResponseSchema, data, '/v1/embed/text');
        if (answer.data.length !== batch.length) {
          throw new ClipError(
            'remote',
            `server returned ${answer.data.length} embeddings for ${batch.length} texts`,
          );
        }
        remember(answer.model, answer.dims);
        const sorted = [...answer.data].sort((a, b) => a.index - b.index);
        for (const entry of sorted) out.push(decodeEmbedding(entry.embedding));
      }
      return out;
    },
    info: () => info,
    async refreshInfo(opts) {
      const data = (await call('/v1/info', { method: 'GET' }, opts?.signal)) as ClipInfo;
      if (typeof data?.model !== 'string' || typeof data?.dims !== 'number') {
        throw new ClipError('remote', `${base}/v1/info answered an unexpected shape`);
      }
      info = { ...data, provider: `remote:${data.provider}` };
      return info;
    },
    async dispose() {
      disposed = true;
    },
  };
}
