import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL } from '../src/store/migration.js';
import { createPgliteStore } from '../src/store/pglite.js';
import { createPostgresStore } from '../src/store/postgres.js';
import { needsAnalysis } from '../src/store/types.js';
import type { AudioAnalysisRecordInput, AudioAnalysisStore } from '../src/store/types.js';
import type { AudioFeatures } from '../src/schema.js';

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

describe('migration file', () => {
  it('is the SQL the stores run', async () => {
    const file = await readFile(
      new URL('../src/store/migrations/001_media_audio_analysis.sql', import.meta.url),
      'utf8',
    );
    expect(MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL).toBe(file);
    expect(file).toMatch(/item_id text not null unique/);
  });
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
