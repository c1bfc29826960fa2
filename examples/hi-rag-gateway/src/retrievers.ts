// The two retrieval modes behind the gateway.
import type { HiRagHit } from '@pmoves/rerank';
import type { Retriever } from './app';
import type { SampleIndex } from './sample-index';
import { queryUpstream } from './upstream';

/** Sample mode: the shipped index; the reranker scores each chunk's drawn thumbnail (a file the gateway wrote). */
export function sampleRetriever(index: SampleIndex): Retriever {
  return {
    mode: 'sample',
    async retrieve(req) {
      return index.retrieve({
        query: req.query,
        namespace: req.namespace,
        alpha: req.alpha,
        entityTypes: req.entity_types ?? null,
      });
    },
    rerankImage: (hit) => index.thumbnailFile(hit.chunk_id),
    thumbnail: (file) => index.thumbnail(file),
    describe: () => ({ mode: 'sample', sample_namespace: index.namespace }),
  };
}

/** Payload keys upstream's hits carry an image URL in, tried in order (as @pmoves/rerank's adapter does). */
export const IMAGE_KEYS = ['thumbnail_url', 'thumb_url', 'image_url', 'poster_url', 'thumbnail', 'image'];

/** The first http(s) URL among a hit's image keys. Anything else (a path, `file:`, `data:`) is ignored. */
export function payloadImageUrl(hit: HiRagHit): string | undefined {
  const payload = (hit.payload ?? {}) as Record<string, unknown>;
  for (const key of IMAGE_KEYS) {
    const v = payload[key];
    if (typeof v === 'string' && /^https?:\/\//i.test(v)) return v;
  }
  return undefined;
}

/** Sidecar mode: an upstream hi-rag-gateway-v2 retrieves (`use_rerank: false`), this gateway reranks. */
export function sidecarRetriever(upstreamUrl: string, timeoutMs: number): Retriever {
  return {
    mode: 'sidecar',
    retrieve: (req, poolSize, signal) =>
      queryUpstream(
        upstreamUrl,
        {
          query: req.query,
          namespace: req.namespace,
          k: poolSize,
          alpha: req.alpha,
          entity_types: req.entity_types ?? null,
        },
        { timeoutMs, signal },
      ),
    rerankImage: payloadImageUrl,
    describe: () => ({ mode: 'sidecar', upstream: new URL(upstreamUrl).origin }),
  };
}
