import { createClient } from '@supabase/supabase-js';
import { QwenAudioError } from '../errors';
import { parseRecord, rowToStored } from './row';
import type { AudioAnalysisStore } from './types';

/** Options for {@link createSupabaseStore}. */
export interface SupabaseStoreOptions {
  /** Project URL (`SUPABASE_URL`). */
  url: string;
  /** Service-role key (`SUPABASE_SERVICE_ROLE_KEY`) — or an anon key if RLS allows writes. Never logged. */
  key: string;
  /** Per-request timeout in ms; default 10000. */
  timeoutMs?: number;
  /** Postgres schema exposed by PostgREST; default `public`. */
  schema?: string;
}

const TABLE = 'media_audio_analysis';

/**
 * supabase-js builds a Realtime client eagerly and, on Node < 22 (no global WebSocket), throws unless
 * given a transport. This store only uses PostgREST, so the transport refuses to be used.
 */
class NoRealtimeTransport {
  constructor() {
    throw new Error('@pmoves/qwen-audio does not use Supabase Realtime');
  }
}

/**
 * `AudioAnalysisStore` on Supabase through `@supabase/supabase-js` (PostgREST): upserts on
 * `item_id`. The table comes from the shipped migration, applied with the Supabase CLI or SQL
 * editor — PostgREST cannot run DDL, so `migrate()` only checks that the table is reachable.
 */
export function createSupabaseStore(opts: SupabaseStoreOptions): AudioAnalysisStore {
  let origin: string;
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    origin = u.origin;
  } catch {
    throw new QwenAudioError('invalid-input', 'url must be the http(s) URL of the Supabase project');
  }
  if (!opts.key) throw new QwenAudioError('invalid-input', 'key must be a Supabase key');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // Requests below use .retry(false): postgrest-js would otherwise retry timed-out GETs with 1-4 s
  // back-off, multiplying the timeout; a failed item is recorded and retried by the next backfill.
  const client = createClient(opts.url, opts.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { schema: opts.schema ?? 'public' },
    realtime: { transport: NoRealtimeTransport as never },
    global: {
      fetch: (input, init) => {
        const t = AbortSignal.timeout(timeoutMs);
        return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, t]) : t });
      },
    },
  });
  const fail = (what: string, error: { message: string; code?: string }): never => {
    throw new QwenAudioError(
      'store',
      `Supabase ${what} on ${TABLE} failed: ${error.message}${error.code ? ` (${error.code})` : ''}`,
      {
        cause: error,
      },
    );
  };
  return {
    identity: `supabase ${origin}`, // as storeIdentity() names it
    async migrate() {
      // Selecting the newest column checks every migration was applied.
      const { error } = await client.from(TABLE).select('item_id,transcript').limit(1).retry(false);
      if (error) {
        fail('table check', {
          message: `${error.message}; apply migrations 001_media_audio_analysis.sql and 002_transcript.sql (together exported as MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL) to the project`,
          code: error.code,
        });
      }
    },
    async get(itemId) {
      const { data, error } = await client
        .from(TABLE)
        .select('*')
        .eq('item_id', itemId)
        .maybeSingle()
        .retry(false);
      if (error) fail('read', error);
      if (!data) return null;
      return rowToStored(data as Record<string, unknown>, 'Supabase');
    },
    async upsert(input) {
      const r = parseRecord(input);
      const { error } = await client
        .from(TABLE)
        .upsert(
          {
            item_id: r.itemId,
            namespace: r.namespace,
            summary: r.summary,
            tags: r.tags,
            mood: r.mood,
            confidence: r.confidence,
            confidence_source: r.confidenceSource,
            language: r.language,
            model: r.model,
            backend: r.backend,
            prompt_version: r.promptVersion,
            audio_sha256: r.audioSha256,
            duration_seconds: r.durationSeconds,
            features: r.features,
            transcript: r.transcript,
            raw: r.raw ?? null,
            status: r.status,
            error: r.error,
            updated_at: new Date().toISOString(),
          },
          { onConflict: 'item_id' },
        )
        .retry(false);
      if (error) fail('upsert', error);
    },
    async recordFailure(f) {
      // Only these columns are sent, so a merge-duplicates upsert keeps an earlier summary and tags.
      const { error } = await client
        .from(TABLE)
        .upsert(
          {
            item_id: f.itemId,
            namespace: f.namespace ?? 'pmoves',
            model: f.model,
            backend: f.backend,
            prompt_version: f.promptVersion,
            ...(f.audioSha256 ? { audio_sha256: f.audioSha256 } : {}),
            status: 'failed',
            error: f.error,
            updated_at: new Date().toISOString(),
          },
          { onConflict: 'item_id' },
        )
        .retry(false);
      if (error) fail('failure record', error);
    },
    async close() {
      // supabase-js holds no connections.
    },
  };
}
