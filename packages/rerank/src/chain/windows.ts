// One provider over one request: pointwise providers get windows of `maxCandidatesPerCall`,
// scored with bounded parallelism (cockatiel's bulkhead) and merged back into request order.
import { bulkhead } from 'cockatiel';
import { RerankError } from '../errors';
import type { Candidate, ProviderScores, RerankProvider, RerankQuery } from '../types';

/** Score `candidates` with `provider`: one score (or null) per candidate, in order. */
export async function scoreWindows(
  provider: RerankProvider,
  query: RerankQuery,
  candidates: Candidate[],
  signal: AbortSignal,
  maxParallel: number,
): Promise<ProviderScores> {
  const n = candidates.length;
  const size = provider.pointwise && provider.maxCandidatesPerCall ? provider.maxCandidatesPerCall : n;
  const windows: { offset: number; items: Candidate[] }[] = [];
  for (let offset = 0; offset < n; offset += size)
    windows.push({ offset, items: candidates.slice(offset, offset + size) });
  const limiter = bulkhead(maxParallel, Infinity);
  const parts = await Promise.all(
    windows.map((w) =>
      limiter.execute(async () => {
        signal.throwIfAborted();
        const out = await provider.rerank({ query, candidates: w.items, signal });
        if (out.scores.length !== w.items.length) {
          throw new RerankError(
            'provider',
            `${provider.id} returned ${out.scores.length} scores for ${w.items.length} candidates`,
          );
        }
        return { w, out };
      }),
    ),
  );
  const first = parts[0]?.out;
  if (parts.some((p) => p.out.scoreKind !== first?.scoreKind)) {
    throw new RerankError('provider', `${provider.id} mixed score kinds across windows`);
  }
  const merged: ProviderScores = {
    scores: new Array<number | null>(n).fill(null),
    scoreKind: first?.scoreKind ?? 'rank',
    model: first?.model ?? provider.model ?? null,
    candidateWarnings: new Map(),
    warnings: [],
  };
  for (const { w, out } of parts) {
    out.scores.forEach((s, i) => (merged.scores[w.offset + i] = s));
    out.candidateWarnings?.forEach((msg, i) => merged.candidateWarnings!.set(w.offset + i, msg));
    merged.warnings!.push(...(out.warnings ?? []));
  }
  const metadata = parts.flatMap((p) => (p.out.metadata ? [p.out.metadata] : []));
  if (metadata.length === 1 || (metadata.length > 1 && !provider.mergeMetadata))
    merged.metadata = metadata[0];
  else if (metadata.length > 1) merged.metadata = provider.mergeMetadata!(metadata);
  if (merged.scores.every((s) => s === null)) {
    // Not a single candidate could be scored: nothing to rank on, so the next provider answers.
    const why = [...merged.candidateWarnings!.values()][0];
    throw new RerankError(
      'provider',
      `${provider.id} could not score any candidate${why ? ` (${why})` : ''}`,
    );
  }
  return merged;
}
