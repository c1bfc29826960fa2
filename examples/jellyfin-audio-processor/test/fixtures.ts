// Shared set-up of the audio-processor tests: the services scripts/test.sh starts, a database per
// test file, unique queue names per test, and audio made with ffmpeg.
import { createPostgresStore, type AudioAnalysisStore, type QwenAudioAdapter } from '@pmoves/qwen-audio';
import { connect, type NatsConnection } from 'nats';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { audioProcessorOptionsFromEnv, type QueueOptions } from '../src/config';
import { createAdapter } from '../src/qwen';

/** The model id the stand-in serves (an audio model id, so qwen-audio's capability check passes). */
export const TEST_MODEL = 'Qwen/Qwen2-Audio-7B-Instruct';

/**
 * qwen-audio's variables for the vLLM stand-in at `url`, analysis switched on. The backend is left at its
 * default, `auto`, which asks the stand-in what it is (`/api/version`, `/props`: 404; `/v1/models`: vLLM).
 */
export function qwenEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JELLYFIN_AUDIO_QWEN_ENABLE: 'true',
    QWEN_AUDIO_URL: url,
    QWEN_MODEL_NAME: TEST_MODEL,
    ...extra,
  };
}

/**
 * The adapter as the worker command builds it: the processor's environment parser, then
 * `createAdapter(options.qwen)`.
 */
export function qwenAdapter(url: string, extra: Record<string, string> = {}): QwenAudioAdapter {
  return createAdapter(audioProcessorOptionsFromEnv(qwenEnv(url, extra)).qwen);
}

const run = promisify(execFile);

/** The services scripts/test.sh starts; a clear failure when run without it. */
export function testServices(): { natsUrl: string; databaseUrl: string } {
  const natsUrl = process.env.PMOVES_TEST_NATS_URL;
  const databaseUrl = process.env.PMOVES_TEST_DATABASE_URL;
  if (!natsUrl || !databaseUrl)
    throw new Error(
      'PMOVES_TEST_NATS_URL / PMOVES_TEST_DATABASE_URL are not set: run `bash scripts/test.sh examples/jellyfin-audio-processor`',
    );
  return { natsUrl, databaseUrl };
}

/** A fresh database on the test cluster; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { databaseUrl } = testServices();
  const name = `audio_proc_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** What a test file shares: a NATS connection, its own database with a migrated store, a temp folder. */
export interface TestContext {
  /** Connection to the test nats-server. */
  nc: NatsConnection;
  /** The file's database. */
  db: { url: string; drop(): Promise<void> };
  /** `media_audio_analysis` in it. */
  store: AudioAnalysisStore;
  /** A temporary folder. */
  dir: string;
  /** Closes and removes all of it. */
  close(): Promise<void>;
}

/** Opens a {@link TestContext}. */
export async function openTestContext(): Promise<TestContext> {
  const nc = await connect({ servers: testServices().natsUrl });
  const db = await createTestDatabase();
  const store = createPostgresStore({ connectionString: db.url });
  await store.migrate();
  const dir = await mkdtemp(join(tmpdir(), 'audio-processor-test-'));
  return {
    nc,
    db,
    store,
    dir,
    async close() {
      await store.close();
      await nc.drain();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of `media_audio_analysis`, as SQL sees them. */
export async function tableRows(url: string): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `select item_id, status, audio_sha256, summary, error, created_at, updated_at from media_audio_analysis order by item_id`,
    );
    return rows;
  } finally {
    await c.end();
  }
}

/** Queue names no other test uses, with short timings. */
export function testQueue(overrides: Partial<QueueOptions> = {}): QueueOptions {
  const tag = randomBytes(4).toString('hex');
  return {
    stream: `AUDIO_TEST_${tag}`,
    subject: `test.${tag}.work.audio`,
    consumer: `audio-worker-${tag}`,
    dlqSubject: `test.${tag}.work.audio.dlq`,
    dlqStream: `AUDIO_TEST_${tag}_DLQ`,
    ackWaitMs: 2000,
    maxDeliver: 3,
    retryDelayMs: 100,
    duplicateWindowMs: 120_000,
    ...overrides,
  };
}

/** The environment variables that configure `q` (for child processes). */
export function queueEnv(q: QueueOptions): Record<string, string> {
  return {
    AUDIO_QUEUE_STREAM: q.stream,
    AUDIO_QUEUE_SUBJECT: q.subject,
    AUDIO_QUEUE_CONSUMER: q.consumer,
    AUDIO_QUEUE_DLQ_SUBJECT: q.dlqSubject,
    AUDIO_QUEUE_DLQ_STREAM: q.dlqStream,
    AUDIO_QUEUE_ACK_WAIT: String(q.ackWaitMs / 1000),
    AUDIO_QUEUE_MAX_DELIVER: String(q.maxDeliver),
    AUDIO_QUEUE_RETRY_DELAY: String(q.retryDelayMs / 1000),
    AUDIO_QUEUE_DUPLICATE_WINDOW: String(q.duplicateWindowMs / 1000),
  };
}

/** A WAV tone made by ffmpeg (distinct frequencies give distinct files and hashes). */
export async function tone(dir: string, name: string, freq: number, seconds = 2): Promise<Buffer> {
  const out = join(dir, `${name}.wav`);
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${freq}:duration=${seconds}:sample_rate=16000`,
    out,
  ]);
  return readFile(out);
}

/**
 * Spoken words (espeak-ng) between two seconds of silence, as a 16 kHz WAV: audio the speech detection
 * of qwen-audio takes for speech.
 */
export async function speech(dir: string, name: string, text: string): Promise<Buffer> {
  const voice = join(dir, `${name}.voice.wav`);
  const out = join(dir, `${name}.wav`);
  await run('espeak-ng', ['-v', 'en', '-s', '150', '-w', voice, text]);
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    voice,
    '-af',
    'adelay=2000,apad=pad_dur=2',
    '-ar',
    '16000',
    '-ac',
    '1',
    out,
  ]);
  return readFile(out);
}

/** Resolves when `check` returns a value, polling; rejects after `ms` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
