// What the backfill works on: the files and directories given (directories walked for media
// files), a --files-from list, or the audio items of a Jellyfin library.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { JellyfinOptions } from '@pmoves/internal';
import { QwenAudioError } from '../errors';
import { listJellyfinAudioItems } from '../jellyfin/client';

/** Extensions a directory walk picks up (case-insensitive): audio, and video with an audio track. */
export const MEDIA_EXTENSIONS: readonly string[] = [
  // audio
  'aac',
  'aif',
  'aiff',
  'alac',
  'ape',
  'flac',
  'm4a',
  'm4b',
  'mka',
  'mp2',
  'mp3',
  'oga',
  'ogg',
  'opus',
  'wav',
  'wma',
  'wv',
  // video
  'avi',
  'm4v',
  'mkv',
  'mov',
  'mp4',
  'mpeg',
  'mpg',
  'ts',
  'webm',
  'wmv',
];
const MEDIA = new Set(MEDIA_EXTENSIONS);

/** One item to analyse. */
export interface WorkItem {
  /** Stable id: the Jellyfin item id, or the absolute file path. */
  id: string;
  /** Shown next to the id when it differs. */
  name: string;
  /** Local file (file inputs); Jellyfin items are downloaded first. */
  localPath?: string;
  /** Creation time, for `--since`. */
  createdAt?: Date;
}

/** Where the items come from. */
export interface ItemSource {
  /** Paths given on the command line (files or directories). */
  files: readonly string[];
  /** A file with one media path per line (`#` comments). */
  filesFrom?: string;
  /** Jellyfin connection, used when no paths are given. */
  jellyfin?: JellyfinOptions;
}

const isMedia = (path: string) => MEDIA.has(extname(path).slice(1).toLowerCase());

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return (
    entries
      .filter((e) => e.isFile() && isMedia(e.name))
      // parentPath is Node ≥ 20.12; `path` is its older name.
      .map((e) => join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name))
      .sort()
  );
}

/** Files from paths: each file as is, each directory walked; paths that are neither are `missing`. */
async function fileItems(paths: readonly string[]): Promise<{ items: WorkItem[]; missing: string[] }> {
  const items: WorkItem[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const add = (abs: string, name: string, createdAt?: Date) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    items.push({ id: abs, name, localPath: abs, ...(createdAt ? { createdAt } : {}) });
  };
  for (const p of paths) {
    const abs = resolve(p);
    const st = await stat(abs).catch(() => null);
    if (st?.isDirectory()) {
      for (const f of await walk(abs)) add(f, f, (await stat(f).catch(() => null))?.mtime);
    } else if (st?.isFile()) add(abs, p, st.mtime);
    else missing.push(abs);
  }
  return { items, missing };
}

/**
 * The items of a run, in order. Paths that do not exist (or are not files or directories) are
 * returned as `missing`, never as items.
 */
export async function collectItems(
  source: ItemSource,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ items: WorkItem[]; missing: string[] }> {
  const paths = [...source.files];
  if (source.filesFrom) {
    const text = await readFile(source.filesFrom, 'utf8').catch((err: Error) => {
      throw new QwenAudioError('invalid-input', `--files-from ${source.filesFrom}: ${err.message}`);
    });
    paths.push(
      ...text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  if (paths.length > 0) return fileItems(paths);
  if (!source.jellyfin) {
    throw new QwenAudioError(
      'config',
      'give files or directories, --files-from, or JELLYFIN_URL (or --jellyfin-url) with JELLYFIN_API_KEY',
    );
  }
  const list = await listJellyfinAudioItems(
    source.jellyfin,
    (p) => log(`warning: skipping invalid Jellyfin item (${p})`),
    signal,
  );
  return {
    missing: [],
    items: list.map((i) => ({
      id: i.Id,
      name: i.Name ?? i.Id,
      ...(i.DateCreated ? { createdAt: new Date(i.DateCreated) } : {}),
    })),
  };
}
