// Local image files, read only inside configured media roots. Index data (a hi-rag hit's
// `payload.thumbnail_url`) is not trusted: a path is resolved with realpath and must lie inside a
// root (so neither `..` nor a symlink leads out), and every refusal reads the same whether or not
// the file exists, so a refusal does not tell what is on the disk. Default: no roots, no files.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one message of every refused local path (deliberately without the path or the reason). */
export const LOCAL_FILE_REFUSED =
  'local file paths are refused unless they resolve to a file inside a configured media root (mediaRoots, RERANK_MEDIA_ROOTS)';

/** An error with clip's `code` convention, so the candidate's warning names the reason. */
const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

/** A local image resolved inside a root: its cache key (path, mtime, size) and how to read it. */
export interface LocalImage {
  key: string;
  read(): Promise<Uint8Array>;
}

/** Reads local images inside `roots` (absolute directories), at most `maxBytes` each. */
export interface MediaReader {
  /** Resolve a non-http(s) image reference, or throw a `blocked` error (one message for every refusal). */
  resolve(ref: string): Promise<LocalImage>;
}

const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * A reader of image references given as strings that are not http(s) URLs: an absolute path or a
 * `file:` URL is read when it resolves inside one of `roots`; another scheme is refused.
 */
export function createMediaReader(roots: readonly string[], maxBytes: number): MediaReader {
  // Roots are resolved once (a root may itself be a symlink); a root that does not exist holds nothing.
  let realRoots: Promise<string[]> | null = null;
  const resolvedRoots = () =>
    (realRoots ??= Promise.all(roots.map((r) => realpath(r).catch(() => null))).then((rs) =>
      rs.filter((r): r is string => r !== null),
    ));
  const refused = () => coded('blocked', LOCAL_FILE_REFUSED);

  async function resolve(ref: string): Promise<LocalImage> {
    let path = ref;
    const scheme = SCHEME.exec(ref)?.[1]?.toLowerCase();
    if (scheme === 'file') {
      try {
        path = fileURLToPath(ref);
      } catch {
        throw refused();
      }
    } else if (scheme !== undefined) {
      throw coded(
        'blocked',
        `the ${scheme}: scheme is not supported; images are http(s) URLs, bytes or local paths`,
      );
    }
    if (roots.length === 0 || !isAbsolute(path)) throw refused();
    const real = await realpath(path).catch(() => null);
    if (real === null) throw refused();
    const inside = (await resolvedRoots()).some((root) => {
      const rel = relative(root, real);
      return rel !== '' && !isAbsolute(rel) && rel.split(sep)[0] !== '..';
    });
    if (!inside) throw refused();
    const st = await stat(real).catch(() => null);
    if (!st?.isFile()) throw refused();
    if (st.size > maxBytes)
      throw coded('too-large', `the file is ${st.size} bytes; the limit is ${maxBytes}`);
    return {
      key: `file:${real}:${st.mtimeMs}:${st.size}`,
      async read() {
        // O_NOFOLLOW and the same inode: the checked file is the one read, even if the path changed since.
        const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
        if (!fh) throw refused();
        try {
          const now = await fh.stat();
          if (now.ino !== st.ino || now.dev !== st.dev || !now.isFile()) throw refused();
          if (now.size > maxBytes)
            throw coded('too-large', `the file is ${now.size} bytes; the limit is ${maxBytes}`);
          return new Uint8Array(await fh.readFile());
        } finally {
          await fh.close();
        }
      },
    };
  }

  return { resolve };
}
