// The public surface of @pmoves/qwen-audio, held here so that changing it is a deliberate act:
// every name is documented in the README; the CLI is reached only through its bin.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as api from './index';

describe('@pmoves/qwen-audio exports', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'DEFAULT_QWEN_MODEL',
      'MAX_MOOD_CHARS',
      'MAX_SUMMARY_CHARS',
      'MAX_TAGS',
      'MEDIA_AUDIO_ANALYSIS_MIGRATIONS',
      'MEDIA_AUDIO_ANALYSIS_MIGRATION_SQL',
      'PROMPT_VERSION',
      'QWEN_AUDIO_ENV_VARS',
      'QwenAudioError',
      'analysisResultSchema',
      'audioAnalysisRecordSchema',
      'audioFeaturesSchema',
      'audioStoreOptionsFromEnv',
      'backendNameSchema',
      'chunkResultSchema',
      'confidenceSourceSchema',
      'createAudioAnalysisStore',
      'createAudioAnalysisStoreFromEnv',
      'createPgliteStore',
      'createPostgresStore',
      'createQwenAudioAdapter',
      'createQwenAudioAdapterFromEnv',
      'createSupabaseStore',
      'decodePcm',
      'extractFeatures',
      'isQwenAudioError',
      'measureAudioFeatures',
      'needsAnalysis',
      'processItem',
      'qwenAudioAdapterOptionsSchema',
      'qwenAudioOptionsFromEnv',
      'resolveFfmpegPath',
      'skippedResultSchema',
      'toAnalysisAudioV1Features',
      'transcriptSchema',
      'transcriptSegmentSchema',
    ]);
  });

  it('documents every export (values and types) in the README', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const source = await readFile(new URL('./index.ts', import.meta.url), 'utf8');
    const names = [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
      m[1]!
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    );
    expect(names.length).toBeGreaterThan(Object.keys(api).length);
    for (const name of names) expect(readme, name).toContain(`${name}`);
  });

  it('keeps the CLI and internal helpers out of the library', () => {
    for (const name of ['runCli', 'sha256File', 'parseWavHeader', 'FeatureAccumulator', 'readQwenAudioEnv'])
      expect(api, name).not.toHaveProperty(name);
  });
});
