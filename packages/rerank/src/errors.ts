import { errorBrand, type EnvIssue } from '@pmoves/internal';

/**
 * Why a rerank operation failed:
 * - `invalid-request`: the request failed validation (the message names the field);
 * - `config`: a configuration value is unknown or malformed (the message names every bad variable
 *   and its accepted form; `issues` lists them);
 * - `provider`: a backend failed (HTTP status, malformed or wrong-length answer, unsupported input);
 * - `timeout`: a backend or the whole chain ran out of time;
 * - `aborted`: the caller cancelled.
 */
export type RerankErrorCode = 'invalid-request' | 'config' | 'provider' | 'timeout' | 'aborted';

const brand = errorBrand('@pmoves/rerank.RerankError');

/**
 * Whether `value` is a {@link RerankError} from any copy of this package (its ESM and CJS builds, a second
 * installed version); `instanceof RerankError` answers the same, by the same brand.
 */
export function isRerankError(value: unknown): value is RerankError {
  return brand.is(value);
}

/** The error class of `@pmoves/rerank`. */
export class RerankError extends Error {
  /** `instanceof` checks the brand, so an error from another copy of the package is recognised too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brand.is(value);
  }

  /** Stable reason code. */
  readonly code: RerankErrorCode;
  /** HTTP status of the backend answer, when there was one. */
  readonly status?: number;
  /** A `config` error's bad variables, one entry each (also named in the message). */
  readonly issues?: readonly EnvIssue[];

  /**
   * @param code - reason code
   * @param message - explanation (never contains secrets)
   * @param options - `cause`, the backend's HTTP `status`, a `config` error's `issues`
   */
  constructor(
    code: RerankErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; issues?: readonly EnvIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RerankError';
    brand.mark(this);
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.issues !== undefined) this.issues = options.issues;
  }
}
