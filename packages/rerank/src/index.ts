/**
 * @pmoves/rerank — The RerankProvider interface, providers (CLIP, cross-encoder, Cohere-style, TensorZero, none), a resilient fallback chain, score fusion and a hi-rag adapter.
 *
 * @packageDocumentation
 */

/** Version of this package's public API contract. */
export const API_VERSION = '0.0.0';
