// Sidecar mode: retrieval by an existing Python hi-rag-gateway-v2. The query is forwarded with
// `use_rerank: false` and a `k` as large as the rerank pool, so upstream does the hybrid
// (vector + lexical + graph) retrieval and this gateway does the reranking.
import { HiRagHitSchema, type HiRagHit } from '@pmoves/rerank';
import { describeZodIssues } from '@pmoves/internal';
import { z } from 'zod';

const UpstreamResponseSchema = z.looseObject({
  hits: z.array(HiRagHitSchema),
});

/** Upstream answered with an error, nothing, or something that is not a hi-rag answer. */
export class UpstreamError extends Error {
  /** @param message - what went wrong, naming the upstream URL; @param status - its HTTP status */
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** What is forwarded. */
export interface UpstreamQuery {
  query: string;
  namespace?: string;
  k: number;
  alpha?: number;
  entity_types?: string[] | null;
}

/** Asks upstream's `/hirag/query` for its hits without reranking. */
export async function queryUpstream(
  baseUrl: string,
  q: UpstreamQuery,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<HiRagHit[]> {
  const url = new URL('/hirag/query', baseUrl).toString();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        query: q.query,
        k: q.k,
        use_rerank: false,
        ...(q.namespace ? { namespace: q.namespace } : {}),
        ...(q.alpha !== undefined ? { alpha: q.alpha } : {}),
        ...(q.entity_types ? { entity_types: q.entity_types } : {}),
      }),
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
  } catch (err) {
    const why = timeout.aborted ? `timed out after ${opts.timeoutMs} ms` : (err as Error).message;
    throw new UpstreamError(`upstream ${url} failed: ${why}`);
  }
  const text = await res.text();
  if (!res.ok)
    throw new UpstreamError(`upstream ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError(`upstream ${url} answered something that is not JSON`);
  }
  const parsed = UpstreamResponseSchema.safeParse(json);
  if (!parsed.success)
    throw new UpstreamError(
      `upstream ${url} answered an invalid hi-rag reply: ${describeZodIssues(parsed.error.issues)}`,
    );
  return parsed.data.hits;
}
