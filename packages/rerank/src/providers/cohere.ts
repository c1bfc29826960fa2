// `cohere`: the Cohere v2 rerank shape. POST {url}{path} {model, query, documents, top_n} →
// {results: [{index, relevance_score}]}. The same shape is served by Jina (/v1/rerank),
// Infinity (/rerank) and vLLM (/v1/rerank, /v2/rerank); only the path differs.
import { z } from 'zod';
import type { RerankProvider } from '../types';
import { httpTextProvider, joinUrl, parseAnswer, providerOptions, scoresByIndex } from './shared';

/** Options of {@link createCohereProvider}. */
export const CohereProviderOptionsSchema = z.object({
  /** Base URL (`RERANK_URL`), e.g. `https://api.cohere.com`. */
  url: z.url({ protocol: /^https?$/ }),
  /** Path of the rerank endpoint (`RERANK_PATH`). */
  path: z.string().default('/v2/rerank'),
  /** Model sent in the request (`RERANK_MODEL`). */
  model: z.string().min(1),
  /** Bearer token (`RERANK_API_KEY`). */
  apiKey: z.string().optional(),
  /** Per-call timeout, ms. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Documents per call (Cohere accepts up to 1000). */
  maxCandidatesPerCall: z.number().int().positive().default(1000),
  /** Provider name reported. */
  id: z.string().default('cohere'),
  /** `fetch` implementation. */
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function').optional(),
});

/** Options accepted by {@link createCohereProvider}. */
export type CohereProviderOptions = z.input<typeof CohereProviderOptionsSchema>;

const CohereAnswer = z.object({
  results: z.array(z.object({ index: z.number().int(), relevance_score: z.number() })),
});

/** A reranker speaking the Cohere v2 `/rerank` shape (Cohere, Jina, Infinity, vLLM). */
export function createCohereProvider(options: CohereProviderOptions): RerankProvider {
  const o = providerOptions(CohereProviderOptionsSchema, options, 'cohere');
  return httpTextProvider({
    ...o,
    url: joinUrl(o.url, o.path),
    pointwise: true,
    // Ask for every document: topN is applied globally after all windows are merged.
    body: (query, documents) => ({ model: o.model, query, documents, top_n: documents.length }),
    scores: (data, n) => {
      const answer = parseAnswer(CohereAnswer, data, o.id);
      const indexed = answer.results.map((r) => ({ index: r.index, score: r.relevance_score }));
      return { scores: scoresByIndex(indexed, n, o.id), scoreKind: 'probability' };
    },
  });
}
