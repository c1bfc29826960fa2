// The public surface of `@pmoves/clip/library` and `@pmoves/clip/video`: a change to either list is
// a deliberate API change (update the README with it).
import { describe, expect, it } from 'vitest';

describe('subpath entries', () => {
  it('@pmoves/clip/library exports exactly these names', async () => {
    expect(Object.keys(await import('./index')).sort()).toEqual([
      'CLIP_INDEX_ENV_VARS',
      'ClipError',
      'DEFAULT_DIMS',
      'DEFAULT_EF_SEARCH',
      'DEFAULT_JELLYFIN_TYPES',
      'DEFAULT_NAMESPACE',
      'DEFAULT_QDRANT_COLLECTION',
      'DEFAULT_TABLE',
      'JELLYFIN_VIDEO_TYPES',
      'PREPROCESSING_REVISION',
      'RESERVED_QDRANT_COLLECTIONS',
      'clipIndexMigrationSql',
      'clipIndexOptionsFromEnv',
      'createClipIndex',
      'createClipIndexFromEnv',
      'createClipStore',
      'createMemoryClipStore',
      'createPgliteClipStore',
      'createPostgresClipStore',
      'createQdrantClipStore',
      'createSupabaseClipStore',
      'embeddingSpaceOf',
      'indexJellyfinLibrary',
      'isClipError',
      'modelId',
      'qdrantPointId',
    ]);
  });

  it('@pmoves/clip/video exports exactly these names', async () => {
    expect(Object.keys(await import('../video/index')).sort()).toEqual([
      'ClipError',
      'VIDEO_CONTENT_TYPES',
      'VIDEO_ENV_VARS',
      'embedVideo',
      'embedVideoFrames',
      'extractVideoFrames',
      'isClipError',
      'poolEmbeddings',
      'videoOptionsFromEnv',
    ]);
  });
});
