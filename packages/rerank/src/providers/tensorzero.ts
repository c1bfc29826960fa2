// `tensorzero` (aliases `tz`, `tzero`): PMOVES's call exactly —
// POST {base}/functions/{function}/invoke {query, documents}, optional Bearer key, scores read
// from `scores` (or `data`) of a JSON answer only.
import { z } from 'zod';
import { RerankError } from '../errors';
import type { RerankProvider } from '../types';
import { httpTextProvider, joinUrl, parseAnswer, providerOptions } from './shared';

/** Options of {@link createTensorZeroProvider}. */
export const TensorZeroProviderOptionsSchema = z.object({
  /** `TENSORZERO_BASE_URL`. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** `TENSORZERO_RERANK_FUNCTION`. */
  functionName: z.string().min(1).default('hi_rag_rerank'),
  /** `TENSORZERO_API_KEY`. */
  apiKey: z.string().optional(),
  /** Timeout, ms (`TENSORZERO_RERANK_TIMEOUT` is in seconds, default 20). */
  timeoutMs: z.number().int().positive().default(20_000),
  /** `fetch` implementation. */
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function').optional(),
});

/** Options accepted by {@link createTensorZeroProvider}. */
export type TensorZeroProviderOptions = z.input<typeof TensorZeroProviderOptionsSchema>;

const TzAnswer = z.object({
  scores: z.array(z.number()).optional(),
  data: z.array(z.number()).optional(),
});

/** The TensorZero rerank function as PMOVES's hi-rag gateway calls it. */
export function createTensorZeroProvider(options: TensorZeroProviderOptions): RerankProvider {
  const o = providerOptions(TensorZeroProviderOptionsSchema, options, 'tensorzero');
  return httpTextProvider({
    ...o,
    id: 'tensorzero',
    url: joinUrl(o.baseUrl, `/functions/${encodeURIComponent(o.functionName)}/invoke`),
    model: o.functionName,
    // The function sees the whole list at once (it may be an LLM judging relative relevance).
    pointwise: false,
    requireJsonContentType: true,
    body: (query, documents) => ({ query, documents }),
    scores: (data, n) => {
      const answer = parseAnswer(TzAnswer, data, 'tensorzero');
      // Upstream: `data.get("scores") or data.get("data")` — an empty `scores` falls through too.
      const scores = answer.scores?.length ? answer.scores : answer.data;
      if (!scores) throw new RerankError('provider', 'tensorzero answered without `scores` or `data`');
      if (scores.length !== n)
        throw new RerankError('provider', `tensorzero returned ${scores.length} scores for ${n} documents`);
      // Raw function scores carry no declared scale: treat them as probabilities only when they are.
      const bounded = scores.every((s) => s >= 0 && s <= 1);
      return { scores, scoreKind: bounded ? 'probability' : 'logit' };
    },
  });
}
