// @pmoves/clip is an optional peer, loaded with a dynamic import() only when the CLIP provider
// (or its configuration) needs it: `@pmoves/clip/fetch` has the image fetcher and the fetch
// options parser without onnxruntime; the main entry has the embedders (and onnxruntime).
import { RerankError } from '../../errors';
import type { ClipEmbedderLike, ClipImageFetchOptions, ImageFetcherLike } from './clip-types';

/** What this package uses of `@pmoves/clip/fetch`. */
export interface ClipFetchModule {
  createImageFetcher(options?: ClipImageFetchOptions): ImageFetcherLike;
  imageFetchOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ClipImageFetchOptions;
  isClipError(value: unknown): boolean;
}

/** What this package uses of `@pmoves/clip/config` (the environment parsers, without onnxruntime). */
export interface ClipConfigModule {
  imageFetchOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ClipImageFetchOptions;
  /** The remote client's options when CLIP_ENDPOINT is set, the local embedder's otherwise. */
  clipSetupFromEnv(
    env: Readonly<Record<string, string | undefined>>,
  ):
    | { kind: 'remote'; options: { endpoint: string | string[] } & Record<string, unknown> }
    | { kind: 'local'; options: Record<string, unknown> };
  isClipError(value: unknown): boolean;
}

/** `@pmoves/clip/config`, or a `config` error saying the peer is missing. */
export async function loadClipConfig(): Promise<ClipConfigModule> {
  try {
    return (await import('@pmoves/clip/config')) as unknown as ClipConfigModule;
  } catch (err) {
    throw missing(err);
  }
}

/** What this package uses of `@pmoves/clip`. */
export interface ClipMainModule {
  createClipEmbedder(options: object): Promise<ClipEmbedderLike>;
  createRemoteClipEmbedder(
    options: { endpoint: string | string[]; timeoutMs?: number } & Record<string, unknown>,
  ): ClipEmbedderLike;
}

const missing = (cause: unknown) =>
  new RerankError('config', 'the clip provider needs the optional peer dependency @pmoves/clip', { cause });

/** `@pmoves/clip/fetch`, or a `config` error saying the peer is missing. */
export async function loadClipFetch(): Promise<ClipFetchModule> {
  try {
    return (await import('@pmoves/clip/fetch')) as unknown as ClipFetchModule;
  } catch (err) {
    throw missing(err);
  }
}

/** `@pmoves/clip` (loads onnxruntime), or a `config` error saying the peer is missing. */
export async function loadClipMain(): Promise<ClipMainModule> {
  try {
    return (await import('@pmoves/clip')) as unknown as ClipMainModule;
  } catch (err) {
    throw missing(err);
  }
}
