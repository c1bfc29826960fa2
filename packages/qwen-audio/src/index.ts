/**
 * @pmoves/qwen-audio — Qwen2-Audio summaries, tags, mood and confidence for media audio, with decoding, chunking, storage in media_audio_analysis and a resumable backfill CLI.
 *
 * @packageDocumentation
 */

/** Version of this package's public API contract. */
export const API_VERSION = '0.0.0';
