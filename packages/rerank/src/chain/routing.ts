// Which candidates a provider can score, from the modalities it declares. The chain sends a
// provider only those, and skips it (without charging its breaker) when there are none.
import type { Candidate, Modality, RerankProvider, RerankQuery } from '../types';

/** The modalities a query offers: its text, its image. */
function queryModalities(query: RerankQuery): Modality[] {
  if (typeof query === 'string') return ['text'];
  const out: Modality[] = [];
  if (query.text) out.push('text');
  if (query.image !== undefined) out.push('image');
  return out;
}

/** The modalities a candidate offers: `text`, and `image` for an image or a precomputed embedding. */
function candidateModalities(c: Candidate): Modality[] {
  const out: Modality[] = [];
  if (c.text) out.push('text');
  if (c.image !== undefined || c.embedding !== undefined) out.push('image');
  return out;
}

/** A provider's route through one request: the candidate indices it can score, or why it cannot. */
export type Route = { indices: number[] } | { skip: string };

/** Where `provider` can go in this request. */
export function routeFor(provider: RerankProvider, query: RerankQuery, candidates: Candidate[]): Route {
  const can = (ms: Modality[]) => ms.some((m) => provider.modalities.includes(m));
  const accepted = provider.modalities.join('/');
  if (!can(queryModalities(query))) return { skip: `it scores ${accepted} and the query has none` };
  const indices: number[] = [];
  candidates.forEach((c, i) => {
    if (can(candidateModalities(c))) indices.push(i);
  });
  if (indices.length === 0) return { skip: `it scores ${accepted} and no candidate has any` };
  return { indices };
}

/** The warning of a candidate the provider cannot score. */
export const unroutedWarning = (provider: RerankProvider) =>
  `${provider.id} scores ${provider.modalities.join('/')} only and this candidate has none`;
