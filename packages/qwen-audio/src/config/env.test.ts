import { describe, expect, it } from 'vitest';
import { QwenAudioError } from '../errors';
import { QWEN_AUDIO_ENV_VARS, audioStoreOptionsFromEnv, backfillEnv, qwenAudioOptionsFromEnv } from './env';

const quiet = { onWarning: () => undefined };
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QwenAudioError);
    expect((e as QwenAudioError).code).toBe('config');
    return (e as Error).message;
  }
  throw new Error('expected a config error');
};

describe('qwenAudioOptionsFromEnv', () => {
  it('returns the options the environment sets, timeouts in seconds as milliseconds', () => {
    expect(
      qwenAudioOptionsFromEnv(
        {
          JELLYFIN_AUDIO_QWEN_ENABLE: 'on',
          QWEN_AUDIO_BACKEND: 'OpenAI',
          QWEN_AUDIO_URL: 'http://vllm:8000/v1',
          QWEN_MODEL_NAME: 'Qwen/Qwen2-Audio-7B-Instruct',
          QWEN_AUDIO_API_KEY: 'sk-1',
          QWEN_AUDIO_TIMEOUT: '90',
          QWEN_AUDIO_CHECK_TIMEOUT: '2.5',
          QWEN_AUDIO_MAX_WINDOWS: '4',
          QWEN_AUDIO_WINDOW_SECONDS: '15',
          FFMPEG_PATH: '/usr/bin/ffmpeg',
        },
        quiet,
      ),
    ).toMatchObject({
      enabled: true,
      backend: 'openai',
      url: 'http://vllm:8000/v1',
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      apiKey: 'sk-1',
      timeoutMs: 90_000,
      checkTimeoutMs: 2500,
      maxWindows: 4,
      windowSeconds: 15,
      ffmpegPath: '/usr/bin/ffmpeg',
    });
    expect(qwenAudioOptionsFromEnv({}, quiet)).toMatchObject({ enabled: false, timeoutMs: 120_000 });
  });

  it('reads the deprecated _MS names (milliseconds) with a warning, the new names winning', () => {
    const warnings: string[] = [];
    const o = qwenAudioOptionsFromEnv(
      { QWEN_AUDIO_TIMEOUT_MS: '1500', QWEN_AUDIO_CHECK_TIMEOUT_MS: '700' },
      { onWarning: (w) => warnings.push(w) },
    );
    expect(o).toMatchObject({ timeoutMs: 1500, checkTimeoutMs: 700 });
    expect(warnings).toEqual([
      expect.stringContaining('QWEN_AUDIO_TIMEOUT_MS is deprecated; use QWEN_AUDIO_TIMEOUT'),
      expect.stringContaining('QWEN_AUDIO_CHECK_TIMEOUT_MS is deprecated; use QWEN_AUDIO_CHECK_TIMEOUT'),
    ]);
    expect(
      qwenAudioOptionsFromEnv({ QWEN_AUDIO_TIMEOUT: '3', QWEN_AUDIO_TIMEOUT_MS: '1' }, quiet).timeoutMs,
    ).toBe(3000);
  });

  it('names every bad variable in one error, never echoing a secret', () => {
    const message = messageOf(() =>
      qwenAudioOptionsFromEnv({
        JELLYFIN_AUDIO_QWEN_ENABLE: 'ture',
        QWEN_AUDIO_BACKEND: 'whisper',
        QWEN_AUDIO_URL: 'localhost:11434',
        QWEN_AUDIO_TIMEOUT: 'soon',
        QWEN_AUDIO_CHECK_TIMEOUT_MS: '1.5',
        QWEN_AUDIO_MAX_WINDOWS: '0',
        QWEN_AUDIO_WINDOW_SECONDS: '45',
      }),
    );
    expect(message).toMatch(/^invalid environment \(7 problems\)/);
    let caught: unknown;
    try {
      qwenAudioOptionsFromEnv({ QWEN_AUDIO_URL: 'x', QWEN_AUDIO_MAX_WINDOWS: '0' });
    } catch (e) {
      caught = e;
    }
    // Each issue travels with the error, so another package's reader can report it among its own.
    expect(caught).toBeInstanceOf(QwenAudioError);
    expect((caught as QwenAudioError).issues.map((i) => i.variable).sort()).toEqual([
      'QWEN_AUDIO_MAX_WINDOWS',
      'QWEN_AUDIO_URL',
    ]);
    for (const name of [
      'JELLYFIN_AUDIO_QWEN_ENABLE',
      'QWEN_AUDIO_BACKEND',
      'QWEN_AUDIO_URL',
      'QWEN_AUDIO_TIMEOUT ',
      'QWEN_AUDIO_CHECK_TIMEOUT_MS',
      'QWEN_AUDIO_MAX_WINDOWS',
      'QWEN_AUDIO_WINDOW_SECONDS',
    ])
      expect(message).toContain(name);
    expect(message).toMatch(/QWEN_AUDIO_URL must be an http\(s\) URL/);
    expect(messageOf(() => qwenAudioOptionsFromEnv({ QWEN_AUDIO_URL: 'ftp://x' }))).toMatch(/http\(s\)/);
  });
});

describe('audioStoreOptionsFromEnv', () => {
  it('picks Supabase when SUPABASE_URL is set, and refuses it without a key instead of falling back to PGlite', () => {
    expect(
      audioStoreOptionsFromEnv({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'k' }),
    ).toEqual({ kind: 'supabase', url: 'https://x.supabase.co', key: 'k' });
    expect(
      audioStoreOptionsFromEnv({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_ANON_KEY: 'a' }),
    ).toMatchObject({
      key: 'a',
    });
    expect(messageOf(() => audioStoreOptionsFromEnv({ SUPABASE_URL: 'https://x.supabase.co' }))).toMatch(
      /SUPABASE_SERVICE_ROLE_KEY must be set/,
    );
    expect(audioStoreOptionsFromEnv({})).toEqual({ kind: 'pglite' });
    expect(audioStoreOptionsFromEnv({ QWEN_AUDIO_PGLITE_DIR: './db' })).toEqual({
      kind: 'pglite',
      dataDir: './db',
    });
  });

  it('checks DATABASE_URL for the postgres store, naming it without echoing it', () => {
    expect(
      audioStoreOptionsFromEnv({ QWEN_AUDIO_STORE: 'postgres', DATABASE_URL: 'postgres://u:p@db:5432/x' }),
    ).toMatchObject({ kind: 'postgres', connectionString: 'postgres://u:p@db:5432/x' });
    for (const bad of ['base', 'postgres://u:secret@/x', 'mysql://h/db']) {
      const m = messageOf(() =>
        audioStoreOptionsFromEnv({ QWEN_AUDIO_STORE: 'postgres', DATABASE_URL: bad }),
      );
      expect(m).toMatch(/DATABASE_URL must be a postgres:\/\//);
      expect(m).not.toContain('secret');
    }
    expect(messageOf(() => audioStoreOptionsFromEnv({ QWEN_AUDIO_STORE: 'postgres' }))).toMatch(
      /DATABASE_URL must be set/,
    );
  });
});

describe('backfillEnv', () => {
  it('reads the adapter, store and Jellyfin variables with one reader: one error for all of them', () => {
    const message = messageOf(() =>
      backfillEnv(
        { QWEN_AUDIO_URL: 'nope', SUPABASE_URL: 'https://x.supabase.co', JELLYFIN_URL: 'ftp://jf' },
        { store: {}, needJellyfin: true },
      ),
    );
    for (const name of ['QWEN_AUDIO_URL', 'SUPABASE_SERVICE_ROLE_KEY', 'JELLYFIN_URL', 'JELLYFIN_API_KEY'])
      expect(message).toContain(name);
  });
});

describe('QWEN_AUDIO_ENV_VARS', () => {
  it('lists every variable read, with deprecated aliases marked and secrets flagged', () => {
    const byName = new Map(QWEN_AUDIO_ENV_VARS.map((v) => [v.name, v]));
    expect(byName.get('QWEN_AUDIO_TIMEOUT')).toMatchObject({ form: 'seconds', default: '120' });
    expect(byName.get('QWEN_AUDIO_TIMEOUT_MS')).toMatchObject({ deprecatedBy: 'QWEN_AUDIO_TIMEOUT' });
    expect(byName.get('QWEN_AUDIO_CHECK_TIMEOUT_MS')).toMatchObject({
      deprecatedBy: 'QWEN_AUDIO_CHECK_TIMEOUT',
    });
    for (const secret of [
      'QWEN_AUDIO_API_KEY',
      'DATABASE_URL',
      'SUPABASE_SERVICE_ROLE_KEY',
      'JELLYFIN_API_KEY',
    ])
      expect(byName.get(secret)?.secret, secret).toBe(true);
    for (const name of ['JELLYFIN_URL', 'SUPABASE_URL', 'QWEN_AUDIO_STORE', 'FFMPEG_PATH', 'QWEN_MODEL_NAME'])
      expect(byName.has(name), name).toBe(true);
  });
});
