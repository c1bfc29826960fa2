// The publisher's and the Discord notifier's environment: their own variables plus those the
// packages read (@pmoves/rerank for CLIP, @pmoves/clip/library for the similarity index,
// @pmoves/qwen-audio for audio), validated together so one error names every bad variable.
import { clipIndexOptionsFromEnv, isClipError, type ClipIndexEnvOptions } from '@pmoves/clip/library';
import { EnvReader, envBoolean, envInteger, envSeconds, envString, envUrl, type Env } from '@pmoves/internal';
import { CLIP_SIMILARITY_MAX_ASSETS } from '@pmoves/publisher-meta';
import { isQwenAudioError, qwenAudioOptionsFromEnv } from '@pmoves/qwen-audio';
import { isRerankError, rerankerOptionsFromEnv, type RerankerEnvOptions } from '@pmoves/rerank';
import { absorb, absorbAsync, ExampleConfigError } from '../../common/src/env';

/** `NATS_URL`, shared by every service. */
export const NATS_URL_FIELD = envString('NATS_URL', 'NATS server the services connect to', {
  default: 'nats://127.0.0.1:4222',
  form: 'nats:// URL (comma-separated for a cluster)',
});

/** Reads NATS_URL: `nats://host:port` (also `tls://`, `ws(s)://`, bare `host:port`), comma-separated for a cluster. */
export function readNatsUrl(r: EnvReader): string {
  const natsUrl = r.get(NATS_URL_FIELD);
  if (!natsUrl.split(',').every((u) => /^((nats|tls|ws|wss):\/\/[^\s]+|[\w.-]+:\d+)$/i.test(u.trim())))
    r.issue(
      'NATS_URL',
      `must be a nats:// URL (or a comma-separated list); received ${JSON.stringify(natsUrl)}`,
    );
  return natsUrl;
}

/** The publisher's own variables. */
export const PUBLISHER_FIELDS = {
  libraryPath: envString('MEDIA_LIBRARY_PATH', 'where the publisher places published files (PMOVES)', {
    default: '/library/images',
    form: 'directory',
  }),
  publicBaseUrl: envUrl('MEDIA_LIBRARY_PUBLIC_BASE_URL', 'public base URL of the library (PMOVES)'),
  clip: envBoolean(
    'PUBLISHER_CLIP_ENABLE',
    'CLIP best match (default: on when CLIP_ENDPOINT, CLIP_MODEL_PATH, CLIP_MODEL, CLIP_INDEX_STORE or CLIP_INDEX_PATH is set)',
  ),
  similarK: envInteger(
    'PUBLISHER_CLIP_SIMILAR_K',
    'library assets listed in meta.clip_similarity when a CLIP index is configured',
    { default: 5, min: 1, max: CLIP_SIMILARITY_MAX_ASSETS },
  ),
  clipTimeoutMs: envSeconds('PUBLISHER_CLIP_TIMEOUT', 'budget of the CLIP best match per item', {
    default: 30,
  }),
  audioTimeoutMs: envSeconds(
    'PUBLISHER_AUDIO_TIMEOUT',
    'budget of the audio enrichment per item (an analysis here takes minutes)',
    {
      default: 600,
    },
  ),
  databaseUrl: envString('DATABASE_URL', 'PostgreSQL holding media_audio_analysis', {
    secret: true,
    form: 'postgres:// URL',
  }),
  supabaseUrl: envUrl(
    'SUPABASE_URL',
    'Supabase project holding media_audio_analysis (when DATABASE_URL is unset)',
  ),
  supabaseKey: envString('SUPABASE_SERVICE_ROLE_KEY', 'Supabase key for media_audio_analysis', {
    secret: true,
  }),
} as const;

/** The notifier's own variables. */
export const DISCORD_FIELDS = {
  webhookUrl: envUrl('DISCORD_WEBHOOK_URL', 'webhook the notifier posts to', { secret: true }),
} as const;

/** Where the stored audio analyses are. */
export type StoreConfig =
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'supabase'; url: string; key: string }
  | { kind: 'none' };

/** The publisher's configuration. */
export interface PublisherConfig {
  natsUrl: string;
  libraryPath: string;
  publicBaseUrl: string | null;
  /** Whether the CLIP hook runs. */
  clip: boolean;
  /** The environment for the CLIP hook's reranker (RERANK_PROVIDER forced to clip, no fallback). */
  clipEnv: Env;
  /** The CLIP reranker's chain (the clip provider alone), parsed from `clipEnv`; set when `clip`. */
  rerank?: RerankerEnvOptions;
  /**
   * The CLIP similarity index (`CLIP_INDEX_STORE` / `CLIP_INDEX_PATH` and the other `CLIP_INDEX_*`),
   * when one is configured and `clip` is on: it answers `clip_best_match` and `clip_similarity`.
   */
  clipIndex?: ClipIndexEnvOptions;
  /** `PUBLISHER_CLIP_SIMILAR_K`: entries of `meta.clip_similarity`. */
  similarK: number;
  clipTimeoutMs: number;
  audioTimeoutMs: number;
  /** JELLYFIN_AUDIO_QWEN_ENABLE. */
  audioAnalysis: boolean;
  store: StoreConfig;
  warnings: string[];
}

/** A reranker environment whose chain is the CLIP provider alone (its best match is CLIP's or nothing). */
export const clipRerankerEnv = (env: Env): Env => ({
  ...env,
  RERANK_ENABLE: 'true',
  RERANK_PROVIDER: 'clip',
  RERANK_FALLBACK: '',
});

/** Whether the environment names a CLIP similarity index (an unnamed one would be empty, in memory). */
export const clipIndexConfigured = (env: Env): boolean =>
  ['CLIP_INDEX_STORE', 'CLIP_INDEX_PATH'].some((v) => (env[v] ?? '').trim() !== '');

/**
 * Reads and checks the publisher's environment. Asynchronous because @pmoves/rerank's parser is
 * (it loads @pmoves/clip's parser for the `CLIP_*` variables).
 *
 * @throws ExampleConfigError naming every bad variable.
 */
export async function loadPublisherConfig(env: Env): Promise<PublisherConfig> {
  const r = new EnvReader(env);
  const natsUrl = readNatsUrl(r);
  const f = PUBLISHER_FIELDS;
  const indexSet = clipIndexConfigured(env);
  const clipSet = ['CLIP_ENDPOINT', 'CLIP_MODEL_PATH', 'CLIP_MODEL'].some((v) => r.has(v)) || indexSet;
  const clip = r.get(f.clip) ?? clipSet;
  const clipEnv = clipRerankerEnv(env);
  const rerank = clip
    ? await absorbAsync(r, 'RERANK_PROVIDER', () => rerankerOptionsFromEnv({ ...clipEnv }), isRerankError)
    : undefined;
  const clipIndex =
    clip && indexSet
      ? absorb(r, 'CLIP_INDEX_STORE', () => clipIndexOptionsFromEnv({ ...env }), isClipError)
      : undefined;
  const audio = absorb(r, '@pmoves/qwen-audio', () => qwenAudioOptionsFromEnv({ ...env }), isQwenAudioError);
  const databaseUrl = r.get(f.databaseUrl);
  const supabaseUrl = r.get(f.supabaseUrl);
  const supabaseKey = r.get(f.supabaseKey);
  if (supabaseUrl && !supabaseKey && !databaseUrl)
    r.issue('SUPABASE_SERVICE_ROLE_KEY', 'is required with SUPABASE_URL');
  const store: StoreConfig = databaseUrl
    ? { kind: 'postgres', connectionString: databaseUrl }
    : supabaseUrl && supabaseKey
      ? { kind: 'supabase', url: supabaseUrl, key: supabaseKey }
      : { kind: 'none' };
  const out: Omit<PublisherConfig, 'warnings'> = {
    natsUrl,
    libraryPath: r.get(f.libraryPath),
    publicBaseUrl: r.get(f.publicBaseUrl) ?? null,
    clip,
    clipEnv,
    ...(rerank ? { rerank } : {}),
    ...(clipIndex ? { clipIndex } : {}),
    similarK: r.get(f.similarK),
    clipTimeoutMs: r.get(f.clipTimeoutMs),
    audioTimeoutMs: r.get(f.audioTimeoutMs),
    audioAnalysis: audio?.enabled ?? false,
    store,
  };
  r.finish((message, issues) => new ExampleConfigError(message, issues));
  return { ...out, warnings: [...r.warnings] };
}

/** The notifier's configuration. */
export interface DiscordConfig {
  natsUrl: string;
  webhookUrl: string;
}

/** @throws ExampleConfigError naming every bad variable. */
export function loadDiscordConfig(env: Env): DiscordConfig {
  const r = new EnvReader(env);
  const natsUrl = readNatsUrl(r);
  const webhookUrl = r.get(DISCORD_FIELDS.webhookUrl);
  if (!r.has('DISCORD_WEBHOOK_URL')) r.issue('DISCORD_WEBHOOK_URL', 'is required (the webhook to post to)');
  r.finish((message, issues) => new ExampleConfigError(message, issues));
  return { natsUrl, webhookUrl: webhookUrl! };
}
