import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipError } from '../errors';
import { DEFAULT_HUB_CACHE } from '../model/hub-cache';
import { CLIP_ENV_VARS, clipEmbedderOptionsFromEnv, clipSetupFromEnv } from './env';

function configError(fn: () => unknown): ClipError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClipError);
    return err as ClipError;
  }
  throw new Error('expected a config error');
}

describe('clipEmbedderOptionsFromEnv', () => {
  it('maps each variable to its option and leaves unset ones out', () => {
    expect(
      clipEmbedderOptionsFromEnv({
        CLIP_MODEL: 'openai/clip-vit-base-patch32',
        CLIP_MODEL_PATH: '/models/clip',
        CLIP_CACHE_DIR: '/cache',
        CLIP_REVISION: 'v1',
        CLIP_DTYPE: 'FP16',
        CLIP_DEVICE: 'cuda',
        CLIP_DEVICE_FALLBACK: 'yes',
        CLIP_MAX_BATCH_BUFFERS: '2',
        CLIP_AUTO_DOWNLOAD: '1',
        HF_HUB_CACHE: '/hub',
        HF_ENDPOINT: 'http://127.0.0.1:9/',
        HF_TOKEN: 'hf_secret',
        HF_HUB_OFFLINE: '0',
      }),
    ).toEqual({
      model: 'openai/clip-vit-base-patch32',
      modelPath: '/models/clip',
      cacheDir: '/cache',
      revision: 'v1',
      dtype: 'fp16',
      device: 'cuda',
      fallback: true,
      maxBatchBuffers: 2,
      autoDownload: true,
      hubCache: resolve('/hub'),
      hub: { endpoint: 'http://127.0.0.1:9/', token: 'hf_secret', offline: false },
    });
    expect(clipEmbedderOptionsFromEnv({})).toEqual({
      hubCache: DEFAULT_HUB_CACHE,
      hub: { endpoint: 'https://huggingface.co', offline: false },
    });
    expect(clipEmbedderOptionsFromEnv({ HF_HOME: '/hf' }).hubCache).toBe(join(resolve('/hf'), 'hub'));
  });

  it('names every bad variable at once, never echoing the token', () => {
    const err = configError(() =>
      clipEmbedderOptionsFromEnv({
        CLIP_DTYPE: 'int4',
        CLIP_DEVICE: 'gpu',
        CLIP_DEVICE_FALLBACK: 'maybe',
        CLIP_MAX_BATCH_BUFFERS: 'many',
        CLIP_AUTO_DOWNLOAD: 'ture',
        HF_ENDPOINT: 'huggingface.co',
        HF_HUB_OFFLINE: 'sometimes',
        HF_TOKEN: 'hf_abc',
      }),
    );
    expect(err.code).toBe('config');
    expect(err.issues.map((i) => i.variable)).toEqual([
      'CLIP_DTYPE',
      'CLIP_DEVICE',
      'CLIP_DEVICE_FALLBACK',
      'CLIP_MAX_BATCH_BUFFERS',
      'CLIP_AUTO_DOWNLOAD',
      'HF_ENDPOINT',
      'HF_HUB_OFFLINE',
    ]);
    expect(err.message).not.toContain('hf_abc');
    expect(Object.isFrozen(err.issues)).toBe(true);
  });
});

describe('clipSetupFromEnv', () => {
  it('picks the remote client when CLIP_ENDPOINT is set and the local embedder otherwise', () => {
    // The remote parser fills in its documented defaults (CLIP_RETRIES, CLIP_ENDPOINT_COOLDOWN,
    // CLIP_REMOTE_BATCH_SIZE), as remoteClipOptionsFromEnv does on its own.
    expect(clipSetupFromEnv({ CLIP_ENDPOINT: 'http://127.0.0.1:8095', CLIP_TIMEOUT: '5' })).toEqual({
      kind: 'remote',
      options: {
        endpoint: 'http://127.0.0.1:8095',
        timeoutMs: 5000,
        retries: 3,
        cooldownMs: 30_000,
        batchSize: 32,
      },
    });
    expect(clipSetupFromEnv({ CLIP_MODEL_PATH: '/m' })).toMatchObject({
      kind: 'local',
      options: { modelPath: '/m' },
    });
  });

  it("reports a bad remote configuration as the package's config error, naming every variable", () => {
    const err = configError(() =>
      clipSetupFromEnv({ CLIP_ENDPOINT: 'http://127.0.0.1:8095,localhost:8095', CLIP_TIMEOUT: 'soon' }),
    );
    expect(err.code).toBe('config');
    expect(err.issues.map((i) => i.variable)).toEqual(['CLIP_ENDPOINT', 'CLIP_TIMEOUT']);
  });
});

describe('CLIP_ENV_VARS', () => {
  it('lists every variable the parsers read (embedder, hub, fetcher, remote, server, video, index), once each', () => {
    const names = CLIP_ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of [
      'CLIP_MODEL',
      'CLIP_MODEL_PATH',
      'CLIP_DEVICE_FALLBACK',
      'CLIP_MAX_BATCH_BUFFERS',
      'CLIP_AUTO_DOWNLOAD',
      'HF_TOKEN',
      'CLIP_IMAGE_FETCH_MAX_REDIRECTS',
      'CLIP_ENDPOINT',
      'CLIP_TIMEOUT',
      'CLIP_RETRIES',
      'CLIP_SERVER_TOKEN',
      'PORT',
      'CLIP_SERVER_MAX_QUEUE',
      'FFMPEG_PATH',
      'CLIP_INDEX_STORE',
      'QDRANT_URL',
      'JELLYFIN_URL',
    ])
      expect(names).toContain(n);
    expect(CLIP_ENV_VARS.find((v) => v.name === 'CLIP_SERVER_TOKEN')!.secret).toBe(true);
    expect(CLIP_ENV_VARS.find((v) => v.name === 'HF_TOKEN')!.secret).toBe(true);
    for (const v of CLIP_ENV_VARS) expect(v.form.length).toBeGreaterThan(0);
  });
});
