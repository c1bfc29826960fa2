// The backfill's view of Jellyfin: audio items and their downloads, over the shared client in
// @pmoves/internal, with its errors as this package's `source` errors.
import {
  JellyfinError,
  downloadJellyfinItem as download,
  listJellyfinItems,
  type JellyfinItem,
  type JellyfinOptions,
} from '@pmoves/internal';
import { QwenAudioError } from '../errors';

export type { JellyfinItem, JellyfinOptions };

async function asSourceError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof JellyfinError) throw new QwenAudioError('source', err.message, { cause: err });
    throw err;
  }
}

/** All audio items, oldest first; invalid items are reported through `onInvalid` and skipped. */
export function listJellyfinAudioItems(
  opts: JellyfinOptions,
  onInvalid: (problem: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<JellyfinItem[]> {
  return asSourceError(() =>
    listJellyfinItems({ client: 'pmoves-qwen-audio', ...opts }, { types: ['Audio'] }, onInvalid, signal),
  );
}

/** Downloads an item's original file (`/Items/{id}/Download`) to `dest`. */
export function downloadJellyfinItem(
  opts: JellyfinOptions,
  itemId: string,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  return asSourceError(() => download({ client: 'pmoves-qwen-audio', ...opts }, itemId, dest, signal));
}
