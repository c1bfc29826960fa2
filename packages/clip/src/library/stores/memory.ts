// An exact in-process store: every search scans every vector of the namespace. No dependencies,
// nothing persisted; the reference the approximate stores are measured against (BENCHMARKS.md).
import type { ClipVectorStore, StoredEntry, StoredVector } from '../types';
import { DEFAULT_DIMS } from '../sql';

/** Options of {@link createMemoryClipStore}. */
export interface MemoryClipStoreOptions {
  /** Vector length. Default 512. */
  dims?: number;
}

function matches(metadata: StoredVector['metadata'], filter: Readonly<Record<string, unknown>> | undefined) {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => metadata[k] === v);
}

/** Exact (brute-force) cosine search in memory. */
export function createMemoryClipStore(options: MemoryClipStoreOptions = {}): ClipVectorStore {
  const dims = options.dims ?? DEFAULT_DIMS;
  const spaces = new Map<string, Map<string, StoredVector>>();
  const ns = (namespace: string) => {
    let m = spaces.get(namespace);
    if (!m) spaces.set(namespace, (m = new Map()));
    return m;
  };
  const entry = (v: StoredVector): StoredEntry => ({
    namespace: v.namespace,
    id: v.id,
    space: { ...v.space },
    metadata: structuredClone(v.metadata),
    ...(v.contentHash !== undefined ? { contentHash: v.contentHash } : {}),
  });
  const copy = (v: StoredVector): StoredVector => ({
    ...v,
    embedding: Float32Array.from(v.embedding),
    space: { ...v.space },
    metadata: structuredClone(v.metadata),
  });
  return {
    kind: 'memory',
    dims,
    async upsert(rows) {
      for (const r of rows) ns(r.namespace).set(r.id, copy(r));
    },
    async remove(namespace, ids) {
      const m = spaces.get(namespace);
      for (const id of ids) m?.delete(id);
    },
    async get(namespace, ids) {
      const m = spaces.get(namespace);
      return ids.flatMap((id) => {
        const v = m?.get(id);
        return v ? [copy(v)] : [];
      });
    },
    async search(query, s) {
      // Top k by insertion into a short sorted list: one pass, no sort of the whole namespace.
      const top: { v: StoredVector; score: number }[] = [];
      for (const v of spaces.get(s.namespace)?.values() ?? []) {
        if (v.space.model !== s.model || !matches(v.metadata, s.filter)) continue;
        let dot = 0;
        const e = v.embedding;
        for (let i = 0; i < dims; i++) dot += e[i]! * query[i]!;
        if (top.length === s.k && dot <= top[top.length - 1]!.score) continue;
        let at = top.length;
        while (at > 0 && top[at - 1]!.score < dot) at--;
        top.splice(at, 0, { v, score: dot });
        if (top.length > s.k) top.pop();
      }
      return top.map(({ v, score }) => ({ ...entry(v), score }));
    },
    async spaceOf(namespace) {
      const first = spaces.get(namespace)?.values().next();
      return first && !first.done ? { ...first.value.space } : undefined;
    },
    async *list(namespace) {
      const m = spaces.get(namespace);
      if (!m) return;
      for (const id of [...m.keys()].sort()) {
        const v = m.get(id);
        if (v) yield entry(v);
      }
    },
    async close() {
      spaces.clear();
    },
  };
}
