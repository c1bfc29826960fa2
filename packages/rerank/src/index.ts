/**
 * `@pmoves/rerank` — the RerankProvider interface, providers (CLIP, cross-encoder over
 * text-embeddings-inference, Cohere-style, TensorZero, none), a resilient fallback chain with
 * circuit breakers, score fusion and a hi-rag gateway adapter.
 *
 * @packageDocumentation
 */
export { RerankError, type RerankErrorCode } from './errors';
export {
  BestMatchSchema,
  CandidateSchema,
  ImageRefSchema,
  ProviderAttemptSchema,
  RerankHitSchema,
  RerankQuerySchema,
  RerankRequestSchema,
  RerankResultSchema,
  ScoreKindSchema,
  type BestMatch,
  type Candidate,
  type Modality,
  type ProviderAttempt,
  type ProviderRequest,
  type ProviderScores,
  type RerankHit,
  type RerankProvider,
  type RerankQuery,
  type RerankRequest,
  type RerankResult,
  type ScoreKind,
} from './types';
export {
  createReranker,
  parseRerankRequest,
  type BreakerState,
  type ChainEntryStatus,
  type Reranker,
  type RerankerOptions,
  type RerankerStatus,
  type RerankSettings,
} from './chain/reranker';
export {
  fuseScores,
  FusionModeSchema,
  normalizeScore,
  type FusionInput,
  type FusionMode,
  type FusionOptions,
} from './fusion/fuse';
export {
  createRerankerFromEnv,
  parseRerankEnv,
  PROVIDER_ALIASES,
  type Env,
  type RerankEnvConfig,
} from './config/env';
export { createTeiProvider, TeiProviderOptionsSchema, type TeiProviderOptions } from './providers/tei';
export {
  createCohereProvider,
  CohereProviderOptionsSchema,
  type CohereProviderOptions,
} from './providers/cohere';
export {
  createTensorZeroProvider,
  TensorZeroProviderOptionsSchema,
  type TensorZeroProviderOptions,
} from './providers/tensorzero';
export { createNoneProvider } from './providers/none';
export {
  createClipProvider,
  ClipProviderOptionsSchema,
  type ClipProviderOptions,
  type ClipRerankProvider,
} from './providers/clip';
export {
  hiRagCandidates,
  HiRagHitSchema,
  rerankHiRagHits,
  rerankHiRagHitsDetailed,
  type HiRagHit,
  type HiRagQueryResponse,
  type HiRagRerankOptions,
  type HiRagResponseHit,
} from './hirag/adapter';
