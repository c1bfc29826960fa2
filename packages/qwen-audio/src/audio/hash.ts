import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { QwenAudioError } from '../errors';

/** SHA-256 (hex) of a file, streamed: the key that tells an unchanged item from a changed one. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch (cause) {
    if (signal?.aborted) throw new QwenAudioError('aborted', 'hashing aborted', { cause });
    throw new QwenAudioError('invalid-input', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return hash.digest('hex');
}
