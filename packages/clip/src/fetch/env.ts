// The image fetcher's environment variables (CLIP_IMAGE_FETCH_*) and their pure parser. Lives with
// the fetcher so `@pmoves/clip/fetch` carries it without the rest of the package.
import {
  envBoolean,
  envInteger,
  EnvReader,
  envSeconds,
  envList,
  EnvValueError,
  type Env,
} from '@pmoves/internal';
import ipaddr from 'ipaddr.js';
import { configError, setFields } from '../config/read';
import type { ImageFetchOptions } from './fetch-image';

function allowEntry(raw: string): string {
  const e = raw.replace(/^\[|\]$/g, '');
  if (e.includes('/') && !ipaddr.isValidCIDR(e)) throw new EnvValueError('is not a valid CIDR range');
  if (/\s/.test(e)) throw new EnvValueError('contains a space');
  return raw;
}

/** Fields of the SSRF-safe image fetcher. */
export const FETCH_FIELDS = {
  allowedHosts: envList('CLIP_IMAGE_FETCH_ALLOWED_HOSTS', 'hosts allowed even when private', {
    form: 'comma-separated hosts / *.suffix / IPs / CIDRs',
    item: allowEntry,
  }),
  allowPrivate: envBoolean(
    'CLIP_IMAGE_FETCH_ALLOW_PRIVATE',
    'allow private networks (metadata addresses stay refused)',
    {
      default: false,
    },
  ),
  timeoutMs: envSeconds('CLIP_IMAGE_FETCH_TIMEOUT', 'whole-fetch deadline per image URL', { default: 10 }),
  maxBytes: envInteger('CLIP_IMAGE_FETCH_MAX_BYTES', 'largest image body fetched', {
    default: 20 * 1024 * 1024,
    min: 1,
    unit: 'bytes',
  }),
  maxRedirects: envInteger('CLIP_IMAGE_FETCH_MAX_REDIRECTS', 'redirects followed, each re-checked', {
    default: 3,
    min: 0,
    max: 20,
    unit: 'redirects',
  }),
} as const;

/**
 * Options of `createImageFetcher` / `fetchImage` from CLIP_IMAGE_FETCH_ALLOWED_HOSTS,
 * CLIP_IMAGE_FETCH_ALLOW_PRIVATE (strict boolean), CLIP_IMAGE_FETCH_TIMEOUT (seconds),
 * CLIP_IMAGE_FETCH_MAX_BYTES and CLIP_IMAGE_FETCH_MAX_REDIRECTS. Pure: reads only `env`; unset
 * variables are left out.
 *
 * @throws ClipError `config` naming every bad variable (`issues` lists them)
 */
export function imageFetchOptionsFromEnv(env: Env): ImageFetchOptions {
  const reader = new EnvReader(env);
  const options = setFields(reader, FETCH_FIELDS) as ImageFetchOptions;
  reader.finish(configError);
  return options;
}
