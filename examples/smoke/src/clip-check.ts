// The check behind `npm run smoke:clip`: asks a running hi-rag gateway (this repository's, or
// upstream's with RERANK_PROVIDER=clip) for a query and says whether CLIP really reranked it.
import { envSeconds, envString, envUrl } from '@pmoves/internal';
import { errorMessage } from '../../common/src/log';

/** The smoke command's variables. */
export const SMOKE_CLIP_FIELDS = {
  url: envUrl('HIRAG_URL', 'hi-rag gateway the smoke commands query', { default: 'http://127.0.0.1:8086' }),
  query: envString('SMOKE_QUERY', 'query `smoke:clip` sends', {
    default: 'red circle logo for the spring campaign',
  }),
  namespace: envString('SMOKE_NAMESPACE', 'namespace `smoke:clip` queries (default: the gateway’s)'),
  timeoutMs: envSeconds('SMOKE_TIMEOUT', 'per smoke request (the first query loads the CLIP model)', {
    default: 120,
  }),
} as const;

/** What one smoke run found. */
export interface SmokeClipResult {
  ok: boolean;
  /** One line per finding, the reason first when it failed. */
  lines: string[];
}

interface Hit {
  chunk_id: string;
  score: number;
  rerank_score?: number | null;
}

async function getJson(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** Runs the smoke check against the gateway at `url`. */
export async function smokeClip(opts: {
  url: string;
  query: string;
  namespace?: string;
  timeoutMs: number;
}): Promise<SmokeClipResult> {
  const base = opts.url.replace(/\/+$/, '');
  let status: Record<string, unknown>;
  try {
    status = (await getJson(`${base}/hirag/admin/rerank-status`, {}, opts.timeoutMs)) as Record<
      string,
      unknown
    >;
  } catch (err) {
    return {
      ok: false,
      lines: [`cannot read ${base}/hirag/admin/rerank-status (HIRAG_URL): ${errorMessage(err)}`],
    };
  }
  const lines = [
    `gateway ${base}: provider ${status.provider}, enabled ${status.enabled}, model ${status.model ?? 'unknown'}` +
      (status.breakers ? `, breakers ${JSON.stringify(status.breakers)}` : ''),
  ];
  if (status.enabled === false)
    return { ok: false, lines: ['reranking is disabled on the gateway (RERANK_ENABLE=false)', ...lines] };
  let answer: { used_rerank?: boolean; rerank_provider?: string | null; hits?: Hit[] };
  try {
    answer = (await getJson(
      `${base}/hirag/query`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: opts.query,
          k: 5,
          use_rerank: true,
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        }),
      },
      opts.timeoutMs,
    )) as typeof answer;
  } catch (err) {
    return { ok: false, lines: [`POST /hirag/query failed: ${errorMessage(err)}`, ...lines] };
  }
  const hits = answer.hits ?? [];
  const scored = hits.filter((h) => typeof h.rerank_score === 'number');
  lines.push(
    `query ${JSON.stringify(opts.query)}: ${hits.length} hits, used_rerank ${answer.used_rerank}, rerank_provider ${answer.rerank_provider ?? 'null'}, ${scored.length} with rerank_score`,
  );
  for (const h of hits)
    lines.push(`  ${h.chunk_id}  score ${h.score.toFixed(4)}  rerank_score ${h.rerank_score ?? '—'}`);
  let why: string | undefined;
  if (hits.length === 0) why = 'the query returned no hits (empty index or wrong SMOKE_NAMESPACE)';
  else if (answer.used_rerank !== true) {
    // Say why, from what the gateway knows (this repository's gateway reports the chain).
    const warnings = Array.isArray(status.last_warnings) ? status.last_warnings : [];
    const after = (await getJson(`${base}/hirag/admin/rerank-status`, {}, opts.timeoutMs).catch(
      () => ({}),
    )) as Record<string, unknown>;
    const chain = Array.isArray(after.chain)
      ? (after.chain as { id: string; last_error?: string | null }[])
      : [];
    const errors = chain.filter((c) => c.last_error).map((c) => `${c.id}: ${c.last_error}`);
    why = `reranking was not used (used_rerank false, rerank_provider null)${errors.length ? `: ${errors.join('; ')}` : warnings.length ? `: ${warnings.join('; ')}` : ''}`;
  } else if (answer.rerank_provider !== 'clip')
    why = `reranked by ${answer.rerank_provider}, not clip: the CLIP provider failed and a fallback answered`;
  else if (scored.length === 0) why = 'no hit carries a rerank_score';
  return why
    ? { ok: false, lines: [`smoke-clip FAILED: ${why}`, ...lines] }
    : { ok: true, lines: [...lines, 'smoke-clip OK: CLIP reranked the hits'] };
}
