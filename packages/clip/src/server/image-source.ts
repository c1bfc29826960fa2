// Turns one image reference from a request into bytes: an http(s) URL (fetched under the SSRF
// policy), a `data:` URI, or bare base64. Every failure is a ClipError for that item alone.
import { ClipError } from '../errors';
import type { ImageFetcher } from '../fetch/fetch-image';

// Standard or URL-safe alphabet, optional padding; whitespace (line-wrapped base64) is removed first.
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/**
 * Strict base64: `Buffer.from(x, 'base64')` silently skips characters outside the alphabet, so
 * `"aGk=!!"` would decode to something. Here anything but the alphabet and final padding is refused.
 */
export function decodeBase64Strict(text: string, what: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  const body = compact.replace(/=+$/, '');
  if (
    !BASE64.test(compact) ||
    body.length % 4 === 1 ||
    (compact.length !== body.length && compact.length % 4 !== 0)
  )
    throw new ClipError('invalid-input', `${what} is not valid base64`);
  const bytes = Buffer.from(body, body.includes('-') || body.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) throw new ClipError('invalid-input', `${what} decodes to no bytes`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// data:[<media type>][;param=value]*[;base64],<data>
const DATA_URI = /^data:([^,]*),/i;

/** Decodes a `data:` URI; only the base64 form carries image bytes. */
export function decodeDataUri(uri: string): Uint8Array {
  const m = DATA_URI.exec(uri);
  if (!m) throw new ClipError('invalid-input', 'data URI has no "," before its data');
  const params = m[1]!.split(';').map((p) => p.trim().toLowerCase());
  if (!params.includes('base64'))
    throw new ClipError('invalid-input', 'data URI must be base64 (data:image/…;base64,…)');
  return decodeBase64Strict(uri.slice(m[0].length), 'data URI');
}

/** Whether a string is a `data:` URI (any case). */
export const isDataUri = (s: string): boolean => /^data:/i.test(s);

/**
 * Bytes of an image reference: `data:` URIs are decoded, `http(s)` URLs fetched, anything else is
 * an `invalid-input` error (a local path or `file:` URL is never read).
 */
export async function resolveImageReference(
  ref: string,
  fetcher: ImageFetcher,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (isDataUri(ref)) return decodeDataUri(ref);
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new ClipError('invalid-input', 'image must be an http(s) URL or a data: URI');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ClipError(
      'invalid-input',
      `image URL scheme ${url.protocol} is not allowed (http, https or data)`,
    );
  return (await fetcher.fetch(ref, { signal })).bytes;
}

/** Bytes of an item given as base64: bare base64 or a `data:` URI. */
export function resolveBase64Item(text: string): Uint8Array {
  return isDataUri(text) ? decodeDataUri(text) : decodeBase64Strict(text, 'base64');
}

/** Any error as a ClipError (a fetch failure that is not one becomes `fetch`). */
export function asItemError(err: unknown): ClipError {
  return err instanceof ClipError
    ? err
    : new ClipError('fetch', err instanceof Error ? err.message : String(err));
}
