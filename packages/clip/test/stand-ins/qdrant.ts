// A loopback Qdrant stand-in (Qdrant cannot be installed here): the REST endpoints
// @qdrant/js-client-rest calls for collections and points, with Qdrant's request and response
// shapes (`{ result, status: 'ok', time }`, errors as `{ status: { error } }`), named vectors,
// cosine scores (vectors normalised on insert, as Qdrant does), `must`/`must_not` filters with
// `match.value` on dotted payload keys, and scroll paging by point id. Search is an exact scan.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Point {
  id: string | number;
  vector: Record<string, number[]>;
  payload: Record<string, unknown>;
}

interface Collection {
  vectors: Record<string, { size: number; distance: string }>;
  points: Map<string, Point>;
  indexes: Record<string, unknown>;
}

type Condition = { key: string; match: { value: unknown } };
type Filter = { must?: Condition[]; must_not?: Condition[]; should?: Condition[] };

export interface QdrantStandIn {
  url: string;
  collections: Map<string, Collection>;
  requests: { method: string; path: string; body: unknown }[];
  /** Create a collection directly (e.g. a foreign one with another vector size). */
  seed(name: string, vectors: Collection['vectors']): void;
  close(): Promise<void>;
}

class QdrantError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function valueAt(payload: Record<string, unknown>, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      payload,
    );
}

function passes(p: Point, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const ok = (c: Condition) => {
    if (!c.match || !('value' in c.match))
      throw new QdrantError(400, 'Format error in JSON body: unsupported condition');
    return valueAt(p.payload, c.key) === c.match.value;
  };
  return (
    (filter.must ?? []).every(ok) &&
    !(filter.must_not ?? []).some(ok) &&
    (!filter.should?.length || filter.should.some(ok))
  );
}

function normalise(v: number[]): number[] {
  const n = Math.hypot(...v);
  return n > 0 ? v.map((x) => x / n) : v;
}

export async function startQdrantStandIn(): Promise<QdrantStandIn> {
  const collections = new Map<string, Collection>();
  const requests: QdrantStandIn['requests'] = [];
  let op = 0;
  const done = () => ({ operation_id: ++op, status: 'completed' });
  const get = (name: string): Collection => {
    const c = collections.get(name);
    if (!c) throw new QdrantError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  };
  const checkVector = (c: Collection, name: string, v: unknown): number[] => {
    const conf = c.vectors[name];
    if (!conf) throw new QdrantError(400, `Wrong input: Not existing vector name error: ${name}`);
    if (!Array.isArray(v) || v.length !== conf.size) {
      throw new QdrantError(
        400,
        `Wrong input: Vector dimension error: expected dim: ${conf.size}, got ${Array.isArray(v) ? v.length : 0}`,
      );
    }
    return v as number[];
  };
  const view = (p: Point, withPayload: unknown, withVector: unknown) => ({
    id: p.id,
    ...(withPayload ? { payload: p.payload } : {}),
    ...(withVector === true
      ? { vector: p.vector }
      : Array.isArray(withVector)
        ? { vector: Object.fromEntries(withVector.map((n: string) => [n, p.vector[n]])) }
        : {}),
  });

  const routes: [string, RegExp, (m: RegExpExecArray, body: Record<string, unknown>) => unknown][] = [
    [
      'GET',
      /^\/$/,
      () => ({ raw: { title: 'qdrant - vector search engine (stand-in)', version: '1.12.0' } }),
    ],
    ['GET', /^\/collections\/([^/]+)\/exists$/, (m) => ({ exists: collections.has(m[1]!) })],
    [
      'GET',
      /^\/collections\/([^/]+)$/,
      (m) => {
        const c = get(m[1]!);
        return {
          status: 'green',
          optimizer_status: 'ok',
          points_count: c.points.size,
          indexed_vectors_count: 0,
          segments_count: 1,
          config: {
            params: {
              vectors: c.vectors,
              shard_number: 1,
              replication_factor: 1,
              write_consistency_factor: 1,
              on_disk_payload: true,
            },
            hnsw_config: {
              m: 16,
              ef_construct: 100,
              full_scan_threshold: 10000,
              max_indexing_threads: 0,
              on_disk: false,
            },
            optimizer_config: {
              deleted_threshold: 0.2,
              vacuum_min_vector_number: 1000,
              default_segment_number: 0,
              flush_interval_sec: 5,
            },
            wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
          },
          payload_schema: c.indexes,
        };
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)$/,
      (m, b) => {
        if (collections.has(m[1]!))
          throw new QdrantError(400, `Wrong input: Collection \`${m[1]}\` already exists!`);
        const vectors = b.vectors as Collection['vectors'];
        if (!vectors || typeof vectors !== 'object' || 'size' in vectors) {
          throw new QdrantError(400, 'stand-in: only named vectors are supported');
        }
        collections.set(m[1]!, { vectors, points: new Map(), indexes: {} });
        return true;
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/index$/,
      (m, b) => {
        get(m[1]!).indexes[String(b.field_name)] = { data_type: b.field_schema, points: 0 };
        return done();
      },
    ],
    [
      'PUT',
      /^\/collections\/([^/]+)\/points$/,
      (m, b) => {
        const c = get(m[1]!);
        const points = b.points as Point[];
        if (!Array.isArray(points))
          throw new QdrantError(400, 'Format error in JSON body: missing field `points`');
        for (const p of points) {
          if (
            typeof p.id !== 'number' &&
            !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(p.id))
          ) {
            throw new QdrantError(
              400,
              `Format error in JSON body: value ${String(p.id)} is not a valid point ID`,
            );
          }
          const vector: Record<string, number[]> = {};
          for (const [name, v] of Object.entries(p.vector ?? {}))
            vector[name] = normalise(checkVector(c, name, v));
          c.points.set(String(p.id), { id: p.id, vector, payload: p.payload ?? {} });
        }
        return done();
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points$/,
      (m, b) => {
        const c = get(m[1]!);
        return ((b.ids as unknown[]) ?? []).flatMap((id) => {
          const p = c.points.get(String(id));
          return p ? [view(p, b.with_payload ?? true, b.with_vector)] : [];
        });
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/delete$/,
      (m, b) => {
        const c = get(m[1]!);
        if (Array.isArray(b.points)) for (const id of b.points) c.points.delete(String(id));
        else if (b.filter)
          for (const [k, p] of c.points) if (passes(p, b.filter as Filter)) c.points.delete(k);
        return done();
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/scroll$/,
      (m, b) => {
        const c = get(m[1]!);
        const limit = Number(b.limit ?? 10);
        const sorted = [...c.points.values()]
          .filter((p) => passes(p, b.filter as Filter))
          .sort((x, y) => (String(x.id) < String(y.id) ? -1 : 1));
        const start =
          b.offset === undefined || b.offset === null
            ? 0
            : sorted.findIndex((p) => String(p.id) >= String(b.offset));
        const page = start < 0 ? [] : sorted.slice(start, start + limit);
        const next = start >= 0 ? sorted[start + limit] : undefined;
        return {
          points: page.map((p) => view(p, b.with_payload ?? true, b.with_vector)),
          next_page_offset: next ? next.id : null,
        };
      },
    ],
    [
      'POST',
      /^\/collections\/([^/]+)\/points\/query$/,
      (m, b) => {
        const c = get(m[1]!);
        const using = String(b.using ?? '');
        const q = normalise(checkVector(c, using, b.query));
        const scored = [...c.points.values()]
          .filter((p) => p.vector[using] && passes(p, b.filter as Filter))
          .map((p) => ({ p, score: p.vector[using]!.reduce((s, x, i) => s + x * q[i]!, 0) }))
          .sort((x, y) => y.score - x.score)
          .slice(Number(b.offset ?? 0), Number(b.offset ?? 0) + Number(b.limit ?? 10));
        return {
          points: scored.map(({ p, score }) => ({
            ...view(p, b.with_payload, b.with_vector),
            version: op,
            score,
          })),
        };
      },
    ],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    requests.push({ method: req.method ?? '', path: url.pathname, body });
    for (const [method, re, fn] of routes) {
      const m = re.exec(url.pathname);
      if (!m || method !== req.method) continue;
      const result = fn(m, body) as { raw?: unknown };
      const out =
        result && typeof result === 'object' && 'raw' in result
          ? result.raw
          : { result, status: 'ok', time: 0.0001 };
      const json = JSON.stringify(out);
      res.writeHead(200, { 'content-type': 'application/json' }).end(json);
      return;
    }
    throw new QdrantError(404, `stand-in: no route ${req.method} ${url.pathname}`);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof QdrantError ? err.status : 500;
      const json = JSON.stringify({ status: { error: (err as Error).message }, time: 0 });
      res.writeHead(status, { 'content-type': 'application/json' }).end(json);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    collections,
    requests,
    seed(name, vectors) {
      collections.set(name, { vectors, points: new Map(), indexes: {} });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
