// The environment, read once: pure parsers that return the options the factories take. Each
// variable is one declarative field (its parser and its documentation row); one reader collects
// every bad variable so a single error names them all.
import {
  EnvReader,
  envBoolean,
  envEnum,
  envInteger,
  envMilliseconds,
  envNumber,
  envSeconds,
  envString,
  envUrl,
  envVarInfo,
  jellyfinEnvFields,
  readJellyfinEnv,
  requireJellyfin,
} from '@pmoves/internal';
import type { Env, EnvField, EnvIssue, EnvVarInfo, JellyfinOptions } from '@pmoves/internal';
import { QwenAudioError } from '../errors';
import type { QwenAudioAdapterOptions } from '../adapter/options';
import { DEFAULT_QWEN_MODEL } from '../adapter/options';
import { parsePostgresUrl } from '../store/postgres';
import type { AudioStoreOptions } from '../store/options';

/** What an environment parser does with a deprecation notice; default: `process.emitWarning`. */
export interface EnvParseOptions {
  /** Receives each warning (a deprecated variable name in use). */
  onWarning?: (message: string) => void;
}

const adapterFields = {
  enabled: envBoolean(
    'JELLYFIN_AUDIO_QWEN_ENABLE',
    'master switch; off → analyze returns skipped and calls nothing',
    {
      default: false,
    },
  ),
  backend: envEnum(
    'QWEN_AUDIO_BACKEND',
    'protocol; auto asks the server (GET /api/version, /props, /v1/models) what it is',
    ['auto', 'ollama', 'openai'],
    { default: 'auto' },
  ),
  url: envUrl('QWEN_AUDIO_URL', 'model server base URL (openai: include /v1)', {
    defaultText:
      'http://127.0.0.1:8000 (auto), http://127.0.0.1:8000/v1 (openai), http://127.0.0.1:11434 (ollama)',
  }),
  model: envString('QWEN_MODEL_NAME', 'model name as the server knows it (upstream PMOVES variable)', {
    form: 'model id',
    defaultText: DEFAULT_QWEN_MODEL,
    aliases: [envString('QWEN_AUDIO_MODEL', 'model name', { form: 'model id' })],
  }),
  apiKey: envString('QWEN_AUDIO_API_KEY', 'bearer key for OpenAI-compatible servers started with one', {
    form: 'secret',
    secret: true,
  }),
  timeoutMs: envSeconds('QWEN_AUDIO_TIMEOUT', 'per model call', {
    default: 120,
    aliases: [envMilliseconds('QWEN_AUDIO_TIMEOUT_MS', 'per model call')],
  }),
  checkTimeoutMs: envSeconds(
    'QWEN_AUDIO_CHECK_TIMEOUT',
    'asking the server what it is and whether the model hears audio',
    {
      default: 10,
      aliases: [envMilliseconds('QWEN_AUDIO_CHECK_TIMEOUT_MS', 'capability check')],
    },
  ),
  keepAlive: envString('QWEN_AUDIO_KEEP_ALIVE', 'Ollama keep_alive', {
    form: 'duration (5m, 1h) or -1',
    default: '5m',
  }),
  maxWindows: envInteger('QWEN_AUDIO_MAX_WINDOWS', 'most windows analysed per item', {
    min: 1,
    max: 256,
    unit: 'windows',
    default: 12,
  }),
  windowSeconds: envNumber('QWEN_AUDIO_WINDOW_SECONDS', 'window length (Qwen2-Audio takes at most 30 s)', {
    min: 1,
    max: 30,
    unit: 'seconds',
    default: 30,
  }),
  transcript: envEnum(
    'QWEN_AUDIO_TRANSCRIPT',
    'speech transcript: the analysed windows, the whole item, or none',
    ['windows', 'full', 'off'],
    { default: 'windows' },
  ),
  transcriptConcurrency: envInteger(
    'QWEN_AUDIO_TRANSCRIPT_CONCURRENCY',
    'transcription windows in flight at once',
    {
      min: 1,
      max: 16,
      unit: 'windows',
      default: 2,
    },
  ),
  transcriptPrompt: envEnum(
    'QWEN_AUDIO_TRANSCRIPT_PROMPT',
    'how transcription is asked for',
    ['chat', 'asr'],
    {
      defaultText: 'asr for a base Qwen2-Audio model id, else chat',
    },
  ),
  ffmpegPath: envString('FFMPEG_PATH', 'ffmpeg binary to run instead of the bundled one', {
    form: 'file path',
    defaultText: 'the binary in @ffmpeg-installer/ffmpeg',
  }),
} satisfies Record<string, EnvField<unknown, unknown>>;

const storeFields = {
  kind: envEnum('QWEN_AUDIO_STORE', 'where analyses are stored', ['pglite', 'postgres', 'supabase'], {
    defaultText: 'supabase when SUPABASE_URL is set, else pglite',
  }),
  pgliteDir: envString('QWEN_AUDIO_PGLITE_DIR', 'PGlite data directory', {
    form: 'directory',
    defaultText: 'in memory (the backfill CLI: .pmoves-qwen-audio-db)',
  }),
  databaseUrl: envString('DATABASE_URL', 'PostgreSQL connection string for the postgres store', {
    form: 'postgres:// URL',
    secret: true,
  }),
  supabaseUrl: envUrl('SUPABASE_URL', 'Supabase project URL (PostgREST) for the supabase store'),
  supabaseKey: envString('SUPABASE_SERVICE_ROLE_KEY', 'Supabase key for the supabase store', {
    form: 'secret',
    secret: true,
  }),
  supabaseKeyAlt: envString('SUPABASE_KEY', 'Supabase key, read when SUPABASE_SERVICE_ROLE_KEY is unset', {
    form: 'secret',
    secret: true,
  }),
  supabaseAnonKey: envString('SUPABASE_ANON_KEY', 'Supabase anon key, read when neither key above is set', {
    form: 'secret',
    secret: true,
  }),
} satisfies Record<string, EnvField<unknown, unknown>>;

/** Every variable this package reads (name, default, form), for docs and checks. */
export const QWEN_AUDIO_ENV_VARS: readonly EnvVarInfo[] = envVarInfo([
  ...Object.values(adapterFields),
  ...Object.values(storeFields),
  ...Object.values(jellyfinEnvFields),
] as EnvField<unknown, unknown>[]);

const configError = (message: string, issues: readonly EnvIssue[]) =>
  new QwenAudioError('config', message, { issues });

function finish(reader: EnvReader, opts: EnvParseOptions): void {
  const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, 'DeprecationWarning'));
  for (const w of reader.warnings) warn(w);
  reader.finish(configError);
}

/** Reads the adapter's variables into `reader` (issues are collected, not thrown). */
export function readAdapterEnv(reader: EnvReader): QwenAudioAdapterOptions {
  const f = adapterFields;
  const out: QwenAudioAdapterOptions = {
    enabled: reader.get(f.enabled),
    backend: reader.get(f.backend),
    timeoutMs: reader.get(f.timeoutMs),
    checkTimeoutMs: reader.get(f.checkTimeoutMs),
    keepAlive: reader.get(f.keepAlive),
    maxWindows: reader.get(f.maxWindows),
    windowSeconds: reader.get(f.windowSeconds),
    transcript: reader.get(f.transcript),
    transcriptConcurrency: reader.get(f.transcriptConcurrency),
  };
  const transcriptPrompt = reader.get(f.transcriptPrompt);
  if (transcriptPrompt) out.transcriptPrompt = transcriptPrompt;
  const url = reader.get(f.url);
  const model = reader.get(f.model);
  const apiKey = reader.get(f.apiKey);
  const ffmpegPath = reader.get(f.ffmpegPath);
  if (url) out.url = url;
  if (model) out.model = model;
  if (apiKey) out.apiKey = apiKey;
  if (ffmpegPath) out.ffmpegPath = ffmpegPath;
  return out;
}

/** Overrides of the store choice that take precedence over the environment (the CLI's flags). */
export interface StoreEnvOverrides {
  /** `--store`. */
  kind?: 'pglite' | 'postgres' | 'supabase';
  /** `--pglite-dir`. */
  pgliteDir?: string;
  /** PGlite directory when neither `--pglite-dir` nor `QWEN_AUDIO_PGLITE_DIR` is given (default: in memory). */
  defaultPgliteDir?: string;
  /** `--database-url`. */
  databaseUrl?: string;
}

/** Reads the store's variables into `reader` (issues are collected, not thrown). */
export function readStoreEnv(reader: EnvReader, overrides: StoreEnvOverrides = {}): AudioStoreOptions {
  const f = storeFields;
  const supabaseUrl = reader.get(f.supabaseUrl);
  const key = reader.get(f.supabaseKey) ?? reader.get(f.supabaseKeyAlt) ?? reader.get(f.supabaseAnonKey);
  const kind = overrides.kind ?? reader.get(f.kind) ?? (reader.has('SUPABASE_URL') ? 'supabase' : 'pglite');
  if (kind === 'supabase') {
    if (!reader.has('SUPABASE_URL')) reader.issue('SUPABASE_URL', 'must be set for the supabase store');
    // SUPABASE_URL without a key is a mistake, never a silent fall-back to PGlite.
    if (!key)
      reader.issue(
        'SUPABASE_SERVICE_ROLE_KEY',
        'must be set for the supabase store (SUPABASE_URL is set); SUPABASE_KEY or SUPABASE_ANON_KEY are read too',
      );
    return { kind, url: supabaseUrl ?? '', key: key ?? '' };
  }
  if (kind === 'postgres') {
    const fromFlag = overrides.databaseUrl !== undefined;
    const raw = overrides.databaseUrl ?? reader.get(f.databaseUrl);
    const name = fromFlag ? '--database-url' : 'DATABASE_URL';
    if (!raw) {
      reader.issue('DATABASE_URL', 'must be set for the postgres store (or pass --database-url)');
      return { kind, connectionString: '' };
    }
    try {
      parsePostgresUrl(raw);
    } catch (e) {
      reader.issue(name, `${(e as Error).message}; received a value that is not shown`);
    }
    return { kind, connectionString: raw, source: name };
  }
  const dataDir = overrides.pgliteDir ?? reader.get(f.pgliteDir) ?? overrides.defaultPgliteDir;
  return { kind: 'pglite', ...(dataDir ? { dataDir } : {}) };
}

/**
 * The adapter options the environment sets (see the README's table): pure, reads only `env`.
 * Pass the result, with your own overrides, to `createQwenAudioAdapter`.
 *
 * @throws {@link QwenAudioError} `config`, naming every bad variable at once.
 */
export function qwenAudioOptionsFromEnv(env: Env, opts: EnvParseOptions = {}): QwenAudioAdapterOptions {
  const reader = new EnvReader(env);
  const out = readAdapterEnv(reader);
  finish(reader, opts);
  return out;
}

/**
 * The store the environment selects: `QWEN_AUDIO_STORE`, else Supabase when `SUPABASE_URL` is set
 * (a key is then required), else PGlite (`QWEN_AUDIO_PGLITE_DIR`, in memory when unset).
 *
 * @throws {@link QwenAudioError} `config`, naming every bad variable at once.
 */
export function audioStoreOptionsFromEnv(env: Env, opts: EnvParseOptions = {}): AudioStoreOptions {
  const reader = new EnvReader(env);
  const out = readStoreEnv(reader);
  finish(reader, opts);
  return out;
}

/** Everything the backfill CLI reads from the environment, read with one reader. */
export interface BackfillEnv {
  /** Adapter options. */
  adapter: QwenAudioAdapterOptions;
  /** Store options (after the CLI's flag overrides). */
  store: AudioStoreOptions;
  /** Jellyfin connection (only when asked for: no paths were given). */
  jellyfin: Pick<JellyfinOptions, 'url' | 'apiKey'> | undefined;
}

/** What the backfill's flags decide about its environment. */
export interface BackfillEnvOverrides {
  /** Store flags. */
  store: StoreEnvOverrides;
  /** Items come from Jellyfin (no paths given): its URL and key are then required. */
  needJellyfin: boolean;
  /** `--jellyfin-url`, over `JELLYFIN_URL`. */
  jellyfinUrl?: string;
}

/**
 * The backfill's whole environment; one error names every bad variable of all three parts.
 *
 * @throws {@link QwenAudioError} `config`.
 */
export function backfillEnv(env: Env, o: BackfillEnvOverrides, opts: EnvParseOptions = {}): BackfillEnv {
  const reader = new EnvReader(env);
  const adapter = readAdapterEnv(reader);
  const store = readStoreEnv(reader, o.store);
  const found = readJellyfinEnv(reader);
  const jellyfin = o.needJellyfin
    ? requireJellyfin(
        reader,
        { ...found, ...(o.jellyfinUrl ? { url: o.jellyfinUrl } : {}) },
        o.jellyfinUrl ? '--jellyfin-url' : 'JELLYFIN_URL',
      )
    : undefined;
  finish(reader, opts);
  return { adapter, store, jellyfin };
}
