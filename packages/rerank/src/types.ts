// The rerank contract. Every type that crosses the package boundary is inferred from a zod schema.
import { z } from 'zod';

/**
 * An image reference: an http(s) URL, encoded bytes, or a local file path (read only inside the
 * CLIP provider's configured `mediaRoots`).
 */
export const ImageRefSchema = z.union([z.string().min(1), z.instanceof(Uint8Array)]);

/** A query: plain text, or text and/or an image. */
export const RerankQuerySchema = z.union([
  z.string().min(1, 'query must not be empty'),
  z
    .object({ text: z.string().min(1).optional(), image: ImageRefSchema.optional() })
    .refine((q) => q.text !== undefined || q.image !== undefined, 'query needs text or image'),
]);

/** One candidate to rerank. */
export const CandidateSchema = z.object({
  /** Stable id, returned in the hits. */
  id: z.string().min(1),
  /** Text of the candidate (document chunk, caption). */
  text: z.string().optional(),
  /** Image: URL, bytes or file path (thumbnails, frames). */
  image: ImageRefSchema.optional(),
  /** A precomputed image embedding (e.g. from the vector store), used instead of fetching `image`. */
  embedding: z.union([z.array(z.number()), z.instanceof(Float32Array)]).optional(),
  /** Anything the caller wants carried along (e.g. `asset_id`). */
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** A rerank request. */
export const RerankRequestSchema = z.object({
  query: RerankQuerySchema,
  candidates: z.array(CandidateSchema),
  /** Return at most this many hits (applied after merging all windows). */
  topN: z.number().int().positive().optional(),
  /** Cancels the request. */
  signal: z.instanceof(AbortSignal).optional(),
});

/**
 * What a score means, and so how it is mapped into [0,1] (see `normalizeScore`):
 * `probability` (already 0..1), `similarity` (cosine −1..1), `logit` (unbounded), `rank` (order only).
 */
export const ScoreKindSchema = z.enum(['probability', 'similarity', 'logit', 'rank']);

/** One reranked candidate. */
export const RerankHitSchema = z.object({
  /** Candidate id. */
  id: z.string(),
  /** Index of the candidate in the request. */
  index: z.number().int().min(0),
  /** Provider score; `null` when this candidate could not be scored (e.g. a broken image). */
  score: z.number().nullable(),
  /** Score mapped into [0,1] according to `scoreKind`; absent when `score` is null. */
  normalizedScore: z.number().min(0).max(1).optional(),
  /** Why this candidate has no score. */
  warning: z.string().optional(),
});

/** One provider tried by a chain, in order. */
export const ProviderAttemptSchema = z.object({
  provider: z.string(),
  ok: z.boolean(),
  /** Time spent, ms. */
  ms: z.number(),
  /** Why it failed or was skipped. */
  error: z.string().optional(),
  /** True when the circuit breaker skipped it without a call. */
  skipped: z.boolean().optional(),
});

/**
 * Provider-specific data of a result, keyed by provider id (the Vercel AI SDK's `providerMetadata`
 * convention), e.g. `{ clip: { bestMatch: { asset_id, score, model } } }`. The chain carries it
 * without knowing its shape; each provider documents its own entry.
 */
export const ProviderMetadataSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

/** The result of a rerank. */
export const RerankResultSchema = z.object({
  /** Scored hits, best first, then unscored ones in request order. */
  hits: z.array(RerankHitSchema),
  /** The provider that actually answered. */
  provider: z.string(),
  /** Model the provider used, when known. */
  model: z.string().nullable(),
  scoreKind: ScoreKindSchema,
  /** True when a fallback or the passthrough answered instead of the first provider. */
  degraded: z.boolean(),
  /** Non-fatal problems: failed providers, unscored candidates. */
  warnings: z.array(z.string()),
  /** Total time, ms, and every provider attempt. */
  timings: z.object({ totalMs: z.number(), attempts: z.array(ProviderAttemptSchema) }),
  /** What the answering provider adds, under its id (see {@link ProviderMetadataSchema}). */
  providerMetadata: ProviderMetadataSchema.optional(),
});

/** Input of {@link RerankProvider.rerank} and {@link Reranker.rerank}. */
export type RerankRequest = z.input<typeof RerankRequestSchema>;
/** A candidate of a {@link RerankRequest}. */
export type Candidate = z.infer<typeof CandidateSchema>;
/** Query of a {@link RerankRequest}. */
export type RerankQuery = z.infer<typeof RerankQuerySchema>;
/** What a score means (see {@link ScoreKindSchema}). */
export type ScoreKind = z.infer<typeof ScoreKindSchema>;
/** One reranked candidate. */
export type RerankHit = z.infer<typeof RerankHitSchema>;
/** One provider attempt of a chain. */
export type ProviderAttempt = z.infer<typeof ProviderAttemptSchema>;
/** Provider-specific data of a result, keyed by provider id. */
export type ProviderMetadata = z.infer<typeof ProviderMetadataSchema>;
/** The result of a rerank. */
export type RerankResult = z.infer<typeof RerankResultSchema>;

/** Input modality a provider can score. */
export type Modality = 'text' | 'image';

/**
 * What a provider returns for one call: one score per candidate it was given (same order), or
 * `null` for a candidate it could not score.
 */
export interface ProviderScores {
  /** One entry per candidate, in request order. */
  scores: (number | null)[];
  /** What the scores mean (see {@link ScoreKindSchema}). */
  scoreKind: ScoreKind;
  /** Model that produced the scores, when known. */
  model: string | null;
  /** Per-candidate problems, keyed by candidate index within the call. */
  candidateWarnings?: Map<number, string>;
  /** Other warnings. */
  warnings?: string[];
  /** Provider-specific data for the result's `providerMetadata[id]` (e.g. CLIP's `bestMatch`). */
  metadata?: Record<string, unknown>;
}

/** The request a provider receives: validated, with the chain's combined cancellation signal. */
export interface ProviderRequest {
  /** The validated query. */
  query: RerankQuery;
  /** The candidates of this call (one window of the request), in request order. */
  candidates: Candidate[];
  /** Aborted when the caller aborts or the chain's time budget runs out. */
  signal: AbortSignal;
}

/** A rerank backend. Providers return scores in request order; the chain sorts, windows and applies `topN`. */
export interface RerankProvider {
  /** Name reported in results (`flag`, `cohere`, `tensorzero`, `clip`, `none`). */
  readonly id: string;
  /**
   * What it can score. The chain only sends a provider the candidates that carry one of these
   * (`text`: a candidate's `text`; `image`: its `image` or `embedding`) and skips it, without
   * charging its circuit breaker, when the query or every candidate lacks them.
   */
  readonly modalities: readonly Modality[];
  /** Largest candidate list per call; bigger requests are split into windows (pointwise only). */
  readonly maxCandidatesPerCall?: number;
  /** Whether each candidate's score is independent of the others (so windows can be merged). */
  readonly pointwise: boolean;
  /** Model name for status, when known. */
  readonly model?: string | null;
  /**
   * Per-call timeout, ms. The chain enforces it, and never lets one call use more than its share
   * of the chain's remaining budget (see `createReranker`). A provider without one (such as
   * `none`) is taken to answer at once and reserves no share of the budget for itself.
   */
  readonly timeoutMs?: number;
  /**
   * Score one list of candidates: one score per candidate, mapped back from the backend's
   * `index` answers to request order. Must throw on any failure (including a wrong-length answer).
   * Sorting, windowing, `topN` and fallback are the chain's job (see `createReranker`).
   */
  rerank(request: ProviderRequest): Promise<ProviderScores>;
  /**
   * Combine the `metadata` of several windows of one request into one (pointwise providers whose
   * lists were split); without it, the first window's metadata is kept.
   */
  mergeMetadata?(parts: readonly Record<string, unknown>[]): Record<string, unknown>;
  /** Extra status fields (device, loaded). */
  status?(): { device?: string | null; dtype?: string | null; loaded?: boolean };
  /** Release resources. */
  dispose?(): Promise<void>;
}
