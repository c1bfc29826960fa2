import { describe, expect, it } from 'vitest';
import { AUDIO_PROCESSOR_ENV_VARS, audioProcessorOptionsFromEnv } from './config';
import { AudioProcessorError } from './errors';

describe('audioProcessorOptionsFromEnv', () => {
  it('has defaults for everything but the store and Jellyfin', () => {
    const o = audioProcessorOptionsFromEnv({});
    expect(o.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(o.queue).toEqual({
      stream: 'PMOVES_AUDIO_QWEN',
      subject: 'pmoves.work.audio.qwen.v1',
      consumer: 'jellyfin-audio-processor',
      dlqSubject: 'pmoves.work.audio.qwen.dlq.v1',
      dlqStream: 'PMOVES_AUDIO_QWEN_DLQ',
      ackWaitMs: 60_000,
      maxDeliver: 5,
      retryDelayMs: 30_000,
      duplicateWindowMs: 86_400_000,
    });
    expect(o).toMatchObject({ concurrency: 1, pollIntervalMs: 300_000, store: null, jellyfin: null });
    expect(o.qwenEnabled).toBe(false);
  });

  it('names every bad or missing variable in one error, never echoing a secret', () => {
    let err: unknown;
    try {
      audioProcessorOptionsFromEnv(
        {
          NATS_URL: 'localhost:4222',
          AUDIO_QUEUE_ACK_WAIT: '0',
          AUDIO_QUEUE_MAX_DELIVER: 'many',
          AUDIO_QUEUE_SUBJECT: 'work.>',
          AUDIO_PROCESSOR_MEDIA_ROOTS: '/srv/media,relative/dir',
          JELLYFIN_URL: 'jellyfin:8096',
          DATABASE_URL: 'mysql://user:hunter2@db/x',
          JELLYFIN_AUDIO_QWEN_ENABLE: 'ture',
          QWEN_AUDIO_URL: 'ftp://models',
          QWEN_AUDIO_TIMEOUT: 'soon',
        },
        { store: true, jellyfin: true },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AudioProcessorError);
    const e = err as AudioProcessorError;
    expect(e.code).toBe('config');
    for (const name of [
      'NATS_URL',
      'AUDIO_QUEUE_ACK_WAIT',
      'AUDIO_QUEUE_MAX_DELIVER',
      'AUDIO_QUEUE_SUBJECT',
      'AUDIO_PROCESSOR_MEDIA_ROOTS',
      'JELLYFIN_URL',
      'DATABASE_URL',
      'JELLYFIN_AUDIO_QWEN_ENABLE',
      'QWEN_AUDIO_URL',
      'QWEN_AUDIO_TIMEOUT',
    ])
      expect(e.message).toContain(name);
    // qwen-audio's issues are counted with the processor's own, one each.
    expect(e.message).toMatch(/^invalid environment \(11 problems\)/);
    expect(e.message).not.toContain('hunter2');
  });

  it("gives qwen-audio's options as its parser reads them, for createQwenAudioAdapter", () => {
    const warnings: string[] = [];
    const o = audioProcessorOptionsFromEnv(
      {
        JELLYFIN_AUDIO_QWEN_ENABLE: 'true',
        QWEN_AUDIO_URL: 'http://vllm:8000',
        QWEN_AUDIO_TIMEOUT_MS: '90000',
        QWEN_AUDIO_TRANSCRIPT: 'full',
      },
      {},
      { onWarning: (m) => warnings.push(m) },
    );
    expect(o.qwenEnabled).toBe(true);
    expect(o.qwen).toMatchObject({
      enabled: true,
      backend: 'auto',
      url: 'http://vllm:8000',
      timeoutMs: 90_000,
      transcript: 'full',
    });
    expect(warnings.join('\n')).toMatch(/QWEN_AUDIO_TIMEOUT_MS/);
  });

  it('asks for the store and Jellyfin only when the command needs them', () => {
    expect(() => audioProcessorOptionsFromEnv({}, { store: true })).toThrow(/DATABASE_URL or SUPABASE_URL/);
    expect(() => audioProcessorOptionsFromEnv({}, { jellyfin: true })).toThrow(/JELLYFIN_URL is required/);
    expect(() => audioProcessorOptionsFromEnv({ JELLYFIN_URL: 'http://j:8096' })).toThrow(
      /JELLYFIN_API_KEY is required/,
    );
    const o = audioProcessorOptionsFromEnv(
      { DATABASE_URL: 'postgres://u@h/db', JELLYFIN_URL: 'http://j:8096', JELLYFIN_API_KEY: 'k' },
      { store: true, jellyfin: true },
    );
    expect(o.store).toEqual({ kind: 'postgres', connectionString: 'postgres://u@h/db' });
    expect(o.jellyfin).toEqual({ url: 'http://j:8096', apiKey: 'k' });
  });

  it('lists every variable it reads, secrets marked', () => {
    const names = AUDIO_PROCESSOR_ENV_VARS.map((v) => v.name);
    expect(names).toContain('NATS_URL');
    expect(names).toContain('PROCESSING_INTERVAL');
    expect(new Set(names).size).toBe(names.length);
    const secrets = AUDIO_PROCESSOR_ENV_VARS.filter((v) => v.secret).map((v) => v.name);
    expect(secrets.sort()).toEqual(['DATABASE_URL', 'JELLYFIN_API_KEY', 'SUPABASE_SERVICE_ROLE_KEY']);
  });
});
