/**
 * Why a rerank operation failed:
 * - `invalid-request`: the request failed validation (the message names the field);
 * - `config`: a configuration value is unknown or malformed (the message lists accepted values);
 * - `provider`: a backend failed (HTTP status, malformed or wrong-length answer, unsupported input);
 * - `timeout`: a backend or the whole chain ran out of time;
 * - `aborted`: the caller cancelled.
 */
export type RerankErrorCode = 'invalid-request' | 'config' | 'provider' | 'timeout' | 'aborted';

/** The error class of `@pmoves/rerank`. */
export class RerankError extends Error {
  /** Stable reason code. */
  readonly code: RerankErrorCode;
  /** HTTP status of the backend answer, when there was one. */
  readonly status?: number;

  /**
   * @param code - reason code
   * @param message - explanation (never contains secrets)
   * @param options - `cause` and the backend's HTTP `status`
   */
  constructor(code: RerankErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RerankError';
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
  }
}
