// `cohere`: the Cohere v2 rerank shape. POST {url}{path} {model, query, documents, top_n} →
// {results: [{index, relevance_score}]}. The same shape is served by Jina (/v1/rerank),
// Infinity (/rerank) and vLLM (/v1/rerank, /v2/rerank); only the path differs.
import { z } from 'zod';
import { postJson } from '../http/post-json';
import type { RerankProvider } from '../types';
import { bearer, candidateText, joinUrl, parseAnswer, queryText, scoresByIndex } from './shared';

/** Options of {@link createCohereProvider}. */
export const CohereProviderOptionsSchema = z.object({
  /** Base URL (`RERANK_URL`), e.g. `https://api.cohere.com`. */
  url: z.url(),
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
  const o = CohereProviderOptionsSchema.parse(options);
  const url = joinUrl(o.url, o.path);
  return {
    id: o.id,
    modalities: ['text'],
    pointwise: true,
    maxCandidatesPerCall: o.maxCandidatesPerCall,
    model: o.model,
    timeoutMs: o.timeoutMs,
    async rerank({ query, candidates, signal }) {
      const body = {
        model: o.model,
        query: queryText(query, o.id),
        documents: candidates.map(candidateText),
        // Ask for every document: topN is applied globally after all windows are merged.
        top_n: candidates.length,
      };
      const data = await postJson(url, body, {
        timeoutMs: o.timeoutMs,
        signal,
        headers: bearer(o.apiKey),
        fetch: o.fetch,
      });
      const answer = parseAnswer(CohereAnswer, data, o.id);
      const indexed = answer.results.map((r) => ({ index: r.index, score: r.relevance_score }));
      return {
        scores: scoresByIndex(indexed, candidates.length, o.id),
        scoreKind: 'probability',
        model: o.model,
      };
    },
    status: () => ({ device: 'remote', loaded: true }),
  };
}
