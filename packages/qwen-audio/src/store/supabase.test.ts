import { afterEach, describe, expect, it } from 'vitest';
import { createSupabaseStore } from './supabase';
import { sendJson, sleep, startServer } from '../../test/helpers/http';
import type { RecordedRequest, TestServer } from '../../test/helpers/http';

const KEY = 'service-role-test-key';
const SHA = 'c'.repeat(64);
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A PostgREST-speaking server holding one table in memory. */
async function postgrest(opts: { failWith?: { status: number; body: unknown }; delayMs?: number } = {}) {
  const rows = new Map<string, Record<string, unknown>>();
  server = await startServer(async (req: RecordedRequest, res) => {
    if (opts.delayMs) await sleep(opts.delayMs);
    if (opts.failWith) return sendJson(res, opts.failWith.status, opts.failWith.body);
    if (req.path !== '/rest/v1/media_audio_analysis')
      return sendJson(res, 404, { code: 'PGRST205', message: 'Could not find the table' });
    if (req.method === 'POST') {
      const body = req.json as Record<string, unknown>;
      const id = String(body.item_id);
      rows.set(id, {
        ...(rows.get(id) ?? {
          created_at: '2025-01-01T00:00:00Z',
          summary: null,
          tags: [],
          features: null,
          raw: null,
        }),
        ...body,
      });
      res.writeHead(201).end();
      return;
    }
    const eq = req.query.get('item_id');
    const list = eq ? [rows.get(eq.replace(/^eq\./, ''))].filter(Boolean) : [...rows.values()];
    sendJson(res, 200, list.slice(0, Number(req.query.get('limit') ?? 1000)));
  });
  return { server, rows };
}

describe('Supabase store through the real supabase-js client', () => {
  it('upserts with POST ?on_conflict=item_id, merge-duplicates, the API key headers and snake_case columns', async () => {
    const { server: s } = await postgrest();
    const store = createSupabaseStore({ url: s.url, key: KEY });
    await store.upsert({
      itemId: 'jf-123',
      summary: 'Spoken word.',
      tags: ['speech'],
      mood: 'neutral',
      confidence: 0.5,
      confidenceSource: 'model',
      language: 'en',
      model: 'qwen2-audio',
      backend: 'openai',
      promptVersion: 'qwen-audio-v1',
      audioSha256: SHA,
      durationSeconds: 12,
      status: 'ok',
    });
    const req = s.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/rest/v1/media_audio_analysis');
    expect(req.query.get('on_conflict')).toBe('item_id');
    expect(req.headers.apikey).toBe(KEY);
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(String(req.headers.prefer)).toContain('resolution=merge-duplicates');
    expect(req.json).toEqual({
      item_id: 'jf-123',
      namespace: 'pmoves',
      summary: 'Spoken word.',
      tags: ['speech'],
      mood: 'neutral',
      confidence: 0.5,
      confidence_source: 'model',
      language: 'en',
      model: 'qwen2-audio',
      backend: 'openai',
      prompt_version: 'qwen-audio-v1',
      audio_sha256: SHA,
      duration_seconds: 12,
      features: null,
      transcript: null,
      raw: null,
      status: 'ok',
      error: null,
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('reads a row with GET ?select=*&item_id=eq.<id> and maps it back', async () => {
    const { server: s } = await postgrest();
    const store = createSupabaseStore({ url: s.url, key: KEY });
    await store.upsert({
      itemId: 'a/b c',
      model: 'm',
      backend: 'ollama',
      promptVersion: 'p',
      status: 'ok',
      tags: ['x'],
    });
    const row = await store.get('a/b c');
    const get = s.requests[1]!;
    expect(get.method).toBe('GET');
    expect(get.query.get('select')).toBe('*');
    expect(get.query.get('item_id')).toBe('eq.a/b c');
    expect(row).toMatchObject({ itemId: 'a/b c', tags: ['x'], status: 'ok', model: 'm' });
    expect(await store.get('missing')).toBeNull();
  });

  it('records failures with only the failure columns, so merge-duplicates keeps an earlier summary', async () => {
    const { server: s, rows } = await postgrest();
    const store = createSupabaseStore({ url: s.url, key: KEY });
    await store.upsert({
      itemId: 'i',
      summary: 'kept',
      model: 'm',
      backend: 'ollama',
      promptVersion: 'p',
      status: 'ok',
    });
    await store.recordFailure({
      itemId: 'i',
      model: 'm',
      backend: 'ollama',
      promptVersion: 'p',
      error: 'timeout: slow',
    });
    const body = s.requests[1]!.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      'backend',
      'error',
      'item_id',
      'model',
      'namespace',
      'prompt_version',
      'status',
      'updated_at',
    ]);
    expect(body).toMatchObject({ status: 'failed', error: 'timeout: slow' });
    expect(rows.get('i')).toMatchObject({ summary: 'kept', status: 'failed' });
  });

  it('turns PostgREST errors into store errors, and migrate() names the migration to apply', async () => {
    const { server: s } = await postgrest({
      failWith: {
        status: 404,
        body: {
          code: 'PGRST205',
          details: null,
          hint: null,
          message: "Could not find the table 'public.media_audio_analysis' in the schema cache",
        },
      },
    });
    const store = createSupabaseStore({ url: s.url, key: KEY });
    await expect(store.migrate()).rejects.toMatchObject({
      code: 'store',
      message: expect.stringMatching(/001_media_audio_analysis\.sql and 002_transcript\.sql.*PGRST205/),
    });
    await expect(
      store.upsert({ itemId: 'i', model: 'm', backend: 'b', promptVersion: 'p', status: 'ok' }),
    ).rejects.toMatchObject({ code: 'store' });
    // The newest column: a project that lacks migration 002 fails the check.
    expect(s.requests[0]!.query.get('select')).toBe('item_id,transcript');
    expect(s.requests[0]!.query.get('limit')).toBe('1');
  });

  it('times requests out', async () => {
    const { server: s } = await postgrest({ delayMs: 2000 });
    const store = createSupabaseStore({ url: s.url, key: KEY, timeoutMs: 150 });
    await expect(store.get('x')).rejects.toMatchObject({
      code: 'store',
      message: expect.stringMatching(/abort|timeout/i),
    });
  });
});
