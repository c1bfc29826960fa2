// Where an item's audio is read from: its path, when that lies under a configured media root (as
// upstream's processor reads Jellyfin's `Path` from a shared mount), otherwise a download from the
// configured Jellyfin. Nothing else is read.
import { JellyfinError, downloadJellyfinItem } from '@pmoves/internal';
import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JellyfinSettings } from './config';
import { AudioProcessorError } from './errors';
import type { WorkItem } from './work-item';

/** A readable local copy of an item's audio. */
export interface AudioSource {
  /** The file to analyse. */
  path: string;
  /** Where it came from, for the event (`file://…` or the Jellyfin download URL, no key). */
  uri: string;
  /** Removes a downloaded copy. */
  release(): Promise<void>;
}

async function underRoot(path: string, roots: readonly string[]): Promise<string | null> {
  if (!isAbsolute(path)) return null;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return null;
  }
  for (const root of roots) {
    const r = await realpath(root).catch(() => null);
    if (!r) continue;
    const rel = relative(r, real);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return real;
  }
  return null;
}

/**
 * Finds the item's audio.
 *
 * @throws {@link AudioProcessorError} `source`: permanent when no configured source can have it
 *   (path outside the roots and no Jellyfin id, Jellyfin answered 4xx); otherwise worth a retry.
 */
export async function resolveSource(
  item: WorkItem,
  opts: { mediaRoots: readonly string[]; jellyfin: JellyfinSettings | null; signal?: AbortSignal },
): Promise<AudioSource> {
  if (item.path) {
    const local = await underRoot(item.path, opts.mediaRoots);
    if (local && (await stat(local)).isFile())
      return { path: local, uri: pathToFileURL(local).href, release: async () => undefined };
  }
  if (item.jellyfin_id && opts.jellyfin) {
    const dir = await mkdtemp(join(tmpdir(), 'pmoves-audio-item-'));
    const dest = join(dir, 'audio');
    try {
      await downloadJellyfinItem(opts.jellyfin, item.jellyfin_id, dest, opts.signal);
    } catch (cause) {
      await rm(dir, { recursive: true, force: true });
      const status = cause instanceof JellyfinError ? cause.status : undefined;
      throw new AudioProcessorError('source', (cause as Error).message, {
        cause,
        permanent: status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429,
      });
    }
    const uri = new URL(`/Items/${encodeURIComponent(item.jellyfin_id)}/Download`, opts.jellyfin.url).href;
    return { path: dest, uri, release: () => rm(dir, { recursive: true, force: true }) };
  }
  if (item.path && opts.mediaRoots.length > 0 && (await underRoot(item.path, opts.mediaRoots)) === null) {
    // Inside a root but missing may be a mount not ready yet: only "outside every root" is final.
    const outside = !opts.mediaRoots.some((root) => {
      const rel = relative(root, item.path!);
      return rel && !rel.startsWith('..') && !isAbsolute(rel);
    });
    if (!outside)
      throw new AudioProcessorError('source', `${item.item_id}: ${item.path} is not readable (yet)`);
  }
  throw new AudioProcessorError(
    'source',
    `${item.item_id}: no configured source has its audio (path ${item.path ? 'outside AUDIO_PROCESSOR_MEDIA_ROOTS' : 'absent'}, ` +
      `${item.jellyfin_id ? 'JELLYFIN_URL not set' : 'no jellyfin_id'})`,
    { permanent: true },
  );
}
