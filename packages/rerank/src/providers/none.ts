// `none`: keeps retrieval order. The chain marks its results degraded.
import type { RerankProvider } from '../types';

/** A provider that keeps the candidates in their given order (scores n, n−1, …, 1; kind `rank`). */
export function createNoneProvider(): RerankProvider {
  return {
    id: 'none',
    modalities: ['text', 'image'],
    pointwise: false,
    model: null,
    async rerank({ candidates }) {
      const n = candidates.length;
      return { scores: candidates.map((_, i) => n - i), scoreKind: 'rank', model: null };
    },
    status: () => ({ device: null, loaded: true }),
  };
}
