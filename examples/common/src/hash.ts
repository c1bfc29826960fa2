// The content hash the publisher keys stored audio analyses by: SHA-256 (hex) of the file, streamed,
// the same key @pmoves/qwen-audio stores as `audio_sha256`.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
