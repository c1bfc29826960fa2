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
 * - `remote`: a remote embedding server answered with an error.
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
  | 'remote';

/** The one error class of `@pmoves/clip`; `code` says why (see {@link ClipErrorCode}). */
export class ClipError extends Error {
  /** Stable reason code. */
  readonly code: ClipErrorCode;

  /**
   * @param code - stable reason code
   * @param message - human-readable explanation, naming the file, field or URL involved
   * @param options - standard `cause`
   */
  constructor(code: ClipErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClipError';
    this.code = code;
  }
}
