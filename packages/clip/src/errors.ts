// The brand alone (not the package index, whose env/ffmpeg helpers the browser build must not pull in).
import { errorBrand } from '@pmoves/internal/brand';
import type { EnvIssue } from '@pmoves/internal';

export type { EnvIssue };

/**
 * Why a CLIP operation failed, as a stable machine-readable code.
 *
 * - `decode`: the bytes are not a decodable image (corrupt, truncated, not an image).
 * - `too-large`: the image exceeds the configured pixel or byte limit.
 * - `unsupported`: a format, mode or option this package cannot handle.
 * - `not-found`: a file or model file does not exist.
 * - `fetch`: an image URL could not be fetched (network, status, content type).
 * - `blocked`: an image URL was refused by the address policy (SSRF protection).
 * - `timeout`: a remote call or fetch took longer than its timeout.
 * - `model`: a model could not be loaded or does not follow the CLIP contract.
 * - `device`: no requested execution provider could be created.
 * - `invalid-input`: an argument failed validation.
 * - `config`: environment variables failed validation: the message names every bad one, and
 *   {@link ClipError.issues} lists them one by one (another package can absorb them into its own error).
 * - `remote`: a remote embedding server answered with an error.
 * - `store`: a vector store of the CLIP index (PGlite, Postgres, Supabase, Qdrant) failed.
 */
export type ClipErrorCode =
  | 'decode'
  | 'too-large'
  | 'unsupported'
  | 'not-found'
  | 'fetch'
  | 'blocked'
  | 'timeout'
  | 'model'
  | 'device'
  | 'invalid-input'
  | 'config'
  | 'remote'
  | 'store';

const brand = errorBrand('@pmoves/clip.ClipError');

/**
 * Whether `value` is a {@link ClipError} from any copy of this package (its ESM and CJS builds, a second
 * installed version); `instanceof ClipError` answers the same, by the same brand.
 */
export function isClipError(value: unknown): value is ClipError {
  return brand.is(value);
}

/** The one error class of `@pmoves/clip`; `code` says why (see {@link ClipErrorCode}). */
export class ClipError extends Error {
  /** `instanceof` checks the brand, so an error from another copy of the package is recognised too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brand.is(value);
  }

  /** Stable reason code. */
  readonly code: ClipErrorCode;

  /** For `config` errors: every bad environment variable, one entry each; empty otherwise. */
  readonly issues: readonly EnvIssue[];

  /**
   * @param code - stable reason code
   * @param message - human-readable explanation, naming the file, field, URL or variable involved
   * @param options - standard `cause`; `issues` for a `config` error
   */
  constructor(
    code: ClipErrorCode,
    message: string,
    options?: { cause?: unknown; issues?: readonly EnvIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClipError';
    brand.mark(this);
    this.code = code;
    this.issues = Object.freeze([...(options?.issues ?? [])]);
  }
}
