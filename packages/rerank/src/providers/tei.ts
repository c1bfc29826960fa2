// `flag` (alias `tei`): a cross-encoder behind Hugging Face text-embeddings-inference.
// POST {url}/rerank {query, texts, raw_scores, truncate} → [{index, score}] (any order).
import { z } from 'zod';
import { postJson } from '../http/post-json';
import type { RerankProvider } from '../types';
import { bearer, candidateText, joinUrl, parseAnswer, queryText, scoresByIndex } from './shared';

/** Options of {@link createTeiProvider}. */
export const TeiProviderOptionsSchema = z.object({
  /** Base URL of the text-embeddings-inference server (`RERANK_URL`). */
  url: z.url(),
  /** Model label for results and status (TEI serves one model; `RERANK_MODEL`). */
  model: z.string().nullable().default(null),
  /** Per-call timeout, ms. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Documents per call (TEI's `--max-client-batch-size`, default 32). */
  maxCandidatesPerCall: z.number().int().positive().default(32),
  /** Ask for raw logits instead of sigmoid probabilities. */
  rawScores: z.boolean().default(false),
  /** Bearer token, when the server wants one. */
  apiKey: z.string().optional(),
  /** Provider name reported (`flag` by default, as PMOVES calls it). */
  id: z.string().default('flag'),
  /** `fetch` implementation. */
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function').optional(),
});

/** Options accepted by {@link createTeiProvider}. */
export type TeiProviderOptions = z.input<typeof TeiProviderOptionsSchema>;

const TeiAnswer = z.array(z.object({ index: z.number().int(), score: z.number() }));

/** A cross-encoder reranker served by text-embeddings-inference (PMOVES's `flag`, also `tei`). */
export function createTeiProvider(options: TeiProviderOptions): RerankProvider {
  const o = TeiProviderOptionsSchema.parse(options);
  const url = joinUrl(o.url, '/rerank');
  return {
    id: o.id,
    modalities: ['text'],
    pointwise: true,
    maxCandidatesPerCall: o.maxCandidatesPerCall,
    model: o.model,
    timeoutMs: o.timeoutMs,
    async rerank({ query, candidates, signal }) {
      const body = {
        query: queryText(query, o.id),
        texts: candidates.map(candidateText),
        raw_scores: o.rawScores,
        truncate: true,
      };
      const data = await postJson(url, body, {
        timeoutMs: o.timeoutMs,
        signal,
        headers: bearer(o.apiKey),
        fetch: o.fetch,
      });
      const answer = parseAnswer(TeiAnswer, data, o.id);
      return {
        scores: scoresByIndex(answer, candidates.length, o.id),
        scoreKind: o.rawScores ? 'logit' : 'probability',
        model: o.model,
      };
    },
    status: () => ({ device: 'remote', loaded: true }),
  };
}
