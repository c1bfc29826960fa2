// The structural types this package declares for @pmoves/clip (so its .d.ts never imports the
// optional peer) must keep fitting clip's real ones: `npm run typecheck` fails here when they drift,
// and the modules must offer what the loaders call.
import type * as Clip from '@pmoves/clip';
import type { ClipEmbedder, ImageFetchOptions, LocalClipEmbedder, RemoteClipEmbedder } from '@pmoves/clip';
import type * as ClipFetch from '@pmoves/clip/fetch';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ClipEmbedderLike, ClipImageFetchOptions } from './clip-types';
import { loadClipFetch, loadClipMain, type ClipFetchModule, type ClipMainModule } from './load';

describe('clip-types fit @pmoves/clip', () => {
  it("clip's embedders and fetch options are assignable to the local types", () => {
    expectTypeOf<ClipEmbedder>().toExtend<ClipEmbedderLike>();
    expectTypeOf<LocalClipEmbedder>().toExtend<ClipEmbedderLike>();
    expectTypeOf<RemoteClipEmbedder>().toExtend<ClipEmbedderLike>();
    expectTypeOf<ImageFetchOptions>().toExtend<ClipImageFetchOptions>();
    expectTypeOf<typeof ClipFetch>().toExtend<ClipFetchModule>();
    expectTypeOf<typeof Clip>().toExtend<ClipMainModule>();
  });

  it('the loaders find what they call', async () => {
    const fetch = await loadClipFetch();
    expect([
      typeof fetch.createImageFetcher,
      typeof fetch.imageFetchOptionsFromEnv,
      typeof fetch.isClipError,
    ]).toEqual(['function', 'function', 'function']);
    const main = await loadClipMain();
    expect([typeof main.createClipEmbedder, typeof main.createRemoteClipEmbedder]).toEqual([
      'function',
      'function',
    ]);
  });
});
