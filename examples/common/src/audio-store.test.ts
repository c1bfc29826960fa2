// Lookups of a stored audio analysis by content hash: SQL on the real PostgreSQL scripts/test.sh
// starts (the table from @pmoves/qwen-audio's migrations, in a throwaway schema) and Supabase's
// REST API against a loopback PostgREST stand-in.
import { randomBytes } from 'node:crypto';
import { createPostgresStore, type StoredAudioAnalysis } from '@pmoves/qwen-audio';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandIn, testDatabaseUrl } from '../../test/helpers';
import { sqlContentHashLookup, supabaseContentHashLookup } from './audio-store';

const SHA = 'ab'.repeat(32);
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

/** A store whose `get` records the ids it is asked for (the lookups read rows through it). */
const recordingStore = () => {
  const asked: string[] = [];
  return {
    asked,
    get: async (itemId: string) => {
      asked.push(itemId);
      return { itemId } as StoredAudioAnalysis;
    },
  };
};

describe('sqlContentHashLookup', () => {
  it('finds the newest successful row with the hash, whichever item it is stored under', async () => {
    const schema = `examples_${randomBytes(4).toString('hex')}`;
    const migrated = createPostgresStore({ connectionString: testDatabaseUrl(), schema });
    await migrated.migrate();
    await migrated.close();
    const db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
    closers.push(async () => {
      await db.query(`drop schema if exists "${schema}" cascade`);
      await db.end();
    });
    const insert = (id: string, sha: string, status: string, updated: string, summary: string | null = 's') =>
      db.query(
        `insert into "${schema}".media_audio_analysis (item_id, model, backend, prompt_version, audio_sha256, status, summary, updated_at)
         values ($1, 'm', 'openai', 'v1', $2, $3, $4, $5)`,
        [id, sha, status, summary, updated],
      );
    await insert('jf-old', SHA, 'ok', '2026-01-01T00:00:00Z');
    await insert('jf-new', SHA, 'ok', '2026-02-01T00:00:00Z');
    await insert('jf-failed', SHA, 'failed', '2026-03-01T00:00:00Z');
    await insert('jf-empty', SHA, 'ok', '2026-04-01T00:00:00Z', null);
    await insert('jf-other', 'cd'.repeat(32), 'ok', '2026-05-01T00:00:00Z');
    const store = recordingStore();
    const lookup = sqlContentHashLookup((text, params) => db.query(text, params), store, { schema });
    expect((await lookup(SHA))?.itemId).toBe('jf-new');
    expect(await lookup('ef'.repeat(32))).toBeNull();
    expect(await lookup("x' or 1=1 --")).toBeNull(); // not a hash: no query at all
    expect(store.asked).toEqual(['jf-new']);
  });
});

describe('supabaseContentHashLookup (loopback PostgREST stand-in)', () => {
  it('asks PostgREST for the newest successful row with the hash, with the key as apikey and bearer', async () => {
    const api = await startStandIn((req, res) => {
      const rows = req.path.includes(`audio_sha256=eq.${SHA}`) ? [{ item_id: 'jf-7' }] : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    });
    closers.push(api.close);
    const store = recordingStore();
    const lookup = supabaseContentHashLookup({ url: `${api.url}/`, key: 'service-key' }, store);
    expect((await lookup(SHA))?.itemId).toBe('jf-7');
    expect(await lookup('cd'.repeat(32))).toBeNull();
    const first = api.requests[0]!;
    expect(first.method).toBe('GET');
    const url = new URL(first.path, api.url);
    expect(url.pathname).toBe('/rest/v1/media_audio_analysis');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      select: 'item_id',
      audio_sha256: `eq.${SHA}`,
      status: 'eq.ok',
      summary: 'not.is.null',
      order: 'updated_at.desc',
      limit: '1',
    });
    expect(first.headers.apikey).toBe('service-key');
    expect(first.headers.authorization).toBe('Bearer service-key');
  });

  it('fails with the status, never the key, when PostgREST refuses', async () => {
    const api = await startStandIn((_req, res) => void res.writeHead(401).end('{"message":"bad key"}'));
    closers.push(api.close);
    const lookup = supabaseContentHashLookup({ url: api.url, key: 'secret-service-key' }, recordingStore());
    const err = (await lookup(SHA).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('HTTP 401');
    expect(err.message).not.toContain('secret-service-key');
  });
});
