// Helpers shared by the HTTP providers.
import type { z } from 'zod';
import { RerankError } from '../errors';
import type { Candidate, RerankQuery } from '../types';

/** The query's text, or a provider error when the provider is text-only and the query has none. */
export function queryText(query: RerankQuery, provider: string): string {
  const text = typeof query === 'string' ? query : query.text;
  if (!text) throw new RerankError('provider', `${provider} scores text only and the query has no text`);
  return text;
}

/** The text sent for a candidate (an image-only candidate is sent as an empty document). */
export function candidateText(c: Candidate): string {
  return c.text ?? '';
}

/** Parse a backend answer with its schema; a mismatch is a provider failure naming the field. */
export function parseAnswer<T>(schema: z.ZodType<T>, data: unknown, provider: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new RerankError(
      'provider',
      `${provider} answered an unexpected shape at ${where}: ${issue?.message}`,
    );
  }
  return parsed.data;
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
