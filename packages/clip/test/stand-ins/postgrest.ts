// A loopback PostgREST stand-in (PostgREST itself cannot be installed here): the subset of its
// HTTP interface supabase-js uses, translated to SQL on a PGlite database with the real pgvector
// extension, so the migration's table and match function really run. Wire format as PostgREST
// documents it: `GET /rest/v1/T?select=…&col=op.value&order=…&limit=…`, `POST /rest/v1/T` with
// `Prefer: resolution=merge-duplicates` and `?on_conflict=`, `DELETE /rest/v1/T?filters`,
// `POST /rest/v1/rpc/FN` with named arguments as a JSON object; errors as
// `{ code, message, details, hint }`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

export interface PostgrestStandIn {
  url: string;
  key: string;
  requests: { method: string; path: string; query: URLSearchParams; prefer?: string }[];
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

function ident(name: string): string {
  if (!IDENT.test(name)) throw new HttpError(400, { code: 'PGRST100', message: `bad identifier ${name}` });
  return `"${name}"`;
}

/** `in.(a,"b,c")` → ['a', 'b,c'] (PostgREST's list syntax). */
function parseList(text: string): string[] {
  const inner = text.replace(/^\(/, '').replace(/\)$/, '');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < inner.length) cur += inner[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (inner.length > 0) out.push(cur);
  return out;
}

/** WHERE clause from the query string's column filters. */
function where(query: URLSearchParams, params: unknown[]): string {
  const parts: string[] = [];
  for (const [col, raw] of query) {
    if (RESERVED.has(col)) continue;
    const dot = raw.indexOf('.');
    const op = raw.slice(0, dot);
    const value = raw.slice(dot + 1);
    if (op === 'in') {
      params.push(JSON.stringify(parseList(value)));
      parts.push(`${ident(col)}::text in (select jsonb_array_elements_text($${params.length}::jsonb))`);
    } else if (OPS[op]) {
      params.push(value);
      parts.push(`${ident(col)} ${OPS[op]} $${params.length}`);
    } else throw new HttpError(400, { code: 'PGRST100', message: `unsupported operator ${op}` });
  }
  return parts.length ? `where ${parts.join(' and ')}` : '';
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function send(res: ServerResponse, status: number, data?: unknown): void {
  if (data === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(data);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startPostgrestStandIn(
  db: PGlite,
  key = 'service-role-test-key',
): Promise<PostgrestStandIn> {
  const requests: PostgrestStandIn['requests'] = [];
  const rows = async (sql: string, params: unknown[]): Promise<unknown[]> => {
    const r = await db.query<{ j: unknown[] }>(
      `select coalesce(json_agg(t), '[]'::json) as j from (${sql}) t`,
      params,
    );
    return r.rows[0]!.j;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefer = req.headers.prefer as string | undefined;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      ...(prefer ? { prefer } : {}),
    });
    if (req.headers.apikey !== key || req.headers.authorization !== `Bearer ${key}`) {
      throw new HttpError(401, { code: 'PGRST301', message: 'JWT invalid' });
    }
    const rpc = /^\/rest\/v1\/rpc\/([a-z_][a-z0-9_]*)$/.exec(url.pathname);
    if (rpc && req.method === 'POST') {
      const args = ((await body(req)) ?? {}) as Record<string, unknown>;
      const params: unknown[] = [];
      const named = Object.entries(args).map(([k, v]) => {
        params.push(v === null ? null : typeof v === 'object' ? JSON.stringify(v) : v);
        return `${ident(k)} => $${params.length}`;
      });
      return send(res, 200, await rows(`select * from ${ident(rpc[1]!)}(${named.join(', ')})`, params));
    }
    const table = /^\/rest\/v1\/([a-z_][a-z0-9_]*)$/.exec(url.pathname)?.[1];
    if (!table) throw new HttpError(404, { code: 'PGRST125', message: `Invalid path ${url.pathname}` });
    const exists = await db.query('select to_regclass($1) as t', [table]);
    if (!(exists.rows[0] as { t: unknown }).t) {
      throw new HttpError(404, {
        code: 'PGRST205',
        message: `Could not find the table 'public.${table}' in the schema cache`,
      });
    }
    const q = url.searchParams;
    if (req.method === 'GET') {
      const params: unknown[] = [];
      const cols = (q.get('select') ?? '*').split(',').map((c) => (c === '*' ? '*' : ident(c)));
      let sql = `select ${cols.join(', ')} from ${ident(table)} ${where(q, params)}`;
      const order = q.get('order');
      if (order) {
        sql += ` order by ${order
          .split(',')
          .map((o) => {
            const [c, dir] = o.split('.');
            return `${ident(c!)} ${dir === 'desc' ? 'desc' : 'asc'}`;
          })
          .join(', ')}`;
      }
      if (q.get('limit')) sql += ` limit ${Number(q.get('limit'))}`;
      if (q.get('offset')) sql += ` offset ${Number(q.get('offset'))}`;
      return send(res, 200, await rows(sql, params));
    }
    if (req.method === 'POST') {
      const data = await body(req);
      const list = (Array.isArray(data) ? data : [data]) as Record<string, unknown>[];
      const columns = [...new Set(list.flatMap((r) => Object.keys(r)))];
      const conflict = q.get('on_conflict')?.split(',') ?? [];
      const merge = /resolution=merge-duplicates/.test(prefer ?? '');
      const cols = columns.map(ident).join(', ');
      let sql = `insert into ${ident(table)} (${cols}) select ${cols} from json_populate_recordset(null::${ident(table)}, $1::json)`;
      if (merge && conflict.length) {
        const updates = columns
          .filter((c) => !conflict.includes(c))
          .map((c) => `${ident(c)} = excluded.${ident(c)}`);
        sql += ` on conflict (${conflict.map(ident).join(', ')}) do update set ${updates.join(', ')}`;
      }
      await db.query(sql, [JSON.stringify(list)]);
      return send(res, 201, /return=representation/.test(prefer ?? '') ? list : undefined);
    }
    if (req.method === 'DELETE') {
      const params: unknown[] = [];
      const w = where(q, params);
      if (!w) throw new HttpError(400, { code: '21000', message: 'DELETE requires a WHERE clause' });
      await db.query(`delete from ${ident(table)} ${w}`, params);
      return send(res, 204);
    }
    throw new HttpError(405, { code: 'PGRST117', message: `Unsupported HTTP method: ${req.method}` });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return send(res, err.status, { details: null, hint: null, ...err.body });
      const e = err as { code?: string; message?: string; detail?: string; hint?: string };
      send(res, 400, {
        code: e.code ?? 'XX000',
        message: e.message ?? String(err),
        details: e.detail ?? null,
        hint: e.hint ?? null,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    key,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
