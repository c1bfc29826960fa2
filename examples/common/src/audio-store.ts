// Finding a stored audio analysis by content hash. `media_audio_analysis` rows are keyed by item id
// (the audio processor's Jellyfin id, the backfill's file path); a service that holds the file
// under another id (the publisher's published path) finds the analysis of the same bytes by the
// row's `audio_sha256`, so one content hash is analysed once. @pmoves/qwen-audio's stores read
// by item id only: these lookups find the item id of the newest successful row with the hash, and
// the store reads that row.
import type { AudioAnalysisStore, StoredAudioAnalysis } from '@pmoves/qwen-audio';

/** Finds the stored analysis of a content hash (SHA-256 hex of the audio file), or null. */
export type ContentHashLookup = (sha256: string, signal?: AbortSignal) => Promise<StoredAudioAnalysis | null>;

/** A parameterised query, as `pg.Pool#query` and PGlite's `query` both provide. */
export type SqlQuery = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

const SHA256 = /^[0-9a-f]{64}$/;

/** Quotes an SQL identifier. */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Lookup over SQL (PostgreSQL through `pg`, or PGlite): the newest `status = 'ok'` row whose
 * `audio_sha256` is the hash, read back through `store`.
 */
export function sqlContentHashLookup(
  query: SqlQuery,
  store: Pick<AudioAnalysisStore, 'get'>,
  opts: { schema?: string } = {},
): ContentHashLookup {
  const table = opts.schema ? `${ident(opts.schema)}.media_audio_analysis` : 'media_audio_analysis';
  const text = `select item_id from ${table} where audio_sha256 = $1 and status = 'ok' and summary is not null order by updated_at desc limit 1`;
  return async (sha256) => {
    if (!SHA256.test(sha256)) return null;
    const { rows } = await query(text, [sha256]);
    const itemId = rows[0]?.item_id;
    return typeof itemId === 'string' ? store.get(itemId) : null;
  };
}

/**
 * Lookup over Supabase's REST API (PostgREST: `GET /rest/v1/media_audio_analysis?audio_sha256=eq.…`),
 * with the service key as `apikey` and bearer token (never logged).
 */
export function supabaseContentHashLookup(
  opts: { url: string; key: string; timeoutMs?: number; fetch?: typeof fetch },
  store: Pick<AudioAnalysisStore, 'get'>,
): ContentHashLookup {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.url.replace(/\/+$/, '')}/rest/v1/media_audio_analysis`;
  return async (sha256, signal) => {
    if (!SHA256.test(sha256)) return null;
    const url =
      `${base}?select=item_id&audio_sha256=eq.${sha256}&status=eq.ok&summary=not.is.null` +
      '&order=updated_at.desc&limit=1';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
    const res = await doFetch(url, {
      headers: { apikey: opts.key, authorization: `Bearer ${opts.key}`, accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`Supabase lookup by audio_sha256 on media_audio_analysis answered HTTP ${res.status}`);
    }
    const rows = (await res.json()) as { item_id?: unknown }[];
    const itemId = Array.isArray(rows) ? rows[0]?.item_id : undefined;
    return typeof itemId === 'string' ? store.get(itemId) : null;
  };
}
