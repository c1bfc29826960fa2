// The public surface of each entry, held here so that an API change is a deliberate edit of this
// list (and of the README, which documents each name).
import { describe, expect, it } from 'vitest';
import * as config from './config/index';
import * as fetch from './fetch/index';
import * as root from './index';
import * as web from './web/index';
import * as server from './server/index';

const names = (m: object): string[] => Object.keys(m).sort();

describe('public entries', () => {
  it('@pmoves/clip', () => {
    expect(names(root)).toEqual([
      'CLIP_ENV_VARS',
      'ClipError',
      'ClipTokenizer',
      'DEFAULT_MAX_BYTES',
      'DEFAULT_MAX_PIXELS',
      'DEFAULT_MODEL',
      'DEFAULT_PREPROCESSOR_CONFIG',
      'ImageFetchOptionsSchema',
      'RemoteClipOptionsSchema',
      'autoWeightType',
      'classifyAddress',
      'clipEmbedderOptionsFromEnv',
      'clipSetupFromEnv',
      'cosineSimilarity',
      'cpuInt8Support',
      'createClipEmbedder',
      'createClipEmbedderFromEnv',
      'createImageFetcher',
      'createPreprocessor',
      'createRemoteClipEmbedder',
      'fetchImage',
      'imageFetchOptionsFromEnv',
      'isClipError',
      'parsePreprocessorConfig',
      'preprocessorConfigSchema',
      'pullModel',
      'quantizeModel',
      'quantizedName',
      'remoteClipOptionsFromEnv',
      'similarities',
      'topK',
    ]);
  });

  it('@pmoves/clip/fetch', () => {
    expect(names(fetch)).toEqual([
      'ClipError',
      'ImageFetchOptionsSchema',
      'classifyAddress',
      'createImageFetcher',
      'fetchImage',
      'imageFetchOptionsFromEnv',
      'isClipError',
    ]);
  });

  it('@pmoves/clip/config', () => {
    expect(names(config)).toEqual([
      'CLIP_ENV_VARS',
      'ClipError',
      'clipEmbedderOptionsFromEnv',
      'clipSetupFromEnv',
      'imageFetchOptionsFromEnv',
      'isClipError',
      'remoteClipOptionsFromEnv',
    ]);
  });

  it('@pmoves/clip/web', () => {
    expect(names(web)).toEqual([
      'ClipError',
      'ClipTokenizer',
      'cosineSimilarity',
      'createWebClipEmbedder',
      'isClipError',
      'similarities',
      'topK',
    ]);
    // The Node build's tokenizer is the shared class plus fromFiles.
    expect(Object.getPrototypeOf(root.ClipTokenizer)).toBe(web.ClipTokenizer);
  });

  it('createWebClipEmbedder names a bad option before starting a worker', async () => {
    await expect(web.createWebClipEmbedder({ modelUrl: '' })).rejects.toThrow(/"modelUrl"/);
    await expect(web.createWebClipEmbedder({ modelUrl: '/m/', device: 'cuda' as 'wasm' })).rejects.toThrow(
      /"device"/,
    );
    await expect(web.createWebClipEmbedder({ modelUrl: '/m/', dtype: 'int4' as 'q8' })).rejects.toThrow(
      /"dtype"/,
    );
  });

  it('@pmoves/clip/server', () => {
    expect(names(server)).toEqual([
      'ClipError',
      'ClipServerOptionsSchema',
      'EmbedImageRequestSchema',
      'EmbedImageResponseSchema',
      'EmbedTextRequestSchema',
      'EmbedTextResponseSchema',
      'EmbeddingEncodingSchema',
      'EmbeddingsDataSchema',
      'EmbeddingsEncodingFormatSchema',
      'EmbeddingsInputItemSchema',
      'EmbeddingsRequestSchema',
      'EmbeddingsResponseSchema',
      'ErrorResponseSchema',
      'ImageItemSchema',
      'ModelEntrySchema',
      'ModelsResponseSchema',
      'WireErrorSchema',
      'clipServerOptionsFromEnv',
      'createClipServer',
      'decodeEmbedding',
      'encodeEmbedding',
      'isClipError',
      'startClipServer',
    ]);
  });

  it('every entry hands out the same ClipError and parsers', () => {
    expect(web.ClipError).toBe(root.ClipError);
    expect(fetch.ClipError).toBe(root.ClipError);
    expect(config.ClipError).toBe(root.ClipError);
    expect(server.ClipError).toBe(root.ClipError);
    expect(config.imageFetchOptionsFromEnv).toBe(fetch.imageFetchOptionsFromEnv);
  });
});
