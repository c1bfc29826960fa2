// The parts of @pmoves/clip this package uses, declared structurally here: @pmoves/clip is an
// optional peer, so nothing in our public types may import it (a project without it must
// type-check our .d.ts with skipLibCheck off). clip-types.test.ts checks that clip's own types
// still fit these.

/** An image the embedder accepts: encoded bytes (what this provider hands it). */
export type ClipImageInput = Uint8Array;

/** One image's outcome: an embedding, or the error that stopped it (with clip's `code`). */
export interface ClipImageResult {
  /** The image embedding. */
  embedding?: Float32Array;
  /** Why this image has no embedding (a `ClipError`, whose `code` names the reason). */
  error?: Error;
}

/** What the CLIP provider needs of an embedder: `@pmoves/clip`'s `ClipEmbedder` fits. */
export interface ClipEmbedderLike {
  /** Embed images; one result per input, in order (a bad image is an error in its slot). */
  embedImages(
    inputs: readonly ClipImageInput[],
    options?: { signal?: AbortSignal },
  ): Promise<readonly ClipImageResult[]>;
  /** Embed texts; one vector per text, in order. */
  embedTexts(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<readonly Float32Array[]>;
  /** The model, the execution provider in use and, when known, the weights' precision (`fp32`, `fp16`, `q8`…). */
  info(): { model: string; provider: string; dtype?: string };
  /** Release the model. */
  dispose(): Promise<void>;
}

/**
 * Options of `@pmoves/clip/fetch`'s image fetcher (SSRF policy and limits), as this package passes
 * them on; see that package's README for each field. `@pmoves/clip`'s `ImageFetchOptions` fits.
 */
export interface ClipImageFetchOptions {
  /** Whole-fetch deadline, ms. */
  timeoutMs?: number;
  /** Largest body accepted, bytes (also the limit of a local file read inside `mediaRoots`). */
  maxBytes?: number;
  /** Redirects followed, each re-checked. */
  maxRedirects?: number;
  /** Hosts (`name`, `*.suffix`) or addresses/CIDRs allowed even when private. */
  allowedHosts?: string[];
  /** Allow private networks (metadata addresses stay refused). */
  allowPrivate?: boolean;
  /** Accepted `Content-Type` prefixes. */
  acceptContentTypes?: string[];
  /** `User-Agent` header sent. */
  userAgent?: string;
  /** DNS resolver: every address a host name resolves to. */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
  /** Hook called with the checked address right before connecting (throwing refuses it). */
  connectGuard?: (target: { hostname: string; address: string; port: number; protocol: string }) => void;
}

/** A fetched image, as `@pmoves/clip/fetch` answers. */
export interface FetchedImageLike {
  bytes: Uint8Array;
  etag?: string;
  lastModified?: string;
  notModified?: boolean;
}

/** `@pmoves/clip/fetch`'s `ImageFetcher`, as this package calls it. */
export interface ImageFetcherLike {
  fetch(
    url: string,
    options?: { signal?: AbortSignal; ifNoneMatch?: string; ifModifiedSince?: string },
  ): Promise<FetchedImageLike>;
  close(): Promise<void>;
}
