// The processor's environment, read once at start-up: every bad variable is collected and reported in
// one message (the @pmoves/internal reader), including the ones @pmoves/qwen-audio reads.
import {
  EnvReader,
  EnvValueError,
  envInteger,
  envList,
  envSeconds,
  envString,
  envUrl,
  envVarInfo,
  type Env,
  type EnvVarInfo,
} from '@pmoves/internal';
import { isQwenAudioError, qwenAudioOptionsFromEnv } from '@pmoves/qwen-audio';
import type { QwenAudioAdapterOptions } from '@pmoves/qwen-audio';
import { isAbsolute } from 'node:path';
import { AudioProcessorError } from './errors';
import { log } from './log';

const NATS_URL_FORM = /^(nats|tls|ws|wss):\/\/[^\s,]+$/;

/** Every variable the processor reads itself (qwen-audio's own are in `QWEN_AUDIO_ENV_VARS`). */
export const FIELDS = {
  // Same name and default as the other example services' NATS_URL (not imported from the publisher's
  // config, which would load @pmoves/rerank into the processor).
  natsUrl: envString('NATS_URL', 'NATS server(s) of the work queue and the events', {
    default: 'nats://127.0.0.1:4222',
    form: 'nats:// URL (comma-separated for a cluster)',
  }),
  stream: envString('AUDIO_QUEUE_STREAM', 'JetStream work-queue stream holding items to analyse', {
    default: 'PMOVES_AUDIO_QWEN',
    form: 'stream name',
  }),
  subject: envString('AUDIO_QUEUE_SUBJECT', 'subject the work items are published on', {
    default: 'pmoves.work.audio.qwen.v1',
    form: 'subject',
  }),
  consumer: envString('AUDIO_QUEUE_CONSUMER', 'durable pull consumer every replica shares', {
    default: 'jellyfin-audio-processor',
    form: 'consumer name',
  }),
  dlqSubject: envString('AUDIO_QUEUE_DLQ_SUBJECT', 'dead-letter subject for items that cannot be analysed', {
    default: 'pmoves.work.audio.qwen.dlq.v1',
    form: 'subject',
  }),
  dlqStream: envString('AUDIO_QUEUE_DLQ_STREAM', 'stream keeping the dead letters', {
    default: 'PMOVES_AUDIO_QWEN_DLQ',
    form: 'stream name',
  }),
  ackWait: envSeconds(
    'AUDIO_QUEUE_ACK_WAIT',
    'redelivery after this long without an ack or in-progress ack',
    {
      default: 60,
    },
  ),
  maxDeliver: envInteger('AUDIO_QUEUE_MAX_DELIVER', 'deliveries of one item before it is dead-lettered', {
    default: 5,
    min: 1,
    max: 100,
  }),
  retryDelay: envSeconds(
    'AUDIO_QUEUE_RETRY_DELAY',
    'delay before the first retry of a failed item (doubles)',
    {
      default: 30,
    },
  ),
  duplicateWindow: envSeconds(
    'AUDIO_QUEUE_DUPLICATE_WINDOW',
    'JetStream de-duplication window (Nats-Msg-Id)',
    {
      default: 86_400,
    },
  ),
  concurrency: envInteger('AUDIO_PROCESSOR_CONCURRENCY', 'items one replica analyses at once', {
    default: 1,
    min: 1,
    max: 16,
  }),
  mediaRoots: envList('AUDIO_PROCESSOR_MEDIA_ROOTS', 'folders the processor may read item paths from', {
    form: 'comma-separated absolute paths',
    item: (p) => {
      if (!isAbsolute(p)) throw new EnvValueError('must be an absolute path');
      return p;
    },
  }),
  namespace: envString('AUDIO_PROCESSOR_NAMESPACE', 'namespace stored with items that name none', {
    default: 'pmoves',
  }),
  healthPort: envInteger('AUDIO_PROCESSOR_HEALTH_PORT', '/healthz port; 0 turns it off', {
    default: 8098,
    min: 0,
    max: 65_535,
  }),
  healthHost: envString('AUDIO_PROCESSOR_HEALTH_HOST', '/healthz address (0.0.0.0 in a container)', {
    default: '127.0.0.1',
    form: 'host or IP',
  }),
  shutdownGrace: envSeconds(
    'AUDIO_PROCESSOR_SHUTDOWN_GRACE',
    'on SIGTERM, how long an in-flight item may finish',
    {
      default: 30,
    },
  ),
  pollInterval: envSeconds('PROCESSING_INTERVAL', 'Jellyfin poll interval (upstream audio-processor name)', {
    default: 300,
  }),
  jellyfinUrl: envUrl('JELLYFIN_URL', 'Jellyfin server: poller listing and item downloads'),
  jellyfinApiKey: envString('JELLYFIN_API_KEY', 'Jellyfin API key (sent as a header, never logged)', {
    secret: true,
    form: 'secret',
  }),
  databaseUrl: envString('DATABASE_URL', 'PostgreSQL holding media_audio_analysis', {
    secret: true,
    form: 'postgres:// connection string',
  }),
  supabaseUrl: envUrl(
    'SUPABASE_URL',
    'Supabase project holding media_audio_analysis (instead of DATABASE_URL)',
  ),
  supabaseKey: envString('SUPABASE_SERVICE_ROLE_KEY', 'Supabase service-role key', {
    secret: true,
    form: 'secret',
  }),
  smokeTimeout: envSeconds('SMOKE_QWEN_TIMEOUT', 'smoke:qwen: how long to wait for the probe row', {
    default: 300,
  }),
  smokeItem: envString(
    'SMOKE_QWEN_ITEM',
    'smoke:qwen: Jellyfin item id to probe (default: the first audio item)',
    {
      form: 'Jellyfin item id',
    },
  ),
  smokeFile: envString(
    'SMOKE_QWEN_FILE',
    'smoke:qwen: probe a file instead, as the processor sees its path',
    {
      form: 'absolute path under AUDIO_PROCESSOR_MEDIA_ROOTS',
    },
  ),
  healthUrl: envUrl(
    'AUDIO_PROCESSOR_HEALTH_URL',
    "smoke:qwen: the processor's /healthz, to fail fast when it is off",
  ),
};

/**
 * The variables this example reads itself (also part of the examples' `EXAMPLES_ENV_VARS`, checked against
 * `docs/LOCAL_TOOLING_REFERENCE.md`).
 */
export const AUDIO_PROCESSOR_ENV_VARS: readonly EnvVarInfo[] = envVarInfo(Object.values(FIELDS));

/** Where analyses are stored. */
export type StoreOptions =
  { kind: 'postgres'; connectionString: string } | { kind: 'supabase'; url: string; key: string };

/** JetStream names and limits of the work queue. */
export interface QueueOptions {
  /** Work-queue stream. */
  stream: string;
  /** Subject of work items. */
  subject: string;
  /** Durable pull consumer. */
  consumer: string;
  /** Dead-letter subject. */
  dlqSubject: string;
  /** Stream keeping dead letters. */
  dlqStream: string;
  /** Ack wait, ms. */
  ackWaitMs: number;
  /** Deliveries before an item is dead-lettered. */
  maxDeliver: number;
  /** First retry delay, ms (doubles per delivery, at most 16×). */
  retryDelayMs: number;
  /** De-duplication window, ms. */
  duplicateWindowMs: number;
}

/** Jellyfin connection. */
export interface JellyfinSettings {
  /** Base URL. */
  url: string;
  /** API key. */
  apiKey: string;
}

/** Everything the processor's commands take, parsed from the environment. */
export interface AudioProcessorOptions {
  /** NATS server URLs. */
  servers: string[];
  /** Work queue. */
  queue: QueueOptions;
  /** Items analysed at once per replica. */
  concurrency: number;
  /** Folders item paths may be read from. */
  mediaRoots: string[];
  /** Namespace for items that name none. */
  namespace: string;
  /** `/healthz` listener; null when off. */
  health: { host: string; port: number } | null;
  /** SIGTERM grace for an in-flight item, ms. */
  shutdownGraceMs: number;
  /** Jellyfin poll interval, ms. */
  pollIntervalMs: number;
  /** Jellyfin, when `JELLYFIN_URL` and `JELLYFIN_API_KEY` are set. */
  jellyfin: JellyfinSettings | null;
  /** The analysis store, when configured. */
  store: StoreOptions | null;
  /** Settings of `smoke:qwen`. */
  smoke: { timeoutMs: number; item?: string; file?: string; healthUrl?: string };
  /**
   * The adapter options `JELLYFIN_AUDIO_QWEN_ENABLE` and `QWEN_AUDIO_*` set (`qwenAudioOptionsFromEnv`);
   * `createQwenAudioAdapter(qwen)` builds the analyser.
   */
  qwen: QwenAudioAdapterOptions;
  /** Whether `JELLYFIN_AUDIO_QWEN_ENABLE` is on. */
  qwenEnabled: boolean;
}

/** What a command needs on top of the defaults; missing pieces are reported with the bad variables. */
export interface Needs {
  /** `DATABASE_URL` or `SUPABASE_URL` + `SUPABASE_SERVICE_ROLE_KEY`. */
  store?: boolean;
  /** `JELLYFIN_URL` + `JELLYFIN_API_KEY`. */
  jellyfin?: boolean;
}

const defaultWarning = (message: string) => log('warn', message);

/**
 * Parses the processor's environment, qwen-audio's variables included (reads only `env`; deprecation
 * notices go to `opts.onWarning`, by default the JSON log).
 *
 * @throws {@link AudioProcessorError} `config`, one message naming every bad or missing variable.
 */
export function audioProcessorOptionsFromEnv(
  env: Env,
  needs: Needs = {},
  opts: { onWarning?: (message: string) => void } = {},
): AudioProcessorOptions {
  const r = new EnvReader(env);
  const servers = r
    .get(FIELDS.natsUrl)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of servers)
    if (!NATS_URL_FORM.test(s))
      r.issue('NATS_URL', `must be nats:// URLs (comma-separated); received ${JSON.stringify(s)}`);

  const queue: QueueOptions = {
    stream: r.get(FIELDS.stream),
    subject: r.get(FIELDS.subject),
    consumer: r.get(FIELDS.consumer),
    dlqSubject: r.get(FIELDS.dlqSubject),
    dlqStream: r.get(FIELDS.dlqStream),
    ackWaitMs: r.get(FIELDS.ackWait),
    maxDeliver: r.get(FIELDS.maxDeliver),
    retryDelayMs: r.get(FIELDS.retryDelay),
    duplicateWindowMs: r.get(FIELDS.duplicateWindow),
  };
  for (const [name, value] of [
    ['AUDIO_QUEUE_STREAM', queue.stream],
    ['AUDIO_QUEUE_CONSUMER', queue.consumer],
    ['AUDIO_QUEUE_DLQ_STREAM', queue.dlqStream],
  ] as const)
    if (!/^[A-Za-z0-9_-]+$/.test(value))
      r.issue(name, `must be letters, digits, _ or - (JetStream names); received ${JSON.stringify(value)}`);
  for (const [name, value] of [
    ['AUDIO_QUEUE_SUBJECT', queue.subject],
    ['AUDIO_QUEUE_DLQ_SUBJECT', queue.dlqSubject],
  ] as const)
    if (!/^[^\s*>.]+(\.[^\s*>.]+)*$/.test(value))
      r.issue(name, `must be a subject without wildcards; received ${JSON.stringify(value)}`);
  if (queue.subject === queue.dlqSubject)
    r.issue('AUDIO_QUEUE_DLQ_SUBJECT', 'must differ from AUDIO_QUEUE_SUBJECT');

  const healthPort = r.get(FIELDS.healthPort);
  const jellyfinUrl = r.get(FIELDS.jellyfinUrl);
  const jellyfinApiKey = r.get(FIELDS.jellyfinApiKey);
  if (jellyfinUrl && !jellyfinApiKey) r.issue('JELLYFIN_API_KEY', 'is required when JELLYFIN_URL is set');
  if (needs.jellyfin && !jellyfinUrl) r.issue('JELLYFIN_URL', 'is required for this command');

  const databaseUrl = r.get(FIELDS.databaseUrl);
  const supabaseUrl = r.get(FIELDS.supabaseUrl);
  const supabaseKey = r.get(FIELDS.supabaseKey);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    r.issue('DATABASE_URL', 'must be a postgres:// connection string; received a value that is not shown');
  if (supabaseUrl && !supabaseKey)
    r.issue('SUPABASE_SERVICE_ROLE_KEY', 'is required when SUPABASE_URL is set');
  const store: StoreOptions | null = databaseUrl
    ? { kind: 'postgres', connectionString: databaseUrl }
    : supabaseUrl && supabaseKey
      ? { kind: 'supabase', url: supabaseUrl, key: supabaseKey }
      : null;
  if (needs.store && !databaseUrl && !supabaseUrl)
    r.issue(
      'DATABASE_URL',
      'or SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY is required (media_audio_analysis)',
    );

  // qwen-audio parses its own variables; each bad one joins this reader's issues, so the one error
  // names them all. Deprecated names (`QWEN_AUDIO_TIMEOUT_MS`…) are logged as warnings.
  let qwen: QwenAudioAdapterOptions = {};
  try {
    qwen = qwenAudioOptionsFromEnv(env, { onWarning: opts.onWarning ?? defaultWarning });
  } catch (err) {
    if (!isQwenAudioError(err) || err.code !== 'config') throw err;
    if (err.issues.length > 0) r.absorb(err.issues);
    else r.issue('(qwen-audio)', err.message);
  }

  const smokeItem = r.get(FIELDS.smokeItem);
  const smokeFile = r.get(FIELDS.smokeFile);
  const healthUrl = r.get(FIELDS.healthUrl);
  const options: AudioProcessorOptions = {
    servers,
    queue,
    concurrency: r.get(FIELDS.concurrency),
    mediaRoots: r.get(FIELDS.mediaRoots) ?? [],
    namespace: r.get(FIELDS.namespace),
    health: healthPort === 0 ? null : { host: r.get(FIELDS.healthHost), port: healthPort },
    shutdownGraceMs: r.get(FIELDS.shutdownGrace),
    pollIntervalMs: r.get(FIELDS.pollInterval),
    jellyfin: jellyfinUrl && jellyfinApiKey ? { url: jellyfinUrl, apiKey: jellyfinApiKey } : null,
    store,
    smoke: {
      timeoutMs: r.get(FIELDS.smokeTimeout),
      ...(smokeItem ? { item: smokeItem } : {}),
      ...(smokeFile ? { file: smokeFile } : {}),
      ...(healthUrl ? { healthUrl } : {}),
    },
    qwen,
    qwenEnabled: qwen.enabled === true,
  };
  r.finish((message) => new AudioProcessorError('config', message));
  return options;
}
