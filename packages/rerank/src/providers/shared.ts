// Helpers shared by the HTTP providers: option parsing, the one shape of a text provider over a
// JSON POST, and answer checks.
import { parseOrThrow } from '@pmoves/internal';
import type { z } from 'zod';
import { RerankError } from '../errors';
import { postJson } from '../http/post-json';
import type { Candidate, ProviderScores, RerankProvider, RerankQuery } from '../types';

/** A factory's options, validated; every bad field named in one `config` error. */
export function providerOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  provider: string,
): z.output<S> {
  return parseOrThrow(
    schema,
    options,
    (msg) => new RerankError('config', `${provider} provider options: ${msg}`),
  );
}

/** What differs between the HTTP text providers; {@link httpTextProvider} does the rest. */
export interface HttpTextProviderSpec {
  id: string;
  url: string;
  model: string | null;
  timeoutMs: number;
  pointwise: boolean;
  maxCandidatesPerCall?: number;
  apiKey?: string;
  fetch?: typeof fetch;
  requireJsonContentType?: boolean;
  /** The request body for a query and the candidates' texts. */
  body(query: string, documents: string[]): unknown;
  /** One score per document from the parsed answer (throws on a malformed or short one). */
  scores(data: unknown, n: number): Pick<ProviderScores, 'scores' | 'scoreKind'>;
}

/** A text-only provider that POSTs JSON to one URL per call (`flag`, `cohere`, `tensorzero`). */
export function httpTextProvider(spec: HttpTextProviderSpec): RerankProvider {
  return {
    id: spec.id,
    modalities: ['text'],
    pointwise: spec.pointwise,
    ...(spec.maxCandidatesPerCall ? { maxCandidatesPerCall: spec.maxCandidatesPerCall } : {}),
    model: spec.model,
    timeoutMs: spec.timeoutMs,
    async rerank({ query, candidates, signal }) {
      const data = await postJson(
        spec.url,
        spec.body(queryText(query, spec.id), candidates.map(candidateText)),
        {
          timeoutMs: spec.timeoutMs,
          signal,
          headers: bearer(spec.apiKey),
          fetch: spec.fetch,
          requireJsonContentType: spec.requireJsonContentType ?? false,
        },
      );
      return { ...spec.scores(data, candidates.length), model: spec.model };
    },
    status: () => ({ device: 'remote', loaded: true }),
  };
}

/** The query's text, or a provider error when the provider is text-only and the query has none. */
export function queryText(query: RerankQuery, provider: string): string {
  const text = typeof query === 'string' ? query : query.text;
  if (!text) throw new RerankError('provider', `${provider} scores text only and the query has no text`);
  return text;
}

/** The text sent for a candidate (the chain sends a text provider only candidates with text). */
export function candidateText(c: Candidate): string {
  return c.text ?? '';
}

/** Parse a backend answer with its schema; a mismatch is a provider failure naming the field. */
export function parseAnswer<T>(schema: z.ZodType<T>, data: unknown, provider: string): T {
  return parseOrThrow(
    schema,
    data,
    (msg) => new RerankError('provider', `${provider} answered an unexpected shape: ${msg}`),
  );
}

/**
 * Map `{index, score}` answers back to request order. Every index must appear exactly once: a
 * missing, repeated or out-of-range index is a provider failure (upstream pads with 0.0 instead).
 */
export function scoresByIndex(
  results: { index: number; score: number }[],
  n: number,
  provider: string,
): number[] {
  if (results.length !== n) {
    throw new RerankError('provider', `${provider} returned ${results.length} scores for ${n} documents`);
  }
  const out = new Array<number>(n);
  const seen = new Set<number>();
  for (const { index, score } of results) {
    if (!Number.isInteger(index) || index < 0 || index >= n || seen.has(index)) {
      throw new RerankError('provider', `${provider} returned an invalid or repeated index ${index}`);
    }
    seen.add(index);
    out[index] = score;
  }
  return out;
}

/** `Authorization: Bearer` header when a key is set. */
export function bearer(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** Join a base URL and a path without doubling slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
