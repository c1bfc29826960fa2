// CLIP scoring of one window: the query (text, or image) against each candidate's image, its
// precomputed embedding, or — without either — its text. A candidate that cannot be scored gets a
// warning and no score; the best image match goes into the provider metadata.
import { RerankError } from '../../errors';
import type { Candidate, ProviderScores, RerankQuery } from '../../types';
import type { EmbeddingCache } from './embedding-cache';
import type { BestMatch, ClipProviderMetadata } from './metadata';
import { clampCos, cosine, dot, unit, type Vector } from './vectors';

/** The query's unit vector: its text when it has one, else its image. */
async function queryVector(query: RerankQuery, cache: EmbeddingCache, signal: AbortSignal): Promise<Vector> {
  const q = typeof query === 'string' ? { text: query } : query;
  if (q.text) return unit((await cache.textVectors([q.text], signal))[0]!);
  const r = (await cache.imageVectors([q.image!], signal))[0]!;
  if (r instanceof Error)
    throw new RerankError('provider', `clip could not embed the query image: ${r.message}`);
  return unit(r);
}

/** Score one window of candidates. `model` names the model in the result and the best match. */
export async function scoreWithClip(
  query: RerankQuery,
  candidates: Candidate[],
  cache: EmbeddingCache,
  signal: AbortSignal,
  model: () => string | null,
): Promise<ProviderScores> {
  const qvec = await queryVector(query, cache, signal);
  const scores: (number | null)[] = new Array(candidates.length).fill(null);
  const candidateWarnings = new Map<number, string>();
  const imageSlots: number[] = [];
  const textSlots: number[] = [];
  let best: BestMatch | undefined;
  const considerBest = (c: Candidate, score: number) => {
    if (best && score <= best.score) return;
    const asset = c.metadata?.asset_id;
    best = { asset_id: typeof asset === 'string' || typeof asset === 'number' ? String(asset) : c.id, score };
  };
  candidates.forEach((c, i) => {
    if (c.embedding) {
      const v = c.embedding instanceof Float32Array ? c.embedding : Float32Array.from(c.embedding);
      if (v.length !== qvec.length) {
        candidateWarnings.set(i, `embedding has ${v.length} dimensions, the model ${qvec.length}`);
      } else {
        scores[i] = cosine(qvec, v);
        considerBest(c, scores[i]!);
      }
    } else if (c.image !== undefined) imageSlots.push(i);
    else if (c.text) textSlots.push(i);
    else candidateWarnings.set(i, 'no image, embedding or text to score');
  });
  const [imageVecs, textVecs] = await Promise.all([
    imageSlots.length
      ? cache.imageVectors(
          imageSlots.map((i) => candidates[i]!.image!),
          signal,
        )
      : [],
    textSlots.length
      ? cache.textVectors(
          textSlots.map((i) => candidates[i]!.text!),
          signal,
        )
      : [],
  ]);
  signal.throwIfAborted();
  imageSlots.forEach((slot, j) => {
    const r = imageVecs[j]!;
    if (r instanceof Error) {
      const code = (r as { code?: string }).code;
      candidateWarnings.set(slot, `image not scored (${code ?? 'error'}): ${r.message}`);
    } else {
      scores[slot] = clampCos(dot(qvec, r));
      considerBest(candidates[slot]!, scores[slot]!);
    }
  });
  textSlots.forEach((slot, j) => (scores[slot] = clampCos(dot(qvec, textVecs[j]!))));
  const name = model();
  const out: ProviderScores = { scores, scoreKind: 'similarity', model: name, candidateWarnings };
  if (best) {
    const metadata: ClipProviderMetadata = { bestMatch: name ? { ...best, model: name } : best };
    out.metadata = metadata;
  }
  return out;
}
