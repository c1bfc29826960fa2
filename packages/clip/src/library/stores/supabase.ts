// Supabase through supabase-js (PostgREST): rows go to the migration's table with upsert/delete,
// searches call the migration's `match_…` function with `rpc`. PostgREST runs no DDL, so the
// migration is applied once with the Supabase CLI or SQL editor. `@supabase/supabase-js` is an
// optional peer dependency, loaded on first use.
import { ClipError } from '../../errors';
import { entryFromRow, optionalPeer, spaceOfRow, toRow } from '../row';
import { parseVector, sqlNames, storeError, vectorText, DEFAULT_EF_SEARCH, type SqlLayout } from '../sql';
import type { ClipVectorStore } from '../types';

/** Options of {@link createSupabaseClipStore}. */
export interface SupabaseClipStoreOptions extends SqlLayout {
  /** Project URL (`SUPABASE_URL`). */
  url: string;
  /** Service-role key (`SUPABASE_SERVICE_ROLE_KEY`), or a key whose row-level security allows writes. Never logged. */
  key: string;
  /** Per-request timeout, ms. Default 30000. */
  timeoutMs?: number;
  /** Schema PostgREST exposes the table in. Default `public`. */
  schema?: string;
  /** HNSW candidates per query, passed to the match function. Default 100. */
  efSearch?: number;
}

/**
 * supabase-js builds a Realtime client eagerly and, on Node < 22 (no global WebSocket), throws
 * unless given a transport; this store never uses Realtime, so the transport refuses to be built.
 */
class NoRealtimeTransport {
  constructor() {
    throw new Error('the @pmoves/clip index does not use Supabase Realtime');
  }
}

const COLUMNS = 'asset_id,model,dtype,preprocessing,content_hash,metadata';
const BATCH = 200;

type Result = { data: unknown; error: { message: string; code?: string } | null };

/**
 * The part of supabase-js's query builder used here, untyped: its select-string types are for a
 * generated schema and too deep for a table named at run time.
 */
interface Query extends PromiseLike<Result> {
  select(columns: string): Query;
  upsert(rows: object[], options: { onConflict: string }): Query;
  delete(): Query;
  eq(column: string, value: string): Query;
  gt(column: string, value: string): Query;
  in(column: string, values: string[]): Query;
  order(column: string): Query;
  limit(n: number): Query;
  retry(enabled: boolean): Query;
}

/** PostgREST `in.(…)` lists cannot carry a double quote or backslash as supabase-js writes them. */
const plainId = (id: string) => !/["\\]/.test(id);

/**
 * Supabase (pgvector) store over PostgREST. Checks on open that the table is reachable, naming the
 * migration to apply when it is not.
 *
 * @throws ClipError `store` (unreachable, table missing), `not-found` (supabase-js not installed)
 */
export async function createSupabaseClipStore(options: SupabaseClipStoreOptions): Promise<ClipVectorStore> {
  const { table, fn, dims } = sqlNames(options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
  if (!/^https?:\/\//.test(options.url ?? '')) {
    throw new ClipError('invalid-input', 'Supabase index store needs an http(s) project URL');
  }
  if (typeof options.key !== 'string' || options.key.length === 0) {
    throw new ClipError('invalid-input', 'Supabase index store needs a key (SUPABASE_SERVICE_ROLE_KEY)');
  }
  const { createClient } = await optionalPeer(
    () => import('@supabase/supabase-js'),
    '@supabase/supabase-js',
    'Supabase',
  );
  const client = createClient(options.url, options.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { schema: options.schema ?? 'public' },
    realtime: { transport: NoRealtimeTransport as never },
    global: {
      fetch: (input, init) => {
        const t = AbortSignal.timeout(timeoutMs);
        return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, t]) : t });
      },
    },
  });
  const check = async (what: string, p: PromiseLike<Result>): Promise<unknown> => {
    let r: Result;
    try {
      r = await p;
    } catch (err) {
      throw storeError('supabase', what, err);
    }
    if (r.error) {
      const code = r.error.code ? ` (${r.error.code})` : '';
      throw new ClipError(
        'store',
        `supabase index store: ${what} on ${table} failed: ${r.error.message}${code}`,
        {
          cause: r.error,
        },
      );
    }
    return r.data;
  };
  /** Run `query` over `ids` in `in.(…)` batches, ids with quote characters one by one (`eq`). */
  const byIds = async (
    what: string,
    ids: readonly string[],
    query: (ids: { in: string[] } | { eq: string }) => PromiseLike<Result>,
  ): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    const add = (data: unknown) => out.push(...((data as Record<string, unknown>[] | null) ?? []));
    const plain = ids.filter(plainId);
    for (let at = 0; at < plain.length; at += BATCH)
      add(await check(what, query({ in: plain.slice(at, at + BATCH) })));
    for (const id of ids.filter((i) => !plainId(i))) add(await check(what, query({ eq: id })));
    return out;
  };
  const idFilter = (q: Query, ids: { in: string[] } | { eq: string }): Query =>
    'in' in ids ? q.in('asset_id', ids.in) : q.eq('asset_id', ids.eq);
  const from = (name: string) => client.from(name) as unknown as Query;

  try {
    await check('table check', from(table).select('asset_id').limit(1).retry(false));
  } catch (err) {
    throw new ClipError(
      'store',
      `${(err as Error).message}; apply migrations/001_clip_embeddings.sql (clipIndexMigrationSql()) to the project`,
      { cause: err },
    );
  }

  return {
    kind: 'supabase',
    dims,
    async upsert(rows) {
      for (let at = 0; at < rows.length; at += BATCH) {
        const now = new Date().toISOString();
        const body = rows
          .slice(at, at + BATCH)
          .map((r) => ({ ...toRow(r), embedding: vectorText(r.embedding), updated_at: now }));
        await check('upsert', from(table).upsert(body, { onConflict: 'namespace,asset_id' }));
      }
    },
    async remove(namespace, ids) {
      await byIds('remove', ids, (part) => idFilter(from(table).delete().eq('namespace', namespace), part));
    },
    async get(namespace, ids) {
      const rows = await byIds('get', ids, (part) =>
        idFilter(from(table).select(`${COLUMNS},embedding`).eq('namespace', namespace), part).retry(false),
      );
      return rows.map((r) => ({
        ...entryFromRow(namespace, r),
        embedding: parseVector(r.embedding, dims, 'supabase'),
      }));
    },
    async search(query, s) {
      const rows = (await check(
        'search',
        (client as unknown as { rpc(f: string, args: object): PromiseLike<Result> }).rpc(fn, {
          query_embedding: vectorText(query),
          match_count: s.k,
          match_namespace: s.namespace,
          match_model: s.model,
          match_filter: s.filter ?? {},
          ef_search: efSearch,
        }),
      )) as Record<string, unknown>[] | null;
      return (rows ?? []).map((r) => ({ ...entryFromRow(s.namespace, r), score: Number(r.score) }));
    },
    async spaceOf(namespace) {
      const rows = (await check(
        'space lookup',
        from(table).select('model,dtype,preprocessing').eq('namespace', namespace).limit(1).retry(false),
      )) as Record<string, unknown>[] | null;
      const r = rows?.[0];
      return r ? spaceOfRow(r) : undefined;
    },
    async *list(namespace) {
      let after: string | undefined;
      for (;;) {
        let q = from(table).select(COLUMNS).eq('namespace', namespace);
        if (after !== undefined) q = q.gt('asset_id', after);
        const rows = ((await check('list', q.order('asset_id').limit(1000).retry(false))) ?? []) as Record<
          string,
          unknown
        >[];
        for (const r of rows) yield entryFromRow(namespace, r);
        if (rows.length < 1000) return;
        after = String(rows[rows.length - 1]!.asset_id);
      }
    },
    async close() {
      await client.removeAllChannels().catch(() => undefined);
    },
  };
}
