import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_AUDIO_ANALYSIS_MIGRATIONS, MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL } from './migration';
import { createPgliteStore } from './pglite';
import { createPostgresStore } from './postgres';
import { needsAnalysis } from './types';
import type { AudioAnalysisRecordInput, AudioAnalysisStore } from './types';
import type { AudioFeatures } from '../schema';

const SHA = 'a'.repeat(64);
const features: AudioFeatures = {
  duration: 120.5,
  sample_rate: 16000,
  tempo: 118.2,
  mfcc_mean: Array.from({ length: 13 }, (_, i) => i - 6.5),
  spectral_centroid_mean: 1500.25,
  spectral_rolloff_mean: 4200,
  zero_crossing_rate_mean: 0.08,
  rms_mean: 0.12,
  analysed_seconds: 120.5,
  scope: 'full',
};
const record = (over: Partial<AudioAnalysisRecordInput> = {}): AudioAnalysisRecordInput => ({
  itemId: 'item-1',
  namespace: 'pmoves',
  summary: 'Upbeat jazz trio with piano, bass and drums.',
  tags: ['jazz', 'piano', "it's quoted", 'comma, tag'],
  mood: 'upbeat',
  confidence: 0.82,
  confidenceSource: 'logprobs',
  language: null,
  model: 'qwen2-audio',
  backend: 'ollama',
  promptVersion: 'qwen-audio-v1',
  audioSha256: SHA,
  durationSeconds: 120.5,
  features,
  raw: { chunks: [{ index: 0 }] },
  status: 'ok',
  error: null,
  ...over,
});

function storeContract(name: string, open: () => Promise<AudioAnalysisStore>) {
  describe(name, () => {
    let store: AudioAnalysisStore;
    beforeAll(async () => {
      store = await open();
      await store.migrate();
      await store.migrate(); // idempotent
    });
    afterAll(() => store?.close());

    it('round-trips a record: text[] tags with quotes and commas, jsonb features and raw, timestamps', async () => {
      await store.upsert(record());
      const row = await store.get('item-1');
      expect(row).toMatchObject(record());
      expect(row!.createdAt).toBeInstanceOf(Date);
      expect(Number.isNaN(row!.createdAt.getTime())).toBe(false);
      expect(await store.get('nope')).toBeNull();
    });

    it('upserts on the item id: a second write replaces the row instead of adding one', async () => {
      await store.upsert(record({ itemId: 'item-2', summary: 'first' }));
      const first = await store.get('item-2');
      await store.upsert(record({ itemId: 'item-2', summary: 'second', tags: ['x'] }));
      const second = await store.get('item-2');
      expect(second).toMatchObject({ summary: 'second', tags: ['x'] });
      expect(second!.createdAt.getTime()).toBe(first!.createdAt.getTime());
      expect(second!.updatedAt.getTime()).toBeGreaterThanOrEqual(first!.updatedAt.getTime());
    });

    it('reads timestamps back to the millisecond: a second write within the same second is later', async () => {
      await store.upsert(record({ itemId: 'item-ms', summary: 'first' }));
      const first = await store.get('item-ms');
      await new Promise((r) => setTimeout(r, 5));
      await store.upsert(record({ itemId: 'item-ms', summary: 'second' }));
      const second = await store.get('item-ms');
      // A reader that polls for "written since" (smoke:qwen) needs a strictly later time.
      expect(second!.updatedAt.getTime()).toBeGreaterThan(first!.updatedAt.getTime());
    });

    it('records a failure with status and error, keeping an earlier good summary', async () => {
      await store.upsert(record({ itemId: 'item-3' }));
      await store.recordFailure({
        itemId: 'item-3',
        model: 'qwen2-audio',
        backend: 'ollama',
        promptVersion: 'qwen-audio-v1',
        error: 'timeout: slow',
      });
      expect(await store.get('item-3')).toMatchObject({
        status: 'failed',
        error: 'timeout: slow',
        summary: record().summary,
        audioSha256: SHA,
      });
      await store.recordFailure({
        itemId: 'item-4',
        model: 'm',
        backend: 'openai',
        promptVersion: 'p',
        error: 'decode: no audio',
      });
      expect(await store.get('item-4')).toMatchObject({
        status: 'failed',
        error: 'decode: no audio',
        summary: null,
        tags: [],
      });
    });

    it('skips re-analysis only when hash, model and prompt version are unchanged and the last run succeeded', async () => {
      await store.upsert(record({ itemId: 'item-5' }));
      const key = { audioSha256: SHA, model: 'qwen2-audio', promptVersion: 'qwen-audio-v1' };
      expect(await needsAnalysis(store, 'item-5', key)).toEqual({
        analyze: false,
        reason: 'unchanged since last analysis',
      });
      expect(await needsAnalysis(store, 'item-5', key, true)).toMatchObject({
        analyze: true,
        reason: 'forced',
      });
      expect(await needsAnalysis(store, 'item-5', { ...key, audioSha256: 'b'.repeat(64) })).toMatchObject({
        analyze: true,
        reason: 'audio changed',
      });
      expect(await needsAnalysis(store, 'item-5', { ...key, model: 'other' })).toMatchObject({
        analyze: true,
        reason: 'model changed',
      });
      expect(await needsAnalysis(store, 'item-5', { ...key, promptVersion: 'v2' })).toMatchObject({
        analyze: true,
        reason: 'prompt version changed',
      });
      expect(await needsAnalysis(store, 'item-6', key)).toMatchObject({
        analyze: true,
        reason: 'not analysed yet',
      });
      await store.recordFailure({ itemId: 'item-5', ...key, backend: 'ollama', error: 'x' });
      expect(await needsAnalysis(store, 'item-5', key)).toMatchObject({
        analyze: true,
        reason: 'previous attempt failed',
      });
    });

    it('rejects an invalid record naming the field, before touching the database', async () => {
      await expect(store.upsert(record({ itemId: 'bad', confidence: 1.5 }))).rejects.toThrow(/confidence/);
      await expect(store.upsert(record({ itemId: 'bad', audioSha256: 'xyz' }))).rejects.toThrow(
        /audioSha256/,
      );
      expect(await store.get('bad')).toBeNull();
    });
  });
}

describe('migration files', () => {
  it('are the SQL the stores run, in order', async () => {
    const files = await Promise.all(
      MEDIA_AUDIO_ANALYSIS_MIGRATIONS.map((m) =>
        readFile(new URL(`./migrations/${m.name}.sql`, import.meta.url), 'utf8'),
      ),
    );
    expect(MEDIA_AUDIO_ANALYSIS_MIGRATIONS.map((m) => m.name)).toEqual([
      '001_media_audio_analysis',
      '002_transcript',
    ]);
    MEDIA_AUDIO_ANALYSIS_MIGRATIONS.forEach((m, i) => expect(m.sql).toBe(files[i]));
    expect(MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL).toBe(files.join('\n'));
    expect(files[0]).toMatch(/item_id text not null unique/);
    expect(files[1]).toMatch(/add column if not exists transcript jsonb/);
  });
});

const MIGRATION_001 = MEDIA_AUDIO_ANALYSIS_MIGRATIONS[0]!.sql;
// A row as a store before migration 002 wrote it (no transcript column).
const ROW_001 = `insert into media_audio_analysis (item_id, namespace, summary, tags, mood, confidence, confidence_source,
  language, model, backend, prompt_version, audio_sha256, duration_seconds, features, raw, status, error, created_at, updated_at)
  values ('old-item', 'pmoves', 'An old summary.', '{jazz,piano}', 'calm', 0.7, 'model', 'en', 'qwen2-audio', 'ollama',
  'qwen-audio-v1', '${SHA}', 61.5, '${JSON.stringify(features)}', '{"chunks": []}', 'ok', null,
  '2024-05-01T10:00:00Z', '2024-05-02T11:00:00Z')`;
const SNAPSHOT = `select id, item_id, namespace, summary, tags, mood, confidence, confidence_source, language, model, backend,
  prompt_version, audio_sha256, duration_seconds, features, raw, status, error, created_at, updated_at
  from media_audio_analysis order by id`;

/** Migration 002 on a database that holds rows from 001: additive, idempotent, rows untouched. */
async function expectAdditive002(
  raw: { query(sql: string): Promise<Record<string, unknown>[]> },
  open: () => AudioAnalysisStore,
) {
  const before = await raw.query(SNAPSHOT);
  expect(before).toHaveLength(1);
  const store = open();
  try {
    await store.migrate();
    await store.migrate(); // idempotent
    expect(await raw.query(SNAPSHOT)).toEqual(before);
    expect((await raw.query('select transcript from media_audio_analysis'))[0]).toEqual({ transcript: null });
    const old = await store.get('old-item');
    expect(old).toMatchObject({ summary: 'An old summary.', tags: ['jazz', 'piano'], transcript: null });
    // New rows carry a transcript.
    const transcript = {
      text: 'hello there',
      language: 'en',
      segments: [{ start: 1, end: 2.5, text: 'hello there' }],
      confidence: null,
      confidenceSource: 'none' as const,
      scope: 'full' as const,
    };
    await store.upsert(record({ itemId: 'new-item', transcript }));
    expect((await store.get('new-item'))!.transcript).toEqual(transcript);
  } finally {
    await store.close();
  }
}

describe('migration 002 on a PGlite database holding rows from 001', () => {
  it('adds the transcript column without changing the rows', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { PGlite } = await import('@electric-sql/pglite');
    const dir = await mkdtemp(join(tmpdir(), 'qa-mig-'));
    try {
      const db = new PGlite(join(dir, 'db'));
      await db.exec(MIGRATION_001);
      await db.exec(ROW_001);
      await db.close();
      const reopen = async (sql: string) => {
        const d = new PGlite(join(dir, 'db'));
        try {
          return (await d.query<Record<string, unknown>>(sql)).rows;
        } finally {
          await d.close();
        }
      };
      await expectAdditive002({ query: reopen }, () => createPgliteStore({ dataDir: join(dir, 'db') }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

storeContract('PGlite store (embedded default)', async () => createPgliteStore());

describe('Postgres store against the real PostgreSQL', () => {
  const url = process.env.PMOVES_TEST_DATABASE_URL;
  const schema = `qa_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  it('has PMOVES_TEST_DATABASE_URL', () => {
    // A missing database is a failure, not a skip: scripts/test.sh starts one and exports the URL.
    expect(
      url,
      'PMOVES_TEST_DATABASE_URL is not set: run `bash scripts/test.sh --project qwen-audio`',
    ).toBeTruthy();
  });
  storeContract(`schema ${schema}`, async () => {
    if (!url)
      throw new Error('PMOVES_TEST_DATABASE_URL is not set: run `bash scripts/test.sh --project qwen-audio`');
    return createPostgresStore({ connectionString: url, schema });
  });
  it('applies migration 002 to a schema holding rows from 001 without changing them', async () => {
    if (!url)
      throw new Error('PMOVES_TEST_DATABASE_URL is not set: run `bash scripts/test.sh --project qwen-audio`');
    const mig = `${schema}_m002`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create schema "${mig}"`);
      await client.query(`set search_path to "${mig}"`);
      await client.query(MIGRATION_001);
      await client.query(ROW_001);
      await expectAdditive002({ query: async (sql) => (await client.query(sql)).rows }, () =>
        createPostgresStore({ connectionString: url, schema: mig }),
      );
    } finally {
      await client.query(`drop schema if exists "${mig}" cascade`);
      await client.end();
    }
  });

  it('migrates once when several replicas start at the same moment on an empty database', async () => {
    if (!url)
      throw new Error('PMOVES_TEST_DATABASE_URL is not set: run `bash scripts/test.sh --project qwen-audio`');
    for (let round = 0; round < 3; round++) {
      const fresh = `${schema}_race${round}`;
      const stores = Array.from({ length: 6 }, () =>
        createPostgresStore({ connectionString: url, schema: fresh }),
      );
      try {
        const results = await Promise.allSettled(stores.map((s) => s.migrate()));
        expect(
          results
            .filter((r) => r.status === 'rejected')
            .map((r) => String((r as PromiseRejectedResult).reason)),
        ).toEqual([]);
        await stores[0]!.upsert(record({ itemId: 'after-race' }));
        expect(await stores[5]!.get('after-race')).toMatchObject({ itemId: 'after-race' });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`drop schema if exists "${fresh}" cascade`);
        await c.end();
      }
    }
  });

  it('created the table with the migration columns and constraints', async () => {
    if (!url)
      throw new Error('PMOVES_TEST_DATABASE_URL is not set: run `bash scripts/test.sh --project qwen-audio`');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const cols = await client.query(
        `select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = 'media_audio_analysis' order by ordinal_position`,
        [schema],
      );
      expect(Object.fromEntries(cols.rows.map((r) => [r.column_name, r.data_type]))).toMatchObject({
        item_id: 'text',
        tags: 'ARRAY',
        features: 'jsonb',
        raw: 'jsonb',
        confidence: 'double precision',
        created_at: 'timestamp with time zone',
      });
      await expect(
        client.query(
          `insert into "${schema}".media_audio_analysis (item_id, model, backend, prompt_version, status, confidence) values ('c', 'm', 'b', 'p', 'ok', 2)`,
        ),
      ).rejects.toThrow(/check constraint/);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    if (!url) return;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });
});
