/**
 * Why the audio processor refused or failed, as a stable code:
 * - `config`: an environment variable or command-line argument is wrong (the message names each);
 * - `source`: an item's audio could not be had (outside the configured roots, Jellyfin refused it);
 * - `queue`: JetStream refused a stream, consumer or publish;
 * - `smoke`: the smoke check found no analysis for its probe.
 */
export type AudioProcessorErrorCode = 'config' | 'source' | 'queue' | 'smoke';

/** The audio processor's one error class. `permanent` marks a failure a retry cannot fix. */
export class AudioProcessorError extends Error {
  /**
   * @param code - what kind of failure
   * @param message - what failed, naming the variable, item or subject
   * @param options - `permanent`: retrying will not help (the item goes straight to the dead-letter
   *   subject); `systemic`: the model server, ffmpeg or the store failed, not the item
   */
  constructor(
    readonly code: AudioProcessorErrorCode,
    message: string,
    options: { cause?: unknown; permanent?: boolean; systemic?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AudioProcessorError';
    this.permanent = options.permanent ?? false;
    this.systemic = options.systemic ?? false;
  }

  /** Retrying will not help. */
  readonly permanent: boolean;
  /** The model server, ffmpeg or the store failed, not the item. */
  readonly systemic: boolean;
}
