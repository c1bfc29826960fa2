import { errorBrand } from '@pmoves/internal';

/**
 * Why a qwen-audio operation failed, as a stable machine-readable code.
 *
 * - `invalid-input`: an argument or option failed validation (the message names the field).
 * - `config`: an environment variable failed validation.
 * - `decode`: ffmpeg could not decode the input (not audio, corrupt, no audio track).
 * - `ffmpeg`: the ffmpeg binary is missing or could not be started.
 * - `model-not-found`: the backend does not have the model (the message names the pull command).
 * - `no-audio-capability`: the model would not hear the audio; the message names backends that serve Qwen2-Audio.
 * - `bad-output`: the model's reply was not valid JSON for the schema, even after one stricter retry.
 * - `timeout`: a remote call took longer than its timeout.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `backend`: the backend answered with an error (HTTP status or connection failure).
 * - `store`: the analysis store failed.
 * - `source`: an item source (Jellyfin, file list) failed.
 */
export type QwenAudioErrorCode =
  | 'invalid-input'
  | 'config'
  | 'decode'
  | 'ffmpeg'
  | 'model-not-found'
  | 'no-audio-capability'
  | 'bad-output'
  | 'timeout'
  | 'aborted'
  | 'backend'
  | 'store'
  | 'source';

const brand = errorBrand('@pmoves/qwen-audio.QwenAudioError');

/**
 * Whether `value` is a {@link QwenAudioError} from any copy of this package (its ESM and CJS builds, a second
 * installed version); `instanceof QwenAudioError` answers the same, by the same brand.
 */
export function isQwenAudioError(value: unknown): value is QwenAudioError {
  return brand.is(value);
}

/** The one error class of `@pmoves/qwen-audio`; `code` says why (see {@link QwenAudioErrorCode}). */
export class QwenAudioError extends Error {
  /** `instanceof` checks the brand, so an error from another copy of the package is recognised too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return brand.is(value);
  }

  /** Stable reason code. */
  readonly code: QwenAudioErrorCode;
  /** For `config`: every bad variable, one issue each (so another reader can report them with its own). */
  readonly issues: readonly { readonly variable: string; readonly message: string }[];

  /**
   * @param code - stable reason code
   * @param message - human-readable explanation naming the field, model or file involved
   * @param options - standard `cause`
   */
  constructor(
    code: QwenAudioErrorCode,
    message: string,
    options?: { cause?: unknown; issues?: readonly { variable: string; message: string }[] },
  ) {
    super(message, options);
    this.name = 'QwenAudioError';
    brand.mark(this);
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}

/** Throws `aborted` when the signal has fired, keeping the caller's reason as cause. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new QwenAudioError('aborted', 'analysis aborted by the caller', { cause: signal.reason });
}
