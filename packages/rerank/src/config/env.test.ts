import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { imageFetchOptionsFromEnv } from '@pmoves/clip/fetch';
import { clipSetupFromEnv } from '@pmoves/clip/config';
import { describe, expect, it } from 'vitest';
import {
  createHiRagAdapterFromEnv,
  createRerankerFromEnv,
  hiRagSettingsFromEnv,
  RERANK_ENV_VARS,
  rerankerOptionsFromEnv,
  RerankError,
} from '..';

const URL = 'http://127.0.0.1:9';

/** The `config` error a promise rejects with. */
async function configError(p: Promise<unknown>): Promise<RerankError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RerankError);
  expect((err as RerankError).code).toBe('config');
  return err as RerankError;
}

describe('rerankerOptionsFromEnv', () => {
  it('uses PMOVES defaults', async () => {
    expect(await rerankerOptionsFromEnv({ RERANK_URL: URL })).toEqual({
      providers: [
        { provider: 'flag', options: { url: URL, model: 'Qwen/Qwen3-Reranker-4B', timeoutMs: 10_000 } },
      ],
      timeoutMs: 30_000,
      breaker: { threshold: 3, cooldownMs: 30_000 },
    });
  });

  it('resolves aliases and fallback order, drops duplicates, reads seconds', async () => {
    const o = await rerankerOptionsFromEnv({
      RERANK_PROVIDER: 'TZ',
      RERANK_FALLBACK: 'tei, jina ,none,flag',
      RERANK_URL: URL,
      RERANK_API_KEY: 'rk',
      TENSORZERO_BASE_URL: URL,
      RERANK_TIMEOUT: '2.5',
      RERANK_PROVIDER_TIMEOUT: '1',
      RERANK_BREAKER_COOLDOWN: '0.5',
    });
    expect(o.providers).toEqual([
      {
        provider: 'tensorzero',
        options: { baseUrl: URL, functionName: 'hi_rag_rerank', timeoutMs: 20_000 },
      },
      {
        provider: 'flag',
        options: { url: URL, model: 'Qwen/Qwen3-Reranker-4B', timeoutMs: 1000, apiKey: 'rk' },
      },
      {
        provider: 'cohere',
        options: {
          id: 'jina',
          url: URL,
          path: '/v1/rerank',
          model: 'Qwen/Qwen3-Reranker-4B',
          timeoutMs: 1000,
          apiKey: 'rk',
        },
      },
      { provider: 'none' },
    ]);
    expect(o).toMatchObject({ timeoutMs: 2500, breaker: { threshold: 3, cooldownMs: 500 } });
  });

  it('names every bad variable in one error, with the accepted form', async () => {
    const err = await configError(
      rerankerOptionsFromEnv({
        RERANK_PROVIDER: 'colbert',
        RERANK_FALLBACK: 'flag,bogus',
        RERANK_URL: 'not-a-url',
        RERANK_TIMEOUT: 'soon',
        RERANK_BREAKER_THRESHOLD: '0',
        RERANK_API_KEY: 'secret-key',
      }),
    );
    expect(err.issues!.map((i) => i.variable)).toEqual([
      'RERANK_PROVIDER',
      'RERANK_FALLBACK',
      'RERANK_URL',
      'RERANK_TIMEOUT',
      'RERANK_BREAKER_THRESHOLD',
    ]);
    expect(err.message).toMatch(/^invalid environment \(5 problems\): /);
    expect(err.message).toContain(
      'RERANK_PROVIDER must be one of flag, tei, cohere, jina, vllm, infinity, tensorzero, tz, tzero, clip, none; received "colbert"',
    );
    expect(err.message).toContain('RERANK_FALLBACK item 2 ("bogus") must be one of flag');
    expect(err.message).toContain('RERANK_URL must be an http(s) URL');
    expect(err.message).toContain('RERANK_TIMEOUT must be a number of seconds');
    expect(err.message).not.toContain('secret-key');
  });

  it('a provider without its URL names the variable', async () => {
    const err = await configError(
      rerankerOptionsFromEnv({ RERANK_PROVIDER: 'tz', RERANK_FALLBACK: 'flag,cohere' }),
    );
    expect(err.issues).toEqual([
      { variable: 'TENSORZERO_BASE_URL', message: 'must be set: the tz provider needs it' },
      { variable: 'RERANK_URL', message: 'must be set: the flag provider needs it' },
    ]);
  });

  it('reads no provider variable of a provider outside the chain', async () => {
    const o = await rerankerOptionsFromEnv({
      RERANK_PROVIDER: 'none',
      RERANK_URL: 'not-a-url',
      CLIP_ENDPOINT: 'localhost:8095',
      CLIP_IMAGE_FETCH_TIMEOUT: 'soon',
    });
    expect(o.providers).toEqual([{ provider: 'none' }]);
  });
});

describe('the clip provider from the environment', () => {
  it('builds its options with CLIP_* (seconds → ms) and clip’s own parsers (remote client, fetch)', async () => {
    const env = {
      RERANK_PROVIDER: 'clip',
      RERANK_FALLBACK: 'none',
      RERANK_API_KEY: 'not-for-clip',
      CLIP_ENDPOINT: URL,
      CLIP_TIMEOUT: '1.5',
      CLIP_RERANK_CACHE_SIZE: '50',
      RERANK_MEDIA_ROOTS: '/srv/media, /mnt/thumbs',
      CLIP_IMAGE_FETCH_ALLOWED_HOSTS: 'cdn.example, 10.0.0.0/8',
      CLIP_IMAGE_FETCH_TIMEOUT: '2.5',
      CLIP_IMAGE_FETCH_MAX_BYTES: '1000',
      CLIP_IMAGE_FETCH_MAX_REDIRECTS: '5',
    };
    const o = await rerankerOptionsFromEnv(env);
    const clip = o.providers[0]!;
    expect(clip.provider).toBe('clip');
    const options = (clip as Extract<typeof clip, { provider: 'clip' }>).options;
    expect(options).toMatchObject({
      endpoint: URL,
      timeoutMs: 1500,
      cacheSize: 50,
      mediaRoots: ['/srv/media', '/mnt/thumbs'],
    });
    // The remote client's options are what @pmoves/clip's own parser makes of this environment.
    const setup = clipSetupFromEnv(env);
    expect(setup.kind).toBe('remote');
    const { endpoint: _e, timeoutMs: _t, ...remoteOptions } = setup.options as Record<string, unknown>;
    expect(options.remoteOptions).toEqual(remoteOptions);
    expect(options.remoteOptions).toMatchObject({ retries: 3, batchSize: 32 });
    expect(options.embedderOptions).toBeUndefined();
    // Exactly what @pmoves/clip's parser makes of them — including the redirect limit.
    expect(options.fetchOptions).toEqual(imageFetchOptionsFromEnv(env));
    expect(options.fetchOptions).toMatchObject({ maxRedirects: 5, timeoutMs: 2500, maxBytes: 1000 });
    expect(o.providers[1]).toEqual({ provider: 'none' });

    const r = await createRerankerFromEnv(env);
    expect(r.providers.map((p) => [p.id, p.timeoutMs])).toEqual([
      ['clip', 1500],
      ['none', undefined],
    ]);
    expect(r.status()).toMatchObject({ provider: 'clip', device: 'remote', loaded: false });
  });

  it('without CLIP_ENDPOINT the local embedder’s options are clip’s parser’s; several endpoints are kept', async () => {
    const local = { RERANK_PROVIDER: 'clip', CLIP_MODEL_PATH: '/models/clip', CLIP_DTYPE: 'q8' };
    const o = await rerankerOptionsFromEnv(local);
    const options = (o.providers[0] as { options: Record<string, unknown> }).options;
    expect(options.embedderOptions).toEqual(clipSetupFromEnv(local).options);
    expect(options).not.toHaveProperty('endpoint');
    const two = await rerankerOptionsFromEnv({
      RERANK_PROVIDER: 'clip',
      CLIP_ENDPOINT: 'http://clip-a:8095,http://clip-b:8095',
      CLIP_RETRIES: '1',
    });
    expect((two.providers[0] as { options: Record<string, unknown> }).options).toMatchObject({
      endpoint: ['http://clip-a:8095', 'http://clip-b:8095'],
      remoteOptions: { retries: 1 },
    });
  });

  it('CLIP_IMAGE_FETCH_ALLOW_PRIVATE=ture is an error naming the variable, not false', async () => {
    const err = await configError(
      rerankerOptionsFromEnv({ RERANK_PROVIDER: 'clip', CLIP_IMAGE_FETCH_ALLOW_PRIVATE: 'ture' }),
    );
    expect(err.issues).toEqual([
      {
        variable: 'CLIP_IMAGE_FETCH_ALLOW_PRIVATE',
        message: 'must be a boolean: true/false, 1/0, yes/no or on/off; received "ture"',
      },
    ]);
    expect(err.message).toContain('CLIP_IMAGE_FETCH_ALLOW_PRIVATE must be a boolean');
  });

  it('a bad CLIP configuration fails at start-up, in the same error as the others', async () => {
    const err = await configError(
      createRerankerFromEnv({
        RERANK_PROVIDER: 'clip',
        CLIP_ENDPOINT: 'localhost:8095',
        CLIP_TIMEOUT: '0',
        RERANK_MEDIA_ROOTS: 'media',
        CLIP_IMAGE_FETCH_TIMEOUT: 'soon',
        RERANK_TIMEOUT: 'never',
      }),
    );
    // Each variable once, although CLIP_TIMEOUT is read by the provider and by clip's remote parser.
    expect(err.issues!.map((i) => i.variable)).toEqual([
      'RERANK_MEDIA_ROOTS',
      'CLIP_TIMEOUT',
      'CLIP_ENDPOINT',
      'CLIP_IMAGE_FETCH_TIMEOUT',
      'RERANK_TIMEOUT',
    ]);
    expect(err.message).toContain(
      'CLIP_ENDPOINT item 1 ("localhost:8095") must be an http(s) URL such as http://127.0.0.1:8080',
    );
    expect(err.message).toContain('RERANK_MEDIA_ROOTS item 1 ("media") must be an absolute directory');
  });
});

describe('hiRagSettingsFromEnv', () => {
  it('uses PMOVES defaults', () => {
    expect(hiRagSettingsFromEnv({})).toEqual({ enabled: true, topn: 50, k: 10, fusion: 'mul', warnings: [] });
  });

  it('reads booleans and enums in any case, caps K at TOPN with a warning', () => {
    expect(
      hiRagSettingsFromEnv({ RERANK_ENABLE: 'off', RERANK_TOPN: '5', RERANK_K: '8', RERANK_FUSION: 'WSUM' }),
    ).toEqual({
      enabled: false,
      topn: 5,
      k: 5,
      fusion: 'wsum',
      warnings: ['RERANK_K 8 exceeds RERANK_TOPN 5; truncating to topn'],
    });
  });

  it('a misspelt boolean is an error, not false', () => {
    expect(() => hiRagSettingsFromEnv({ RERANK_ENABLE: 'ture' })).toThrow(/RERANK_ENABLE must be a boolean/);
  });
});

describe('createHiRagAdapterFromEnv', () => {
  it('one error names the bad variables of the chain and of the adapter together', async () => {
    const err = await configError(
      createHiRagAdapterFromEnv({
        RERANK_ENABLE: 'maybe',
        RERANK_TOPN: '0',
        RERANK_FUSION: 'max',
        RERANK_PROVIDER: 'flag',
        RERANK_URL: 'ftp://x',
      }),
    );
    expect(err.issues!.map((i) => i.variable)).toEqual([
      'RERANK_TOPN',
      'RERANK_ENABLE',
      'RERANK_FUSION',
      'RERANK_URL',
    ]);
  });

  it('builds the chain and the settings, and status never shows a secret', async () => {
    const adapter = await createHiRagAdapterFromEnv({
      RERANK_PROVIDER: 'tensorzero',
      RERANK_FALLBACK: 'flag,none',
      RERANK_URL: `${URL}/`,
      RERANK_MODEL: 'BAAI/bge-reranker-base',
      TENSORZERO_BASE_URL: URL,
      TENSORZERO_RERANK_FUNCTION: 'my_rerank',
      TENSORZERO_RERANK_TIMEOUT: '3',
      TENSORZERO_API_KEY: 'secret-key',
      RERANK_TOPN: '20',
      RERANK_K: '4',
    });
    expect(adapter.reranker.providers.map((p) => [p.id, p.model, p.timeoutMs])).toEqual([
      ['tensorzero', 'my_rerank', 3000],
      ['flag', 'BAAI/bge-reranker-base', 10_000],
      ['none', null, undefined],
    ]);
    const status = adapter.status();
    expect(status).toMatchObject({
      enabled: true,
      provider: 'tensorzero',
      model: 'my_rerank',
      topn: 20,
      k: 4,
    });
    expect(status.chain.map((c) => c.id)).toEqual(['tensorzero', 'flag', 'none']);
    expect(JSON.stringify(status)).not.toContain('secret-key');
  });
});

describe('RERANK_ENV_VARS', () => {
  it('lists every variable the parsers read, each once, and each is in the tooling reference', () => {
    const names = RERANK_ENV_VARS.map((v) => v.name);
    expect(names).toEqual([
      'RERANK_PROVIDER',
      'RERANK_FALLBACK',
      'RERANK_MODEL',
      'RERANK_URL',
      'RERANK_PATH',
      'RERANK_API_KEY',
      'RERANK_TIMEOUT',
      'RERANK_PROVIDER_TIMEOUT',
      'RERANK_BREAKER_THRESHOLD',
      'RERANK_BREAKER_COOLDOWN',
      'TENSORZERO_BASE_URL',
      'TENSORZERO_RERANK_FUNCTION',
      'TENSORZERO_RERANK_TIMEOUT',
      'TENSORZERO_API_KEY',
      // CLIP_ENDPOINT and the rest of CLIP_* are read by @pmoves/clip's parsers (CLIP_ENV_VARS).
      'CLIP_TIMEOUT',
      'CLIP_RERANK_CACHE_SIZE',
      'RERANK_MEDIA_ROOTS',
      'RERANK_ENABLE',
      'RERANK_TOPN',
      'RERANK_K',
      'RERANK_FUSION',
    ]);
    expect(RERANK_ENV_VARS.filter((v) => v.secret).map((v) => v.name)).toEqual([
      'RERANK_API_KEY',
      'TENSORZERO_API_KEY',
    ]);
    const reference = readFileSync(resolve(__dirname, '../../../../docs/LOCAL_TOOLING_REFERENCE.md'), 'utf8');
    for (const name of names) expect(reference, name).toContain(`\`${name}\``);
  });
});
