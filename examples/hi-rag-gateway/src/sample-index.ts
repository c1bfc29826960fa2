// Sample mode: a small index shipped with the gateway, scored as upstream scores Qdrant's hits —
// `alpha·vector + (1−alpha)·lexical`, plus GRAPH_BOOST when the text contains a graph term.
// There is no embedding model in sample mode: the vector score is the cosine of TF-IDF vectors
// over the index (a stand-in for Qdrant's dense score), the lexical score is upstream's
// `token_set_ratio/100`, and the graph terms come from the index's entity dictionary (a stand-in
// for Neo4j's), matched with upstream's rule.
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HiRagHit } from '@pmoves/rerank';
import { z } from 'zod';
import { tokenSetRatio } from './lexical';
import { drawThumbnail, ThumbnailSpecSchema } from './thumbnails';
import { describeZodIssues } from '@pmoves/internal';

/** The shipped sample index. */
export const SAMPLE_INDEX_PATH = fileURLToPath(new URL('../sample/index.json', import.meta.url));

const SampleIndexSchema = z.object({
  namespace: z.string().min(1),
  entities: z.record(z.string(), z.array(z.string().min(1))).default({}),
  chunks: z
    .array(
      z.strictObject({
        chunk_id: z.string().min(1),
        text: z.string().min(1),
        payload: z.record(z.string(), z.unknown()).default({}),
        thumbnail: ThumbnailSpecSchema.optional(),
      }),
    )
    .min(1),
});

/** A query as the sample retriever takes it. */
export interface SampleQuery {
  query: string;
  namespace: string;
  alpha: number;
  entityTypes?: string[] | null;
}

/** A loaded sample index. */
export interface SampleIndex {
  /** Namespace its chunks belong to. */
  readonly namespace: string;
  /** Every chunk scored for the query (upstream scores its Qdrant hits the same way), unsorted. */
  retrieve(q: SampleQuery): HiRagHit[];
  /** A thumbnail's PNG bytes by file name (`sample-01.png`), for `GET /sample/thumbnails/:file`. */
  thumbnail(file: string): Buffer | undefined;
  /** Path of a chunk's thumbnail file, for the reranker (internal, never sent to clients). */
  thumbnailFile(chunkId: string): string | undefined;
  /** The directory the thumbnails are drawn into: the CLIP provider's media root in sample mode. */
  readonly thumbnailDir: string;
  /** Every drawn thumbnail: its chunk, file and the chunk's `payload.title` (the demo's visual library). */
  readonly thumbnails: readonly { chunkId: string; file: string; title: string }[];
  /** Removes the thumbnail files. */
  close(): Promise<void>;
}

const terms = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Upstream's `graph_terms`: entity values containing a query token of more than 2 characters (at most 8). */
export function graphTerms(
  query: string,
  entities: Record<string, string[]>,
  entityTypes?: string[] | null,
  limit = 8,
): string[] {
  const toks = query
    .split(/\W+/u)
    .filter((t) => t.length > 2)
    .map((t) => t.toLowerCase());
  if (toks.length === 0) return [];
  const types = entityTypes?.length ? new Set(entityTypes.map((t) => t.toUpperCase())) : null;
  const out = new Set<string>();
  for (const [type, values] of Object.entries(entities)) {
    if (types && !types.has(type.toUpperCase())) continue;
    for (const v of values) {
      if (toks.some((t) => v.toLowerCase().includes(t))) {
        out.add(v);
        if (out.size >= limit) return [...out];
      }
    }
  }
  return [...out];
}

/** Loads the index (the shipped one by default) and draws its thumbnails into a temporary directory. */
export async function loadSampleIndex(
  opts: { path?: string; graphBoost?: number } = {},
): Promise<SampleIndex> {
  const path = opts.path ?? SAMPLE_INDEX_PATH;
  const parsed = SampleIndexSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success)
    throw new Error(`sample index ${path} is invalid: ${describeZodIssues(parsed.error.issues)}`);
  const index = parsed.data;
  const graphBoost = opts.graphBoost ?? 0.15;

  // TF-IDF (smoothed idf, l2-normalised) over the chunks' texts.
  const docs = index.chunks.map((c) => terms(c.text));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => Math.log((docs.length + 1) / ((df.get(t) ?? 0) + 1)) + 1;
  const vectorOf = (tokens: string[]) => {
    const tf = new Map<string, number>();
    for (const t of tokens) if (df.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
    const v = new Map([...tf].map(([t, n]) => [t, n * idf(t)]));
    const norm = Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
    if (norm > 0) for (const [t, x] of v) v.set(t, x / norm);
    return v;
  };
  const chunkVectors = docs.map(vectorOf);

  const dir = await mkdtemp(join(tmpdir(), 'pmoves-hirag-sample-'));
  const pngs = new Map<string, Buffer>();
  const files = new Map<string, string>();
  for (const c of index.chunks) {
    if (!c.thumbnail) continue;
    const png = await drawThumbnail(c.thumbnail);
    const name = `${c.chunk_id}.png`;
    await writeFile(join(dir, name), png);
    pngs.set(name, png);
    files.set(c.chunk_id, join(dir, name));
  }

  return {
    namespace: index.namespace,
    retrieve(q) {
      if (q.namespace !== index.namespace) return [];
      const qv = vectorOf(terms(q.query));
      const gterms =
        graphBoost > 0 ? graphTerms(q.query, index.entities, q.entityTypes).map((t) => t.toLowerCase()) : [];
      return index.chunks.map((c, i) => {
        let vec = 0;
        for (const [t, x] of qv) vec += x * (chunkVectors[i]!.get(t) ?? 0);
        const lex = tokenSetRatio(q.query, c.text) / 100;
        const graphMatch = gterms.some((t) => c.text.toLowerCase().includes(t));
        return {
          chunk_id: c.chunk_id,
          text: c.text,
          score: q.alpha * vec + (1 - q.alpha) * lex + (graphMatch ? graphBoost : 0),
          graph_match: graphMatch,
          payload: {
            ...c.payload,
            namespace: index.namespace,
            ...(files.has(c.chunk_id) ? { thumbnail_url: `/sample/thumbnails/${c.chunk_id}.png` } : {}),
          },
          persona: null,
        };
      });
    },
    thumbnail: (file) => pngs.get(file),
    thumbnailFile: (chunkId) => files.get(chunkId),
    thumbnailDir: dir,
    thumbnails: index.chunks
      .filter((c) => files.has(c.chunk_id))
      .map((c) => ({
        chunkId: c.chunk_id,
        file: files.get(c.chunk_id)!,
        title: typeof c.payload.title === 'string' ? c.payload.title : c.chunk_id,
      })),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
