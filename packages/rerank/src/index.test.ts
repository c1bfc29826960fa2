// The public surface of `@pmoves/rerank`, held here so that a change to it is deliberate (and the
// README, which documents each of these, changes with it).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rerank from '.';

const VALUES = [
  'BestMatchSchema',
  'CandidateSchema',
  'ClipProviderOptionsSchema',
  'CohereProviderOptionsSchema',
  'FusionModeSchema',
  'HIRAG_DEFAULTS',
  'HiRagHitSchema',
  'PROVIDER_ALIASES',
  'ProviderAttemptSchema',
  'ProviderMetadataSchema',
  'RERANK_ENV_VARS',
  'RerankError',
  'RerankHitSchema',
  'RerankQuerySchema',
  'RerankRequestSchema',
  'RerankResultSchema',
  'ScoreKindSchema',
  'TeiProviderOptionsSchema',
  'TensorZeroProviderOptionsSchema',
  'clipBestMatch',
  'createClipProvider',
  'createCohereProvider',
  'createHiRagAdapter',
  'createHiRagAdapterFromEnv',
  'createNoneProvider',
  'createProvider',
  'createReranker',
  'createRerankerFromEnv',
  'createTeiProvider',
  'createTensorZeroProvider',
  'fuseScores',
  'hiRagCandidates',
  'hiRagSettingsFromEnv',
  'isRerankError',
  'normalizeScore',
  'rerankerOptionsFromEnv',
];

const TYPES = [
  'BestMatch',
  'BreakerState',
  'Candidate',
  'ChainEntryStatus',
  'ClipEmbedderLike',
  'ClipImageFetchOptions',
  'ClipImageInput',
  'ClipImageResult',
  'ClipProviderMetadata',
  'ClipProviderOptions',
  'ClipRerankProvider',
  'CohereProviderOptions',
  'Env',
  'EnvIssue',
  'EnvVarInfo',
  'FusionInput',
  'FusionMode',
  'FusionOptions',
  'HiRagAdapter',
  'HiRagAdapterOptions',
  'HiRagHit',
  'HiRagOutcome',
  'HiRagQueryResponse',
  'HiRagRequest',
  'HiRagRerankStatus',
  'HiRagResponseHit',
  'HiRagSettings',
  'Modality',
  'ProviderAttempt',
  'ProviderConfig',
  'ProviderMetadata',
  'ProviderRequest',
  'ProviderScores',
  'RerankErrorCode',
  'RerankHit',
  'RerankProvider',
  'RerankQuery',
  'RerankRequest',
  'RerankResult',
  'Reranker',
  'RerankerEnvOptions',
  'RerankerOptions',
  'RerankerStatus',
  'ScoreKind',
  'TeiProviderOptions',
  'TensorZeroProviderOptions',
];

const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');

describe('the public surface of @pmoves/rerank', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(rerank).sort()).toEqual(VALUES);
  });

  it('exports exactly these types', () => {
    // Type-only exports leave no runtime trace: read them from the entry's source.
    const source = readFileSync(resolve(__dirname, 'index.ts'), 'utf8');
    const types = [...source.matchAll(/\btype (\w+)/g), ...source.matchAll(/export type \{([^}]*)\}/g)]
      .flatMap((m) => (m[0].startsWith('export type {') ? m[1]!.split(',') : [m[1]!]))
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith('{'));
    expect([...new Set(types)].sort()).toEqual(TYPES);
  });

  it('the README documents every export', () => {
    for (const name of [...VALUES, ...TYPES]) expect(readme, name).toMatch(new RegExp(`\\b${name}\\b`));
  });
});
