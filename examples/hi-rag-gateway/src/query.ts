// The `POST /hirag/query` request, as upstream's pydantic model `QueryReq` takes it.
import { z } from 'zod';

/** Request body of `POST /hirag/query` (upstream's field names and defaults). */
export const QueryRequestSchema = z.object({
  query: z.string().min(1, 'must not be empty'),
  namespace: z.string().min(1).optional(),
  k: z.number().int().positive().max(1000).default(10),
  alpha: z.number().min(0).max(1).optional(),
  use_rerank: z.boolean().nullish(),
  rerank_topn: z.number().int().positive().max(1000).nullish(),
  rerank_k: z.number().int().positive().max(1000).nullish(),
  entity_types: z.array(z.string()).nullish(),
});

/** A validated query. */
export type QueryRequest = z.output<typeof QueryRequestSchema>;
