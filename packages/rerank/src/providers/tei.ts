// `flag` (alias `tei`): a cross-encoder behind Hugging Face text-embeddings-inference.
// POST {url}/rerank {query, texts, raw_scores, truncate} → [{index, score}] (any order).
import { z } from 'zod';
import type { RerankProvider } from '../types';
import { httpTextProvider, joinUrl, parseAnswer, providerOptions, scoresByIndex } from './shared';

/** Options of {@link createTeiProvider}. */
export const TeiProviderOptionsSchema = z.object({
  /** Base URL of the text-embeddings-inference server (`RERANK_URL`). */
  url: z.url({ protocol: /^https?$/ }),
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
  const o = providerOptions(TeiProviderOptionsSchema, options, 'tei');
  return httpTextProvider({
    ...o,
    url: joinUrl(o.url, '/rerank'),
    pointwise: true,
    body: (query, texts) => ({ query, texts, raw_scores: o.rawScores, truncate: true }),
    scores: (data, n) => ({
      scores: scoresByIndex(parseAnswer(TeiAnswer, data, o.id), n, o.id),
      scoreKind: o.rawScores ? 'logit' : 'probability',
    }),
  });
}
