/**
 * `@pmoves/rerank` — the RerankProvider interface, providers (CLIP, cross-encoder over
 * text-embeddings-inference, Cohere-style, TensorZero, none), a resilient fallback chain with
 * circuit breakers, score fusion and a hi-rag gateway adapter. Exactly what the README documents.
 *
 * @packageDocumentation
 */
export { RerankError, isRerankError, type RerankErrorCode } from './errors';
export {
  CandidateSchema,
  ProviderAttemptSchema,
  ProviderMetadataSchema,
  RerankHitSchema,
  RerankQuerySchema,
  RerankRequestSchema,
  RerankResultSchema,
  ScoreKindSchema,
  type Candidate,
  type Modality,
  type ProviderAttempt,
  type ProviderMetadata,
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
  type BreakerState,
  type ChainEntryStatus,
  type Reranker,
  type RerankerOptions,
  type RerankerStatus,
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
  createHiRagAdapterFromEnv,
  createRerankerFromEnv,
  hiRagSettingsFromEnv,
  PROVIDER_ALIASES,
  RERANK_ENV_VARS,
  rerankerOptionsFromEnv,
  type Env,
  type RerankerEnvOptions,
} from './config/env';
export type { EnvIssue, EnvVarInfo } from '@pmoves/internal';
export { createProvider, type ProviderConfig } from './providers/create';
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
  ClipProviderOptionsSchema,
  createClipProvider,
  type ClipProviderOptions,
  type ClipRerankProvider,
} from './providers/clip/provider';
export type {
  ClipEmbedderLike,
  ClipImageFetchOptions,
  ClipImageInput,
  ClipImageResult,
} from './providers/clip/clip-types';
export {
  BestMatchSchema,
  clipBestMatch,
  type BestMatch,
  type ClipProviderMetadata,
} from './providers/clip/metadata';
export {
  createHiRagAdapter,
  HIRAG_DEFAULTS,
  hiRagCandidates,
  HiRagHitSchema,
  type HiRagAdapter,
  type HiRagAdapterOptions,
  type HiRagHit,
  type HiRagOutcome,
  type HiRagQueryResponse,
  type HiRagRequest,
  type HiRagRerankStatus,
  type HiRagResponseHit,
  type HiRagSettings,
} from './hirag/adapter';
